"""The colorize requests the window sends, built in one place from the project: the
frame, its hints, the palette lock, the model and its weights, flat mode and the
references. The result comes back flat (and in the references' exact colors) when the
request asks for it, as ``colorpaint-cli colorize --flat --ref`` writes it."""
from __future__ import annotations

from dataclasses import replace

from ..project import Project

# the engine (and torch with it) is imported when a request is first built, on the worker's
# behalf, not when the window starts


def frame_request(project: Project, frame, *, work_size: int, weights: str | None, options: dict):
    """An immutable :class:`~colorpaint.engine.pipeline.ColorizeRequest` for ``frame``
    (arrays copied where the document can change them)."""
    from ..engine.pipeline import ColorizeRequest

    image, hints = project.image(frame), project.hints(frame)
    hints = hints.copy() if frame.strokes and hints[..., 3].any() else None
    palette = tuple(c for _, c in project.palette.saved) if project.settings.get("use_palette") else ()
    refs = project.references.for_engine()
    return ColorizeRequest(image, model=project.model, hints=hints, input_kind=project.settings.get("input_kind", "auto"),
                           palette=palette, work_size=int(work_size), weights=weights, options=dict(options),
                           references=refs or None)


def finished_job(job, request):
    """``job``'s result as the request asks for it: flat when ``options["flat"]``, with each
    region paired with a reference in the reference's exact color (line art, no palette)."""
    from ..engine.flat import flat_job

    res = yield from flat_job(job, request)
    rep = getattr(res, "references", None)
    if (res is None or not request.options.get("flat") or rep is None or request.palette
            or res.kind != "lineart" or not rep.matched.any()):
        return res
    import numpy as np

    from ..core.color import draw_lines

    take = np.take(rep.matched, rep.labels)
    color = np.array(res.color)
    color[take] = np.take(rep.rgb, rep.labels, axis=0)[take]
    return replace(res, color=color, composite=draw_lines(color, request.image))
