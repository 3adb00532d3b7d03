"""Color + exact line-art pairs from one vector drawing (SVG).

The color image is the drawing rendered as it is. The line image is **the same drawing**
with every fill turned white (occlusion is kept), near-black opaque fills kept black
(ink shapes), every visible stroke turned black and translucent shading, blurred shapes
(soft shadows, glows) and embedded bitmaps dropped: real line art that lines up pixel for pixel with the color
image, not an edge detector's output. These are the rules of ``../shared/data/tools/
svg_pairs.py`` (which made ``stills/``), written again on the standard library's XML
parser so the project needs no lxml, plus class rules from ``<style>`` blocks.

Both images are cropped to the drawing's visible extent (or to one element of it, for
sprite sheets such as KTuberling themes), fitted into SIZE x SIZE with a margin and
centred on white. Rendering uses ``rsvg-convert`` (Debian librsvg2-bin, the renderer of
``stills/``) when it is installed, else Qt's SVG renderer.

Only numpy, Pillow and OpenCV are needed (all ColorPaint dependencies).
"""
from __future__ import annotations

import gzip
import io
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import Image

SVGNS = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"
for _p, _u in (("", SVGNS), ("xlink", XLINK), ("dc", "http://purl.org/dc/elements/1.1/"),
               ("cc", "http://creativecommons.org/ns#"), ("rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"),
               ("sodipodi", "http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd"),
               ("inkscape", "http://www.inkscape.org/namespaces/inkscape")):
    ET.register_namespace(_p, _u)

SHAPES = {"path", "rect", "circle", "ellipse", "line", "polyline", "polygon", "text", "use"}
FILLED = {"path", "rect", "circle", "ellipse", "polygon"}
SKIP = {"metadata", "namedview", "title", "desc", "clipPath", "mask", "linearGradient", "radialGradient",
        "pattern", "marker", "filter", "style", "script"}
NOT_DRAWN = SKIP | {"defs", "symbol"}
NAMED = {"black": (0, 0, 0), "white": (255, 255, 255), "red": (255, 0, 0), "green": (0, 128, 0),
         "blue": (0, 0, 255), "yellow": (255, 255, 0), "gray": (128, 128, 128), "grey": (128, 128, 128),
         "currentcolor": (0, 0, 0)}
DARK_LUMA = 90        # a gradient whose mean stop luma is below this ...
DARK_GRADIENT_MAX = 100  # ... and whose mean stop color has no channel above this is ink (dark green grass is not)
DARK_MAX = 80         # a solid fill with max(r, g, b) below this is ink (outline shapes)
MIN_FILL_OPACITY = 0.6  # fills below this are shading or highlights: dropped
MIN_STROKE_OPACITY = 0.3
OUTLINE_PX = 2.0      # the width of the outlines given to flat fills, in output px
OUTLINE_BELOW = 0.9   # try outlining fills when fewer color edges than this have a line ...
OUTLINE_GAIN = 0.05   # ... and keep the outlined lines if they cover this much more (or fix a reject)
PAINT_KEYS = ("fill", "stroke", "fill-opacity", "stroke-opacity", "stroke-width", "display", "visibility")
KEEP_STYLE = ("stroke-width", "stroke-linecap", "stroke-linejoin", "stroke-miterlimit", "stroke-dasharray",
              "display", "visibility", "font-size", "font-family", "font-weight", "font-style", "fill-rule",
              "clip-rule", "marker", "marker-start", "marker-mid", "marker-end", "clip-path")
HIDDEN = "data-colorpaint-hidden"

# Quality filter (see training/data/README.md). "strict" is svg_pairs.py's verdict().
THRESHOLDS = {
    "strict": dict(fg=0.03, ink_lo=0.02, ink_hi=0.55, sat=0.15, flat=0.50, edge=0.60, inner=0.75, shapes=3),
    "character": dict(fg=0.02, ink_lo=0.015, ink_hi=0.60, sat=0.08, flat=0.35, edge=0.50, inner=0.60, shapes=3),
}


