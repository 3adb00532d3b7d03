"""A child process speaking JSON lines, for the Train panel's fine-tune runs
(:class:`~colorpaint.app.finetune_run.FineTuneRun` spawns one per step)."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, Signal


class JsonProcess(QObject):
    """One child process whose stdout is JSON lines. Every output line (stdout and stderr)
    is appended to ``log_path``; each parsed object is emitted as ``record``. ``ended``
    carries ('' on success, or the error message: the child's ``error`` event, else its
    exit code or crash and the tail of its stderr)."""

    record = Signal(dict)
    ended = Signal(str)

    def __init__(self, args: list[str], log_path: Path, parent=None):
        super().__init__(parent)
        self.args, self.log_path = args, Path(log_path)
        self.proc = QProcess(self)
        env = QProcessEnvironment.systemEnvironment()
        env.insert("PYTHONUNBUFFERED", "1")
        root = str(Path(__file__).resolve().parents[2])  # the package, even when not installed
        env.insert("PYTHONPATH", root + os.pathsep + env.value("PYTHONPATH", "") if env.contains("PYTHONPATH") else root)
        self.proc.setProcessEnvironment(env)
        self.proc.readyReadStandardOutput.connect(self._stdout)
        self.proc.readyReadStandardError.connect(self._stderr)
        self.proc.finished.connect(self._finished)
        self.proc.errorOccurred.connect(self._error)
        self._buf = b""
        self._err_tail: list[str] = []
        self.error_message = ""
        self.done = False

    def start(self) -> None:
        with open(self.log_path, "a", encoding="utf-8") as fh:
            fh.write(f"\n$ {sys.executable} {' '.join(self.args)}\n")
        self.proc.start(sys.executable, self.args)

    def running(self) -> bool:
        return self.proc.state() != QProcess.ProcessState.NotRunning

    def terminate(self) -> None:
        self.proc.terminate()  # SIGTERM on POSIX: colorpaint-train saves a checkpoint and exits

    def kill(self) -> None:
        self.proc.kill()

    def wait(self, timeout_ms: int) -> bool:
        """Block until the process ends (True) or ``timeout_ms`` passes (False)."""
        return self.proc.waitForFinished(timeout_ms)

    def _log(self, text: str) -> None:
        with open(self.log_path, "a", encoding="utf-8") as fh:
            fh.write(text)

    def _stdout(self) -> None:
        self._buf += bytes(self.proc.readAllStandardOutput())
        *lines, self._buf = self._buf.split(b"\n")
        if lines:
            text = [ln.decode("utf-8", "replace") for ln in lines]
            self._log("".join(t + "\n" for t in text))
            for t in text:
                self._parse(t)

    def _parse(self, line: str) -> None:
        line = line.strip()
        if not line.startswith("{"):
            return
        try:
            rec = json.loads(line)
        except ValueError:
            return
        if isinstance(rec, dict):
            if rec.get("event") == "error":
                self.error_message = str(rec.get("message") or "unknown error")
            self.record.emit(rec)

    def _stderr(self) -> None:
        text = bytes(self.proc.readAllStandardError()).decode("utf-8", "replace")
        self._log(text)
        self._err_tail = (self._err_tail + text.splitlines())[-12:]

    def _finished(self, code: int, status) -> None:
        if self._buf:
            self._buf += b"\n"
            self._stdout()
        if self.done:
            return
        msg = ""
        if self.error_message:
            msg = self.error_message
        elif status == QProcess.ExitStatus.CrashExit:
            msg = "the process was killed or crashed"
        elif code != 0:
            msg = f"the process exited with code {code}"
        if msg and not self.error_message:
            msg += " (the log has the details)"  # its own words are for the log, not the artist
        self._log(f"[exit code {code}{', crashed' if status == QProcess.ExitStatus.CrashExit else ''}]\n")
        self.done = True
        self.ended.emit(msg)

    def _error(self, err) -> None:
        if err == QProcess.ProcessError.FailedToStart and not self.done:
            self.done = True
            self._log(f"[failed to start: {self.proc.errorString()}]\n")
            self.ended.emit(f"could not start {sys.executable}: {self.proc.errorString()}")
