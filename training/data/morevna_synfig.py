"""Color + exact line-art pairs from the Morevna project's Synfig characters (CC0).

Synfig (.sif) drawings are outlines and filled regions, like SVG, so the line art is the
same file with its paint changed, rendered by the same renderer (Debian ``synfig``):

* region / polygon / rectangle / star / solid-color fills -> white (near-black ones stay
  black: ink shapes such as black hair); fills that only shade what is under them
  (blend "onto", multiply and the other non-composite modes, or amount / alpha < 0.6)
  are switched off;
* outline and advanced-outline layers -> black (their widths are kept: the character's
  own ink lines, which are colored in the color image);
* gradients, drop shades, blurs and imported bitmaps are switched off.

Every .sif of the character folder is rewritten this way into a copy of the folder (the
characters import their heads, hands and feet from ``resources/*.sif``), the color
frame is rendered from the original and the line frame from the copy with the same
size and time, and both are cropped to the color frame's drawn extent and fitted into
SIZE x SIZE with the same transform, so they line up exactly.

Poses: the characters are rigged with a "stickman" skeleton whose bone angles are
exported values (``(stk)-elbow1-t`` ...). Besides the pose in the file, ``poses`` more
are made by turning the arm, leg, head and body bones by a seeded random amount (at most
``max_turn`` degrees; head and body 0.4 of that). The rig's head-turn switch is left as
it is: in these files it can pick a head of the other character.
"""
from __future__ import annotations

import os
import random
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
from PIL import Image

FILLS = {"region", "polygon", "rectangle", "circle", "star", "checker_board", "SolidColor", "solid_color", "filled_rectangle"}
OUTLINES = {"outline", "advanced_outline"}
OFF = {"radial_gradient", "linear_gradient", "conical_gradient", "spiral_gradient", "noise", "shade", "bevel", "import",
       "blur", "radial_blur", "motion_blur", "curve_gradient"}
COMPOSITE, STRAIGHT, BEHIND, ALPHA_OVER = 0, 1, 12, 19
DARK = (80 / 255) ** 2.2  # Synfig stores linear colors (gamma 2.2): max(r, g, b) below this is ink
GAMMA = 2.2


def _param(layer, name):
    for p in layer.findall("param"):
        if p.get("name") == name:
            return p
    return None


def _literal(layer, name, tag, default):
    p = _param(layer, name)
    el = p.find(tag) if p is not None else None
    try:
        return type(default)(el.get("value")) if el is not None else default
    except (TypeError, ValueError):
        return default


def _color_of(layer):
    p = _param(layer, "color")
    c = p.find("color") if p is not None else None
    if c is None:
        return None
    try:
        return tuple(float(c.find(k).text) for k in "rgba")
    except (AttributeError, TypeError, ValueError):
        return None


def _set_color(layer, rgba):
    p = _param(layer, "color")
    if p is None:
        return
    for k in list(p):
        p.remove(k)
    p.attrib.pop("use", None)
    c = ET.SubElement(p, "color")
    for k, v in zip("rgba", rgba):
        ET.SubElement(c, k).text = "%.6f" % v


def _set_amount(layer):
    """Fully opaque (a kept fill or line at 0.7 would come out gray)."""
    p = _param(layer, "amount")
    r = p.find("real") if p is not None else None
    if r is not None:
        r.set("value", "1.0000000000")


def lineart_sif(data: bytes) -> tuple[bytes, dict]:
    """The line-art version of a Synfig document: (sif bytes, counts)."""
    root = ET.fromstring(data)
    n = {"fills_white": 0, "fills_ink": 0, "shading_off": 0, "outlines": 0, "effects_off": 0}
    for layer in root.iter("layer"):
        t = layer.get("type")
        if layer.get("active") == "false":
            continue
        blend = _literal(layer, "blend_method", "integer", 0)
        amount = _literal(layer, "amount", "real", 1.0)
        color = _color_of(layer)
        alpha = color[3] if color else 1.0
        if t in OFF:
            layer.set("active", "false")
            n["effects_off"] += 1
        elif t in FILLS:
            if blend == ALPHA_OVER:
                continue  # cuts a hole: keep
            if blend not in (COMPOSITE, STRAIGHT, BEHIND) or amount < 0.6 or alpha < 0.6:
                layer.set("active", "false")
                n["shading_off"] += 1
            elif color is not None and max(color[:3]) < DARK:
                _set_color(layer, (0, 0, 0, 1))
                _set_amount(layer)
                n["fills_ink"] += 1
            else:
                _set_color(layer, (1, 1, 1, 1))
                _set_amount(layer)
                n["fills_white"] += 1
        elif t in OUTLINES or t == "text":
            if amount < 0.3 or alpha < 0.3:
                layer.set("active", "false")
                continue
            _set_color(layer, (0, 0, 0, 1))
            _set_amount(layer)
            n["outlines"] += 1
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True), n