def local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def parse_style(s: str | None) -> dict:
    d = {}
    for part in (s or "").split(";"):
        if ":" in part:
            k, v = part.split(":", 1)
            d[k.strip()] = v.replace("!important", "").strip()
    return d


def parse_color(v):
    """(r, g, b), None for none, or the strings 'url' / 'unknown'."""
    if v is None:
        return "unknown"
    v = v.strip().lower()
    if v in ("none", "transparent"):
        return None
    if v.startswith("url("):
        return "url"
    if v.startswith("#"):
        h = v[1:]
        if len(h) in (3, 4):
            h = "".join(c * 2 for c in h[:3])
        try:
            return tuple(int(h[i:i + 2], 16) for i in (0, 2, 4))
        except ValueError:
            return "unknown"
    m = re.match(r"rgba?\(\s*([\d.]+)(%?)\s*,\s*([\d.]+)(%?)\s*,\s*([\d.]+)(%?)", v)
    if m:
        g = m.groups()
        return tuple(min(255, int(float(g[i]) * 2.55) if g[i + 1] else int(float(g[i]))) for i in (0, 2, 4))
    return NAMED.get(v, "unknown")


def luma(rgb) -> float:
    return 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]


def _float(v, default=1.0) -> float:
    try:
        return float(str(v).strip().rstrip("%")) / (100.0 if str(v).strip().endswith("%") else 1.0)
    except (TypeError, ValueError):
        return default


def read_svg(data: bytes) -> bytes:
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def parse(data: bytes) -> ET.Element:
    return ET.fromstring(read_svg(data))


def _css_rules(root) -> dict:
    """{selector: declarations} of simple selectors (.class, #id, tag) in <style> blocks."""
    rules: dict[str, dict] = {}
    for st in root.iter():
        if local(st.tag) != "style" or not st.text:
            continue
        text = re.sub(r"/\*.*?\*/", "", st.text, flags=re.S)
        for sels, body in re.findall(r"([^{}]+)\{([^{}]*)\}", text):
            decl = parse_style(body)
            for sel in sels.split(","):
                sel = sel.strip()
                if re.fullmatch(r"[.#]?[\w\-]+", sel):
                    rules.setdefault(sel, {}).update(decl)
    return rules


def _own_style(el, rules) -> dict:
    """Presentation attributes < class rules < the style attribute."""
    st = {}
    name = local(el.tag)
    for sel in [name] + ["." + c for c in (el.get("class") or "").split()] + (["#" + el.get("id")] if el.get("id") else []):
        st.update(rules.get(sel, {}))
    st.update(parse_style(el.get("style")))
    return st


def _gradient_mean(ids, ref, depth=0):
    """The mean (r, g, b) of the stops of gradient url(#id); None if it cannot be resolved."""
    m = re.match(r"url\(\s*['\"]?#([^)'\"]+)", ref or "")
    if not m or depth > 5 or m.group(1) not in ids:
        return None
    el = ids[m.group(1)]
    stops = [s for s in el if local(s.tag) == "stop"]
    if not stops:
        href = el.get("{%s}href" % XLINK) or el.get("href")
        return _gradient_mean(ids, "url(%s)" % href, depth + 1) if href else None
    cs = []
    for s in stops:
        st = parse_style(s.get("style"))
        c = parse_color(st.get("stop-color", s.get("stop-color", "#000")))
        if isinstance(c, tuple):
            cs.append(c)
    return tuple(sum(c[i] for c in cs) / len(cs) for i in range(3)) if cs else None


