"""The colorize requests the window and colorpaint-cli send, built in one place: the frame,
its hints, the palette lock, the model and its weights, the options (flat mode, gap, ...)
and the references. The result comes back flat (and in the references' exact colors) when
the request asks for it, as ``colorpaint-cli colorize --flat --ref`` writes it."""
from __future__ import annotations

from dataclasses import replace

from ..engine.options import ColorizeOptions
from ..models import registry
from ..project import Project
from ..project.settings import ProjectSettings

# the engine (and torch with it) is imported when a request is first built, on the worker's
# behalf, not when the window starts


def colorize_options(settings: ProjectSettings | None = None, **given) -> ColorizeOptions:
    """The options of a request: the project's ``flat``, ``gap`` and ``tolerance`` (without a project, as
    colorpaint-cli starts, the defaults), then ``given`` (a shot's ``steady``; the CLI's
    flags: ``flat``, ``gap``, ``steady``, ``calibrate``, ``cel``)."""
    base = {} if settings is None else {"flat": settings.flat, "gap": settings.gap, "tolerance": settings.tolerance}
    return ColorizeOptions(**(base | given))


def frame_options(project: Project) -> dict:
    """``ColorizeRequest.options`` of the window's single-frame requests: ``{"flat", "gap"}``
    and ``tolerance`` when it is not Auto."""
    return colorize_options(project.typed_settings).request_dict("flat", "gap")


def locked_palette(project: Project) -> tuple:
    """The project's saved palette colors when the palette lock is on, else ()."""
    return tuple(c for _, c in project.palette.saved) if project.typed_settings.use_palette else ()


def frame_request(project: Project, frame, *, work_size: int, weights: str | None, options: dict | None = None):
    """An immutable :class:`~colorpaint.engine.pipeline.ColorizeRequest` for ``frame``
    (arrays copied where the document can change them). ``options``: default
    :func:`frame_options`."""
    from ..engine.pipeline import ColorizeRequest

    image, hints = project.image(frame), project.hints(frame)
    hints = hints.copy() if frame.strokes and hints[..., 3].any() else None
    refs = project.references.for_engine()
    return ColorizeRequest(image, model=project.model, hints=hints, input_kind=project.typed_settings.input_kind,
                           palette=locked_palette(project), work_size=int(work_size), weights=weights,
                           options=dict(frame_options(project) if options is None else options), references=refs or None)


def finished_job(job, request):
    """``job``'s result as the request asks for it: flat when ``options["flat"]``, with each
    region paired with a reference in the reference's exact color (line art, no palette)."""
    from ..engine.flat import flat_job

    res = yield from flat_job(job, request)
    rep = getattr(res, "references", None)
    if (res is None or not ColorizeOptions.of(request.options).flat or rep is None or request.palette
            or res.kind != "lineart" or not rep.matched.any()):
        return res
    import numpy as np

    from ..core.color import draw_lines

    take = np.take(rep.matched, rep.labels)
    color = np.array(res.color)
    color[take] = np.take(rep.rgb, rep.labels, axis=0)[take]
    return replace(res, color=color, composite=draw_lines(color, request.image))


# ---------------------------------------------------------------------- shots
def shot_model(project: Project) -> str:
    """The model a shot is colorized with: the project's if it takes a previous frame, else temporal."""
    try:
        return project.model if registry.spec(project.model).takes_previous_frame else "temporal"
    except KeyError:
        return "temporal"


def shot_options(project: Project, prefs, model_weights: dict) -> dict:
    """The options of a shot job, named as :func:`~colorpaint.engine.sequence.sequence_request`
    takes them, plus ``anchor`` and ``references``. ``colorpaint-cli sequence`` with the same
    values (``--model``, ``--weights``, ``--input-kind``, ``--work-size``, ``--anchor``,
    ``--steady``, ``--flat``, ``--gap``, ``--tolerance``, ``--palette``) computes the same frames."""
    model = shot_model(project)
    s = project.typed_settings
    return {"model": model, "weights": model_weights.get(model), "input_kind": s.input_kind, "work_size": int(prefs.work_size),
            "palette": locked_palette(project), "flat": s.flat, "gap": s.gap, "tolerance": s.tolerance, "anchor": s.anchor, "steady": s.steady,
            "references": project.references.for_engine()}


def shot_request(first, options: dict):
    """The base request of a shot job from :func:`shot_options` (``first``: the shot's first
    frame, HxWx3 uint8 RGB), as ``colorpaint-cli sequence`` builds its own."""
    from ..engine.sequence import sequence_request

    o = options
    base = sequence_request(first, o["model"], weights=o["weights"], input_kind=o["input_kind"], work_size=o["work_size"],
                            palette=o["palette"], options=colorize_options(flat=o["flat"], gap=o["gap"], tolerance=o.get("tolerance", 0), steady=o["steady"]))
    refs = o.get("references")
    return replace(base, references=tuple(refs)) if refs else base  # every frame takes the references' colors, as --ref does
