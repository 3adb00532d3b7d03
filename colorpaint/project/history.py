"""Undo/redo: commands that change one frame, and the history that holds them.

Each command knows how to apply and revert itself on a :class:`~.document.Project`
through the project's two setters (strokes, result), so every change, forward or back,
emits the same events. One brush stroke is one command (napari's begin/commit stroke).
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass


class Command(ABC):
    text = ""

    @abstractmethod
    def redo(self, project) -> None: ...

    @abstractmethod
    def undo(self, project) -> None: ...


class Swap(Command):
    """A command that sets one value of the project: redo puts ``after`` in place, undo puts
    ``before`` back, both through the one setter :meth:`put` (a removal is not a swap:
    :class:`RemoveShot` says its two steps plainly)."""

    before: object
    after: object

    @abstractmethod
    def put(self, project, value) -> None: ...

    def redo(self, project) -> None:
        self.put(project, self.after)

    def undo(self, project) -> None:
        self.put(project, self.before)


@dataclass
class SetStrokes(Swap):
    """Replace a frame's strokes (add stroke, erase, fill and clear hints are all this)."""

    frame_id: str
    before: tuple
    after: tuple
    text: str = "Hints"

    def put(self, project, value) -> None:
        # redoing one stroke added at the end: the project repaints only that stroke's rectangle
        appended = value is self.after and len(self.after) == len(self.before) + 1 and self.after[:-1] == self.before
        project._set_strokes(self.frame_id, value, appended=appended)


@dataclass
class SetResult(Swap):
    """Replace a frame's color result (``FrameResult`` or None)."""

    frame_id: str
    before: object
    after: object
    text: str = "Colorize"

    def put(self, project, value) -> None:
        project._set_result(self.frame_id, value)


@dataclass
class Batch(Command):
    """Several commands as one undo step (a shot colorize sets many frames' results)."""

    commands: list
    text: str = "Batch"

    def redo(self, project) -> None:
        for c in self.commands:
            c.redo(project)

    def undo(self, project) -> None:
        for c in reversed(self.commands):
            c.undo(project)


@dataclass
class RemoveShot(Command):
    """Take shot ``index`` (its frames, hints and results) out of the project; undo puts it back."""

    index: int
    shot: object
    text: str = "Delete shot"

    def redo(self, project) -> None:
        project._remove_shot(self.index)

    def undo(self, project) -> None:
        project._insert_shot(self.index, self.shot)


@dataclass
class RenameShot(Swap):
    """Rename shot ``index`` from ``before`` to ``after``."""

    index: int
    before: str
    after: str
    text: str = "Rename shot"

    def put(self, project, name) -> None:
        project._rename_shot(self.index, name)


class History:
    """A linear undo stack: ``commands[:index]`` are applied, the rest can be redone.

    ``limit`` bounds memory (colorize results hold full-size images); the oldest entries
    are dropped first. ``clean`` marks the index that matches the file on disk.
    """

    def __init__(self, limit: int = 200) -> None:
        self.limit = limit
        self.commands: list[Command] = []
        self.index = 0
        self._clean: int | None = 0

    def push(self, cmd: Command, project) -> None:
        cmd.redo(project)
        del self.commands[self.index:]
        if self._clean is not None and self._clean > self.index:
            self._clean = None  # the saved state was in the discarded redo branch
        self.commands.append(cmd)
        self.index += 1
        while len(self.commands) > self.limit:
            self.commands.pop(0)
            self.index -= 1
            if self._clean is not None:
                self._clean = self._clean - 1 if self._clean > 0 else None

    @property
    def can_undo(self) -> bool:
        return self.index > 0

    @property
    def can_redo(self) -> bool:
        return self.index < len(self.commands)

    def undo(self, project) -> bool:
        if not self.can_undo:
            return False
        self.index -= 1
        self.commands[self.index].undo(project)
        return True

    def redo(self, project) -> bool:
        if not self.can_redo:
            return False
        self.commands[self.index].redo(project)
        self.index += 1
        return True

    def goto(self, index: int, project) -> None:
        """Undo or redo until ``index`` commands are applied (0 = the opened state)."""
        index = max(0, min(index, len(self.commands)))
        while self.index > index:
            self.undo(project)
        while self.index < index:
            self.redo(project)

    def texts(self) -> list[str]:
        return [c.text for c in self.commands]

    def mark_clean(self) -> None:
        self._clean = self.index

    @property
    def is_clean(self) -> bool:
        return self._clean == self.index

    def clear(self) -> None:
        self.commands.clear()
        self.index = 0
        self._clean = 0
