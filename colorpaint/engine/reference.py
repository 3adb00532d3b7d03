"""Colors from the artist's own references: a colored model sheet or an earlier frame.

A request may carry :class:`Reference` images (each switched on or off). Before the
network runs, :func:`reference_hints` pairs the closed regions of the drawing with the
regions of each reference (:mod:`colorpaint.core.reference`: silhouettes aligned, regions
paired, colors read through the fitted map) and turns every confidently paired region into
a dense hint of its reference color: on line art the hint
rules of the pipeline then fill the region with exactly that color, and every model that
reads hints sees them. Regions that pair with nothing confidently are left to the model;
the artist's own hint strokes win over references (a region holding a stroke takes no
reference color). On grayscale input, :meth:`ReferenceReport.finish` gives the paired
regions the reference's chroma under the page's own lightness.

The :class:`ReferenceReport` returned with the result says, region by region, which
reference colored it or that it fell back to the model (:meth:`ReferenceReport.region_map`),
and carries one line per reference that was skipped or matched nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..core import reference as refm
from ..core.color import lab_to_rgb, rgb_to_lab, rgb_to_luma
from ..core.memo import Recent, pixels_key
from .options import DEFAULT_GAP, ColorizeOptions

MIN_SIDE = 8  # px: a reference smaller than this holds no usable regions
MIN_CHROMA = 6.0  # Lab chroma: a reference with no pixel more colorful than this has no colors to give
MAX_REF_PIXELS = 4096 * 4096  # larger references are matched at this size (they are only read)


@dataclass(frozen=True)
class Reference:
    """One reference: ``image`` HxWx3 uint8 RGB colored drawing or frame (another pose,
    scale, crop or size than the target, possibly mirrored); ``enabled`` False keeps it in
    the list but unused; ``name`` names it in messages (a file name)."""

    image: np.ndarray
    enabled: bool = True
    name: str = "reference"


@dataclass
class ReferenceReport:
    """What the references did for one colorization.

    ``labels`` HxW int32: the drawing's closed regions (0 = lines); ``source`` (n+1) int:
    the index (into the request's references) of the reference that colored each region,
    -1 where the region fell back to the model (or holds a hint stroke); ``cost`` (n+1)
    float: the pairing cost (lower is surer); ``rgb`` (n+1)x3 uint8: the reference color
    given to each region; ``messages``: one line per reference skipped or unused."""

    labels: np.ndarray
    source: np.ndarray
    cost: np.ndarray
    rgb: np.ndarray
    messages: list[str] = field(default_factory=list)

    @property
    def matched(self) -> np.ndarray:
        """(n+1) bool: regions colored from a reference."""
        return self.source >= 0

    def region_map(self) -> np.ndarray:
        """HxW int8 for a panel overlay: 1 colored from a reference, 0 left to the model, -1 lines."""
        lut = np.where(self.matched, 1, 0).astype(np.int8)
        lut[0] = -1
        return np.take(lut, self.labels)

    def hints(self, h: int, w: int, user: np.ndarray | None) -> np.ndarray:
        """HxWx4 uint8 RGBA: the user's hints, plus every paired region filled with its color."""
        out = np.zeros((h, w, 4), np.uint8)
        rgba = np.zeros((len(self.source), 4), np.uint8)
        rgba[:, :3] = self.rgb
        rgba[self.matched, 3] = 255
        out[:] = np.take(rgba, self.labels, axis=0)
        if user is not None:
            m = user[..., 3] > 0
            out[m] = user[m]
        return out

    def paint_all(self, req, kind: str):
        """``(composite, color)`` when the references decide every closed region of line art,
        else None. Every region then takes its reference color exactly, as the hint rules
        would give it, so the network's output could only show under the lines: there each
        pixel takes its nearest region's color (as :meth:`~colorpaint.engine.pipeline._Finish._cel_plan`
        does) and the network does not run at all. Request option ``hint_regions`` False
        (networks only) keeps the network."""
        if kind != "lineart" or len(self.source) < 2 or not self.matched[1:].all():
            return None
        if not ColorizeOptions.of(req.options).hint_regions:
            return None
        from ..core.color import draw_lines
        from ..core.regions import fill_lines

        color = np.take(self.rgb, fill_lines(self.labels), axis=0)
        return draw_lines(color, req.image), color

    def finish(self, kind: str, image: np.ndarray, composite: np.ndarray, color: np.ndarray):
        """Grayscale input: paired regions (and the edges between them) take the reference's
        chroma, lightness stays the input's. Line art is already done by the hint rules."""
        if kind != "gray" or not self.matched.any():
            return composite, color
        from ..core.regions import fill_lines

        full = fill_lines(self.labels)
        take = np.take(self.matched, full)
        lab = rgb_to_lab(color)
        ref_lab = rgb_to_lab(self.rgb[None])[0]
        ab = np.take(ref_lab[:, 1:], full, axis=0)
        lab[..., 1:][take] = ab[take]
        lab[..., 0] = rgb_to_lab(image)[..., 0]
        out = lab_to_rgb(lab)
        return out, out


def target_regions(image: np.ndarray, kind: str, gap: int = DEFAULT_GAP) -> tuple[np.ndarray, int]:
    """The drawing's closed regions as the pipeline sees them: line art as the hint rules
    segment it (gaps up to ``gap`` px closed, ink-sized pockets dropped); a grayscale page from
    its dark lines and lightness edges (:func:`~colorpaint.core.reference.color_regions`)."""
    from ..core.regions import segment_cached

    gray = rgb_to_luma(image)
    if kind == "lineart":
        return segment_cached(gray, gap_close=gap, min_area=None, copy=False)
    return refm.color_regions(np.repeat(gray[..., None], 3, 2))


def check_reference(ref: Reference) -> str | None:
    """A one-line reason to skip ``ref``, or None when it can be used."""
    img = ref.image
    if not isinstance(img, np.ndarray) or img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8:
        return f"{ref.name}: not an RGB image; skipped"
    h, w = img.shape[:2]
    if min(h, w) < MIN_SIDE:
        return f"{ref.name}: {w}x{h} is too small to hold any shapes; skipped"
    small = img if h * w <= 256 * 256 else img[:: max(1, h // 256), :: max(1, w // 256)]
    lab = rgb_to_lab(np.ascontiguousarray(small))
    if np.hypot(lab[..., 1], lab[..., 2]).max() < MIN_CHROMA:
        return f"{ref.name}: has no colors (grayscale); skipped"
    return None


_REFS = Recent(8)  # a shot reuses its references on every frame


def _describe_reference(img: np.ndarray) -> tuple[refm.RegionTable, np.ndarray, np.ndarray]:
    """The reference's regions, their own RGB colors, and the pixels they were found in
    (``img``, or ``img`` shrunk to :data:`MAX_REF_PIXELS`)."""
    def run():
        a = img
        if a.shape[0] * a.shape[1] > MAX_REF_PIXELS:
            import cv2

            s = (MAX_REF_PIXELS / (a.shape[0] * a.shape[1])) ** 0.5
            a = cv2.resize(a, (max(1, int(a.shape[1] * s)), max(1, int(a.shape[0] * s))), interpolation=cv2.INTER_AREA)
        labels, n = refm.color_regions(a)
        table = refm.describe(labels, n, rgb_to_lab(a), with_color=True)
        from ..core.regions import region_median

        med, _ = region_median(labels, a, n)  # the reference's own RGB, for exact flat colors
        return table, np.clip(np.rint(np.nan_to_num(med, nan=255.0)), 0, 255).astype(np.uint8), a

    return _REFS.get(pixels_key(img), run)


def reference_hints(image: np.ndarray, kind: str, references, user_hints: np.ndarray | None = None,
                    accept: float = refm.ACCEPT, gap: int = DEFAULT_GAP) -> ReferenceReport:
    """Pair the regions of ``image`` (HxWx3 uint8 RGB, ``kind`` "lineart" or "gray") with
    those of each enabled reference; see the module doc. ``user_hints``: HxWx4 uint8 RGBA
    at the image's size; regions holding one are not given a reference color. Where
    several references pair a region, the surest pairing wins. ``gap``: line breaks up to
    this many px still close a region (the request's Gap)."""
    labels, n = target_regions(image, kind, gap)
    gray_lab = rgb_to_lab(np.repeat(rgb_to_luma(image)[..., None], 3, 2)) if kind == "gray" else None
    t = refm.describe(labels, n, gray_lab)
    source = np.full(n + 1, -1, np.int64)
    cost = np.full(n + 1, np.inf)
    rgb = np.zeros((n + 1, 3), np.uint8)
    messages = []
    hinted = np.zeros(n + 1, bool)
    if user_hints is not None:
        hinted[np.unique(labels[user_hints[..., 3] > 0])] = True
    hinted[0] = True
    for k, ref in enumerate(references or ()):
        if not ref.enabled:
            continue
        why = check_reference(ref)
        if why is not None:
            messages.append(why)
            continue
        r, ref_rgb, pixels = _describe_reference(ref.image)
        m = refm.match_regions_to_reference(t, r, use_L=kind == "gray", align=True, ref_rgb=pixels)
        ok = m.accepted(accept) & ~hinted & (m.cost < cost)
        if not (ok & ~t.page).any():  # paper paired with paper alone is no match of the drawing
            messages.append(f"{ref.name}: matches no shape of the drawing with confidence; colors left to the model")
            continue
        source[ok] = k
        cost[ok] = m.cost[ok]
        rgb[ok] = m.colors(ref_rgb)[ok]
    return ReferenceReport(labels, source, cost, rgb, messages)


def apply_references(req, kind: str):
    """The request with its references turned into hints, and the report (None when the
    request has no enabled reference). Called by :func:`~colorpaint.engine.pipeline.colorize`."""
    from dataclasses import replace

    from ..core.hints import resize_hints

    refs = [r for r in (req.references or ()) if r.enabled]
    if not refs:
        return req, None
    h, w = req.image.shape[:2]
    user = resize_hints(req.hints, h, w) if req.hints is not None else None
    report = reference_hints(req.image, kind, req.references, user, gap=int(ColorizeOptions.of(req.options).gap))
    if not report.matched.any():
        return req, report
    return replace(req, hints=report.hints(h, w, user)), report


def flat_with_references(image: np.ndarray, result, hints=None, palette=(), gap: int = DEFAULT_GAP, ink: int | None = None) -> np.ndarray:
    """Flat composite (``HxWx3 uint8 RGB``) of ``result``, with each region colored from a
    reference in the reference's exact RGB (no Lab round trip), as ``--flat`` writes it.
    With a palette, regions snap to the palette as flat mode always does."""
    from ..core.color import draw_lines
    from .flat import flat_layers

    composite, color = flat_layers(image, result, hints, palette, gap, ink)
    rep = getattr(result, "references", None)
    if rep is None or palette or not rep.matched.any() or result.kind != "lineart":
        return composite
    take = np.take(rep.matched, rep.labels)
    color[take] = np.take(rep.rgb, rep.labels, axis=0)[take]
    return draw_lines(color, image)