def _transform_scale(t: str | None) -> float:
    """How much a transform attribute scales lengths (the square root of its determinant)."""
    s = 1.0
    for fn, args in re.findall(r"(matrix|scale|rotate|translate|skewX|skewY)\s*\(([^)]*)\)", t or ""):
        v = [float(x) for x in re.findall(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?", args)]
        if fn == "matrix" and len(v) == 6:
            s *= abs(v[0] * v[3] - v[1] * v[2]) ** 0.5
        elif fn == "scale" and v:
            s *= abs(v[0] * (v[1] if len(v) > 1 else v[0])) ** 0.5
    return s


def _root_scale(root) -> float:
    vb = [float(x) for x in re.split(r"[\s,]+", (root.get("viewBox") or "").strip()) if x]
    size = natural_size(ET.tostring(ET.Element(root.tag, dict(root.attrib)))) if len(vb) == 4 else None
    if not size or vb[2] <= 0 or vb[3] <= 0:
        return 1.0
    return min(size[0] / vb[2], size[1] / vb[3])


def to_lineart(data: bytes, outline: float | None = None) -> tuple[bytes, dict]:
    """The line-art version of an SVG document: (svg bytes, counts).

    ``outline``: also outline every opaque fill that has no stroke of its own, with a black
    line this wide in document px (for drawings made of flat fills with no ink lines; the
    outline is the fill's own vector edge, so it still lines up exactly)."""
    root = parse(data)
    rules = _css_rules(root)
    ids = {el.get("id"): el for el in root.iter() if el.get("id")}
    info = {"has_image": 0, "grad_fills": 0, "n_shapes": 0, "n_strokes": 0, "n_ink_fills": 0, "n_outlined": 0,
            "n_blurred": 0}
    root_scale = _root_scale(root) if outline else 1.0

    def walk(el, inh, in_defs=False, hidden=False):
        name = local(el.tag)
        if not name:
            return
        hidden = hidden or el.get(HIDDEN) == "1"
        if name in ("defs", "symbol") and not in_defs:
            for ch in el:  # referenced through <use>: rewrite only paint set on the element itself
                walk(ch, {"opacity_acc": 1.0}, True, hidden)
            return
        if name in SKIP:
            return
        if name == "image":
            info["has_image"] += 0 if hidden else 1
            el.set("style", "display:none")
            return
        st = _own_style(el, rules)
        for k in PAINT_KEYS + ("opacity", "filter"):
            if k not in st and el.get(k) is not None:
                st[k] = el.get(k)
        if (st.get("filter") or "none") != "none" and name not in ("svg",):
            el.set("style", "display:none")  # blurred shapes are soft shadows and glows, never ink
            info["n_blurred"] += 0 if hidden else 1
            return
        if in_defs and "fill" not in st and "stroke" not in st:
            inh = dict(inh, scale=inh.get("scale", root_scale) * _transform_scale(el.get("transform")))
            for ch in el:
                walk(ch, inh, True, hidden)
            return
        cur = dict(inh)
        cur["scale"] = inh.get("scale", root_scale) * _transform_scale(el.get("transform"))
        for k in PAINT_KEYS:
            if k in st and st[k] != "inherit":
                cur[k] = st[k]
        if "opacity" in st:
            cur["opacity_acc"] = inh.get("opacity_acc", 1.0) * _float(st["opacity"])
        if name in SHAPES and not hidden:
            info["n_shapes"] += 1
        acc = cur.get("opacity_acc", 1.0)
        fop = _float(cur.get("fill-opacity", 1)) * acc
        sop = _float(cur.get("stroke-opacity", 1)) * acc
        fill = parse_color(cur.get("fill", "#000000"))  # the SVG default fill is black
        stroke = parse_color(cur.get("stroke", "none"))
        if fill == "url":
            info["grad_fills"] += 0 if hidden else 1
            gm = _gradient_mean(ids, cur.get("fill"))
            fill = (0, 0, 0) if (gm is not None and luma(gm) < DARK_LUMA and max(gm) < DARK_GRADIENT_MAX) else (255, 255, 255)
        if stroke == "url":
            gm = _gradient_mean(ids, cur.get("stroke"))
            stroke = (0, 0, 0) if (gm is not None and luma(gm) < 200) else None
        if fill == "unknown":
            fill = (255, 255, 255)
        if stroke == "unknown":
            stroke = (0, 0, 0)
        if fill is None or fop < MIN_FILL_OPACITY:
            nf = "none"
        elif max(fill) < DARK_MAX:
            nf = "#000000"
            info["n_ink_fills"] += int(name in SHAPES and not hidden)
        else:
            nf = "#ffffff"
        keep = {k: v for k, v in st.items() if k in KEEP_STYLE or (outline and k == "mask")}
        outlined = False
        if stroke is None or sop < MIN_STROKE_OPACITY:
            ns = "none"
            if outline and nf == "#ffffff" and name in FILLED and (not in_defs or "fill" in st):
                outlined = True
                ns = "#000000"
                keep.update({"stroke-width": "%.5g" % (outline / max(cur["scale"], 1e-9)), "stroke-dasharray": "none",
                             "stroke-linejoin": "round"})
                info["n_outlined"] += 0 if hidden else 1
        else:
            ns = "#000000"
            info["n_strokes"] += int(name in SHAPES and not hidden)
        keep.update({"fill": nf, "stroke": ns, "opacity": "1", "fill-opacity": "1", "stroke-opacity": "1"})
        if in_defs:
            if "fill" not in st:
                keep.pop("fill")
            if "stroke" not in st and not outlined:
                keep.pop("stroke")
        for a in ("fill", "stroke", "opacity", "fill-opacity", "stroke-opacity", "filter", "class") + (() if outline else ("mask",)):
            el.attrib.pop(a, None)
        el.set("style", ";".join("%s:%s" % kv for kv in keep.items()))
        if name == "use":
            return  # the referenced content takes the use's paint
        for ch in el:
            walk(ch, cur, in_defs, hidden)

    walk(root, {"opacity_acc": 1.0})
    for f in root.iter("{%s}filter" % SVGNS):  # blur shadows and the like
        for ch in list(f):
            f.remove(ch)
    return ET.tostring(root), info


def isolate(data: bytes, element_id: str) -> bytes:
    """The document with only ``element_id`` drawn (KTuberling-style sprite sheets).

    Every sibling along the path from the root to the element is wrapped in a <defs>
    (so a <use> inside the element can still reference it) and hidden ancestors are shown.
    """
    root = parse(data)
    parents = {c: p for p in root.iter() for c in p}
    target = next((el for el in root.iter() if el.get("id") == element_id), None)
    if target is None:
        raise KeyError(element_id)
    node = target
    while node is not root:
        parent = parents[node]
        for i, sib in enumerate(list(parent)):
            if sib is node or local(sib.tag) in NOT_DRAWN or not local(sib.tag):
                continue
            wrap = ET.Element("{%s}defs" % SVGNS, {HIDDEN: "1"})
            parent.remove(sib)
            wrap.append(sib)
            parent.insert(i, wrap)
        if parent is not root:
            st = parse_style(parent.get("style"))
            st.pop("display", None)
            st.pop("visibility", None)
            parent.set("style", ";".join("%s:%s" % kv for kv in st.items()))
            parent.attrib.pop("display", None)
            parent.attrib.pop("visibility", None)
        node = parent
    return ET.tostring(root)


# ------------------------------------------------------------------ rendering

_UNITS = {"": 1.0, "px": 1.0, "pt": 4 / 3, "pc": 16.0, "mm": 96 / 25.4, "cm": 96 / 2.54, "in": 96.0}


def _length(v):
    m = re.fullmatch(r"\s*([-+]?[\d.]+(?:e[-+]?\d+)?)\s*([a-z%]*)\s*", v or "", re.I)
    if not m or m.group(2).lower() not in _UNITS:
        return None
    return float(m.group(1)) * _UNITS[m.group(2).lower()]


def _root_element(data: bytes) -> ET.Element:
    """The root element alone (its attributes), without parsing the whole document."""
    for _, el in ET.iterparse(io.BytesIO(read_svg(data)), events=("start",)):
        return el
    raise ValueError("empty SVG")


def natural_size(data: bytes):
    """The document's size in CSS px at zoom 1, or None when it depends on the content."""
    root = _root_element(data)
    w, h = _length(root.get("width")), _length(root.get("height"))
    vb = [float(x) for x in re.split(r"[\s,]+", (root.get("viewBox") or "").strip()) if x] if root.get("viewBox") else []
    if len(vb) == 4 and vb[2] > 0 and vb[3] > 0:
        if w is None and h is None:
            return vb[2], vb[3]
        if w is None and root.get("width") is None:
            return h * vb[2] / vb[3], h
        if h is None and root.get("height") is None:
            return w, w * vb[3] / vb[2]
    if w and h:
        return w, h
    return None


def renderer() -> str:
    return "rsvg" if shutil.which("rsvg-convert") else "qt"


def render(data: bytes, zoom: float, left: float, top: float, width: int, height: int,
           background: bool = True, engine: str | None = None, timeout: float = 60) -> Image.Image:
    """The drawing scaled by ``zoom`` and shifted by (left, top) px on a width x height page.

    RGB on white with ``background``, else RGBA on transparent."""
    if (engine or renderer()) == "rsvg":
        cmd = ["rsvg-convert", "-z", "%.6f" % zoom, "--left=%.4fpx" % left, "--top=%.4fpx" % top,
               "--page-width=%dpx" % width, "--page-height=%dpx" % height, "-f", "png"]
        if background:
            cmd += ["-b", "white"]
        p = subprocess.run(cmd, input=read_svg(data), capture_output=True, timeout=timeout)
        if p.returncode != 0 or not p.stdout:
            raise RuntimeError("rsvg-convert: " + p.stderr.decode(errors="replace")[:200].strip())
        im = Image.open(io.BytesIO(p.stdout))
        im.load()
    else:
        im = _render_qt(read_svg(data), zoom, left, top, width, height)
    return _flatten(im) if background else im.convert("RGBA")


def _render_qt(data, zoom, left, top, width, height):
    from PySide6.QtCore import QByteArray, QRectF
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    r = QSvgRenderer(QByteArray(data))
    if not r.isValid():
        raise RuntimeError("Qt could not read the SVG")
    size = natural_size(data) or (r.defaultSize().width(), r.defaultSize().height())
    img = QImage(width, height, QImage.Format_RGBA8888)
    img.fill(0)
    p = QPainter(img)
    p.setRenderHint(QPainter.Antialiasing)
    r.render(p, QRectF(left, top, size[0] * zoom, size[1] * zoom))
    p.end()
    arr = np.frombuffer(img.constBits(), np.uint8).reshape(height, img.bytesPerLine() // 4, 4)[:, :width].copy()
    return Image.fromarray(arr, "RGBA")


def _flatten(im: Image.Image) -> Image.Image:
    """On white, RGB."""
    if im.mode == "RGB":
        return im
    bg = Image.new("RGBA", im.size, (255, 255, 255, 255))
    return Image.alpha_composite(bg, im.convert("RGBA")).convert("RGB")


def _alpha_box(im: Image.Image, thresh: int = 8):
    a = np.asarray(im)[..., 3] >= thresh
    ys, xs = np.nonzero(a)
    if not len(xs):
        return None
    return xs.min(), ys.min(), xs.max() + 1, ys.max() + 1


def content_box(data: bytes, probe: int = 1024, engine: str | None = None):
    """The drawn extent (x0, y0, x1, y1) in document px at zoom 1, inside the page."""
    size = natural_size(data)
    if size is None:  # the page size comes from the content: ask the renderer
        im = render(data, 1.0, 0, 0, 4096, 4096, background=False, engine=engine)
        box = _alpha_box(im)
        size = (box[2], box[3]) if box else (1, 1)
    pw, ph = size
    if pw <= 0 or ph <= 0:
        return None
    z = probe / max(pw, ph)
    box = _alpha_box(render(data, z, 0, 0, max(1, int(np.ceil(pw * z))), max(1, int(np.ceil(ph * z))), False, engine))
    if box is None:
        return None
    x0, y0, x1, y1 = (v / z for v in box)
    if max(x1 - x0, y1 - y0) * z < probe / 4:  # a small part of a large page: look again, closer
        pad = 0.1 * max(x1 - x0, y1 - y0) + 2 / z
        x0, y0, x1, y1 = max(0, x0 - pad), max(0, y0 - pad), min(pw, x1 + pad), min(ph, y1 + pad)
        z2 = probe / max(x1 - x0, y1 - y0)
        box2 = _alpha_box(render(data, z2, -x0 * z2, -y0 * z2, max(1, int(np.ceil((x1 - x0) * z2))),
                                 max(1, int(np.ceil((y1 - y0) * z2))), False, engine))
        if box2 is None:
            return None
        x0, y0, x1, y1 = x0 + box2[0] / z2, y0 + box2[1] / z2, x0 + box2[2] / z2, y0 + box2[3] / z2
    return x0, y0, x1, y1


# ------------------------------------------------------------------ metrics


def metrics(color: Image.Image, line: Image.Image) -> dict:
    """svg_pairs.py's measures: how much is drawn, colored, flat, and edged by a line."""
    c = np.asarray(color).astype(np.int16)
    ink = np.asarray(line.convert("L")) < 128
    fg = (c < 245).any(-1)
    nfg = max(int(fg.sum()), 1)
    mx, mn = c.max(-1), c.min(-1)
    sat = ((mx - mn) / np.maximum(mx, 1) > 0.25) & (mx > 50) & fg
    dr = np.abs(c[:, 1:] - c[:, :-1])
    dd = np.abs(c[1:] - c[:-1])
    flat = np.zeros_like(fg)
    flat[:-1, :-1] = (dr[:-1].max(-1) <= 1) & (dd[:, :-1].max(-1) <= 1)
    flat &= fg
    er = np.zeros_like(fg)
    ed = np.zeros_like(fg)
    er[:, :-1] = dr.sum(-1) > 60
    ed[:-1] = dd.sum(-1) > 60
    k3, k5 = np.ones((3, 3), np.uint8), np.ones((5, 5), np.uint8)
    edge = (er | ed) & cv2.dilate(fg.astype(np.uint8), k3).astype(bool)
    near = cv2.dilate(ink.astype(np.uint8), k5).astype(bool)
    fgr = np.zeros_like(fg)
    fgr[:, :-1] = fg[:, 1:]
    fgd = np.zeros_like(fg)
    fgd[:-1] = fg[1:]
    inner = (er & fg & fgr) | (ed & fg & fgd)
    cov = (edge & near).sum() / max(edge.sum(), 1)
    icov = (inner & near).sum() / max(inner.sum(), 1) if inner.sum() > 50 else 1.0
    return {"fg_frac": fg.sum() / fg.size, "ink_frac": ink.sum() / nfg, "sat_frac": sat.sum() / nfg,
            "flat_frac": flat.sum() / nfg, "edge_cov": float(cov), "inner_cov": float(icov)}


def verdict(m: dict, info: dict, rule: str = "strict") -> list[str]:
    """The reasons to reject a pair under the thresholds ``rule``; empty when it is kept."""
    t = THRESHOLDS[rule]
    why = []
    if info.get("has_image"):
        why.append("bitmap")
    if info.get("n_shapes", t["shapes"]) < t["shapes"]:
        why.append("too_simple")
    if m["fg_frac"] < t["fg"]:
        why.append("tiny")
    if m["ink_frac"] < t["ink_lo"]:
        why.append("no_lines")
    if m["ink_frac"] > t["ink_hi"]:
        why.append("ink_blob")
    if m["sat_frac"] < t["sat"]:
        why.append("no_color")
    if m["flat_frac"] < t["flat"]:
        why.append("gradient")
    if m["edge_cov"] < t["edge"] or m["inner_cov"] < t["inner"]:
        why.append("lines_miss_edges")
    return why


# ------------------------------------------------------------------ pairs


@dataclass
class Pair:
    color: Image.Image  # RGB, size x size, on white
    line: Image.Image  # L, black lines on white, aligned with color
    width: int  # the drawing's size inside the canvas
    height: int
    info: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    reject: list = field(default_factory=list)  # verdict() under the rule asked for; empty: keep


def _placement(box, size, margin):
    x0, y0, x1, y1 = box
    bw, bh = max(x1 - x0, 1e-6), max(y1 - y0, 1e-6)
    z = (size - 2 * margin) / max(bw, bh)
    return z, size / 2 - (x0 + bw / 2) * z, size / 2 - (y0 + bh / 2) * z, bw, bh


def fit_color(svg: bytes, box, size: int = 512, margin: int = 16, engine=None) -> Image.Image:
    """The color image alone, placed as fit_render places it."""
    z, left, top, _, _ = _placement(box, size, margin)
    return _flatten(render(svg, z, left, top, size, size, True, engine))


def fit_render(color_svg: bytes, line_svg: bytes, box, size: int = 512, margin: int = 16, engine=None,
               color: bool = True) -> Pair:
    """Render both documents with the same transform: ``box`` fitted into size - 2 * margin, centred."""
    z, left, top, bw, bh = _placement(box, size, margin)
    color = _flatten(render(color_svg, z, left, top, size, size, True, engine)) if color else None
    line = _flatten(render(line_svg, z, left, top, size, size, True, engine)).convert("L")
    return Pair(color, line, round(bw * z), round(bh * z))


def make_pair(data: bytes, size: int = 512, element: str | None = None, margin: int = 16, engine=None,
              rule: str = "strict", outline_px: float | None = OUTLINE_PX) -> Pair:
    """The (color, line) pair of an SVG document, or of one element of it, with its measures.

    When the drawing's own lines miss its color edges under ``rule`` (a drawing of flat
    fills with no ink), the line image is made again with every opaque fill outlined
    ``outline_px`` wide (``info["line_mode"]`` says "outlined", else "ink")."""
    svg = isolate(data, element) if element else read_svg(data)
    line_svg, info = to_lineart(svg)
    box = content_box(svg, engine=engine)
    if box is None:
        raise ValueError("nothing drawn")
    pair = fit_render(svg, line_svg, box, size, margin, engine)
    pair.info = dict(info, line_mode="ink")
    pair.metrics = {k: round(float(v), 4) for k, v in metrics(pair.color, pair.line).items()}
    pair.reject = verdict(pair.metrics, info, rule)
    cov = min(pair.metrics["edge_cov"], pair.metrics["inner_cov"])
    if outline_px and ("lines_miss_edges" in pair.reject or "no_lines" in pair.reject or cov < OUTLINE_BELOW):
        z = _placement(box, size, margin)[0]
        line_svg2, info2 = to_lineart(svg, outline=outline_px / z)
        if info2["n_outlined"]:
            line2 = fit_render(svg, line_svg2, box, size, margin, engine, color=False).line
            m2 = {k: round(float(v), 4) for k, v in metrics(pair.color, line2).items()}
            why2 = verdict(m2, info2, rule)
            better = min(m2["edge_cov"], m2["inner_cov"]) >= cov + OUTLINE_GAIN
            if (len(why2) < len(pair.reject)) or (len(why2) <= len(pair.reject) and better):
                pair.line, pair.metrics, pair.reject = line2, m2, why2
                pair.info = dict(info2, line_mode="outlined")
    return pair


def fingerprint(color: Image.Image) -> np.ndarray:
    """A 16x16 gray thumbnail (float) for spotting the same drawing twice."""
    return np.asarray(color.convert("L").resize((16, 16), Image.BILINEAR), np.float32)
