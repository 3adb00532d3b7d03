"""The document (no Qt): projects of shots and frames, hint strokes, undo, events, saving."""
from .document import Frame, FrameResult, Palette, Project, Shot
from .io import ProjectError, load_project, open_path, save_project
from .strokes import Stroke

__all__ = ["Frame", "FrameResult", "Palette", "Project", "Shot", "Stroke", "ProjectError", "load_project", "open_path", "save_project"]