def line_tree(src: str, dst: str) -> dict:
    """Copy the folder ``src`` to ``dst`` with every .sif rewritten by lineart_sif."""
    total: dict[str, int] = {}
    for dp, dn, fn in os.walk(src):
        dn.sort()
        for f in sorted(fn):
            s = os.path.join(dp, f)
            d = os.path.join(dst, os.path.relpath(s, src))
            os.makedirs(os.path.dirname(d), exist_ok=True)
            if f.endswith(".sif"):
                out, n = lineart_sif(Path(s).read_bytes())
                Path(d).write_bytes(out)
                for k, v in n.items():
                    total[k] = total.get(k, 0) + v
            else:
                shutil.copyfile(s, d)
    return total


def synfig_render(sif: str, out_png: str, width: int, height: int, time: str = "0", timeout: float = 300) -> Image.Image:
    p = subprocess.run(["synfig", sif, "-t", "png", "-o", out_png, "--time", time, "-w", str(width), "-h", str(height)],
                       capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0 or not os.path.exists(out_png):
        raise RuntimeError("synfig: " + (p.stderr or p.stdout)[-300:])
    im = Image.open(out_png)
    im.load()
    return im.convert("RGBA")


def _on_white(im: Image.Image) -> Image.Image:
    bg = Image.new("RGBA", im.size, (255, 255, 255, 255))
    return Image.alpha_composite(bg, im).convert("RGB")


def fit_pair(color_rgba: Image.Image, line_rgba: Image.Image, size: int = 512, margin: int = 16):
    """Crop both frames to the color frame's drawn extent and fit them, centred, into size x size."""
    a = np.asarray(color_rgba)[..., 3] >= 8
    ys, xs = np.nonzero(a)
    if not len(xs):
        raise ValueError("nothing drawn")
    box = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
    bw, bh = box[2] - box[0], box[3] - box[1]
    s = (size - 2 * margin) / max(bw, bh)
    w, h = max(1, round(bw * s)), max(1, round(bh * s))
    out = []
    for im, mode in ((color_rgba, "RGB"), (line_rgba, "L")):
        crop = _on_white(im.crop(box)).resize((w, h), Image.LANCZOS)
        canvas = Image.new("RGB", (size, size), "white")
        canvas.paste(crop, ((size - w) // 2, (size - h) // 2))
        out.append(canvas.convert(mode))
    return out[0], out[1], w, h


# ------------------------------------------------------------------ poses

BONES = ("elbow1-t", "elbow2-t", "wrist1-t", "wrist2-t", "palm1-t", "palm2-t", "knee1-t", "knee2-t", "hip1-t",
         "hip2-t", "head-t", "body-t")


def pose_variant(data: bytes, rng: random.Random, max_turn: float) -> bytes:
    """The document with its skeleton's exported bone angles turned."""
    root = ET.fromstring(data)
    defs = root.find("defs")
    if defs is None:
        return data
    for el in defs:
        i = el.get("id") or ""
        if el.tag == "angle" and i.startswith("(stk)-") and i[6:] in BONES:
            turn = max_turn * (0.4 if i[6:] in ("head-t", "body-t") else 1.0)
            el.set("value", "%.6f" % (float(el.get("value")) + rng.uniform(-turn, turn)))
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True)


def morevna_pairs(root: str, work: str, size: int = 512, poses: int = 8, max_turn: float = 25.0, seed: int = 0,
                  render_w: int = 1920, render_h: int = 1080, log=print):
    """Yield (name, variant, color, line, width, height, counts) for each character view and pose."""
    root = os.path.abspath(root)
    chars = sorted(p for p in Path(root).glob("character-*/*.sif"))
    for sif in chars:
        char_dir = str(sif.parent)
        tmp = tempfile.mkdtemp(prefix="mv_", dir=work)
        try:
            color_dir, line_dir = os.path.join(tmp, "color"), os.path.join(tmp, "line")
            shutil.copytree(char_dir, color_dir)
            counts = line_tree(char_dir, line_dir)
            base = sif.read_bytes()
            rng = random.Random("%d:%s" % (seed, sif.name))
            for v in range(poses + 1):
                variant = "pose%02d" % v
                data = base if v == 0 else pose_variant(base, rng, max_turn)
                line_data = lineart_sif(data)[0]
                cpath, lpath = os.path.join(color_dir, "_v.sif"), os.path.join(line_dir, "_v.sif")
                Path(cpath).write_bytes(data)
                Path(lpath).write_bytes(line_data)
                try:
                    c = synfig_render(cpath, os.path.join(tmp, "c.png"), render_w, render_h)
                    ln = synfig_render(lpath, os.path.join(tmp, "l.png"), render_w, render_h)
                    color, line, w, h = fit_pair(c, ln, size)
                except (RuntimeError, ValueError, subprocess.TimeoutExpired) as e:
                    log(f"morevna {sif.name} {variant}: {e}")
                    continue
                yield sif, variant, color, line, w, h, counts
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

