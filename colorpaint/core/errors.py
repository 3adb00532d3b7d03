"""One line for the artist from an exception: the message of an error ColorPaint raises on
purpose (bad input, a file it cannot read or write), a plain sentence for anything else.
The traceback belongs in a log, never in a dialog."""
from __future__ import annotations


def artist_message(e: BaseException) -> str:
    """What to show the artist for ``e`` (one line, no class names or tracebacks)."""
    if isinstance(e, MemoryError):
        return "not enough memory for this run: try a smaller batch or size"
    if isinstance(e, (ValueError, OSError)) and str(e):
        msg = str(e).splitlines()[0]
        if isinstance(e, OSError) and e.strerror and e.filename:
            msg = f"{e.filename}: {e.strerror}"
        return msg
    return f"an unexpected error stopped it ({e.__class__.__name__}); the log has the details"
