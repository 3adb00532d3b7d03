"""Clean cel color in the window: flat mode, the region overlay, the fill preview and the
palette lock (issue 7).

:class:`RegionsPanel` is the dock's widgets: it shows the project's settings and reports
the artist's choices as signals. :class:`RegionTools` binds it to the window: it keeps
the settings in the project (``flat``, ``gap``, ``tolerance`` and ``use_palette``, saved with it), draws
the region overlay and the fill preview on the canvas, loads the show's palette, and
gives the window what its colorize requests need (:meth:`RegionTools.flat_options`).

The engine side is Qt-free: :func:`colorpaint.engine.flat.flat_job` makes a colorize
result flat on the worker, exactly as ``colorpaint-cli colorize --flat`` does.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QDockWidget, QGridLayout, QHBoxLayout, QLabel, QPushButton, QSpinBox,
                               QWidget)

from ..app.requests import frame_options, locked_palette
from ..core.color import rgb_to_luma
from ..core.imageio import ImageError
from ..engine.options import MAX_GAP, MAX_TOLERANCE, ink_level
from ..project.settings import ProjectSettings
from .qt_worker import LatestRequest

OVERLAY_ALPHA = 150  # region overlay: pastel at ~60 %, lines stay readable through it
PREVIEW_ALPHA = 120  # fill preview: the brush color at ~47 %, with an outline


def pastel_colors(n: int, seed: int = 0) -> np.ndarray:
    """``(n+1)x3 uint8 RGB`` pastel colors for labels 0..n (row 0 unused): hues spread by the
    golden ratio so neighbouring labels differ, light and soft so lines stay readable."""
    i = np.arange(n + 1, dtype=np.float64)
    rng = np.random.default_rng(seed)
    hue = (i * 0.6180339887 + rng.random()) % 1.0
    sat = 0.35 + 0.2 * ((i * 0.7548776662) % 1.0)
    hsv = np.stack([hue * 180, sat * 255, np.full_like(hue, 245)], 1).astype(np.uint8)[None]
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0]


def region_overlay(labels: np.ndarray, n: int | None = None, alpha: int = OVERLAY_ALPHA) -> np.ndarray:
    """``HxWx4 uint8 RGBA``: each region of ``labels`` (``HxW int32``, 0 on lines) in its own
    pastel color, lines transparent."""
    n = int(labels.max()) if n is None else n
    lut = np.zeros((n + 1, 4), np.uint8)
    lut[:, :3] = pastel_colors(n)
    lut[1:, 3] = alpha
    return lut[labels]


EDGE_BAND = 2  # px of line next to a region that a fill preview tints with it


def fill_preview(labels: np.ndarray, x: int, y: int, color, alpha: int = PREVIEW_ALPHA):
    """Where a fill at (x, y) would go: ``(hxwx4 uint8 RGBA, (x0, y0), info)`` or None on a line.

    The region's bounding box is tinted with ``color`` (r, g, b) and outlined in black or
    white (whichever stands out from ``color``). ``info``: ``label``, ``area`` (pixels),
    ``share`` (of the frame) and ``edge`` (the region reaches the frame's border: usually
    the background, so a fill meant for a closed shape would leak there).
    """
    h, w = labels.shape
    if not (0 <= x < w and 0 <= y < h) or labels[y, x] == 0:
        return None
    lab = int(labels[y, x])
    mask = (labels == lab).view(np.uint8)
    x0, y0, bw, bh = cv2.boundingRect(mask)
    area = int(cv2.countNonZero(mask[y0:y0 + bh, x0:x0 + bw]))
    # the line pixels hugging the region (up to EDGE_BAND px) take the fill's color too, as
    # the colors under the ink do: at a high tolerance an anti-aliased line's light edge
    # counts as line, and the preview would show it as an unfilled band
    b = EDGE_BAND
    x0, y0, x1, y1 = max(0, x0 - b), max(0, y0 - b), min(w, x0 + bw + b), min(h, y0 + bh + b)
    box = mask[y0:y1, x0:x1]
    grown = cv2.dilate(box, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * b + 1, 2 * b + 1)))
    m = (box | (grown & (labels[y0:y1, x0:x1] == 0).view(np.uint8))).astype(np.uint8)
    bh, bw = m.shape
    rgba = np.zeros((bh, bw, 4), np.uint8)
    rgba[m.view(bool)] = tuple(int(v) for v in color) + (alpha,)
    edge_px = cv2.subtract(m, cv2.erode(m, np.ones((3, 3), np.uint8), borderType=cv2.BORDER_CONSTANT, borderValue=0)).view(bool)
    ink = (0, 0, 0) if (0.299 * color[0] + 0.587 * color[1] + 0.114 * color[2]) > 110 else (255, 255, 255)
    rgba[edge_px] = ink + (230,)
    edge = any(bool((side == lab).any()) for side in (labels[0], labels[-1], labels[:, 0], labels[:, -1]))
    return rgba, (x0, y0), {"label": lab, "area": area, "share": area / float(h * w), "edge": edge}


class RegionsPanel(QWidget):
    """The Regions dock: flat mode, gap closing, region overlay, palette lock, flats export."""

    flatToggled = Signal(bool)
    gapChanged = Signal(int)
    toleranceChanged = Signal(int)
    overlayToggled = Signal(bool)
    lockToggled = Signal(bool)
    loadPaletteRequested = Signal()
    pickPaletteRequested = Signal()  # pick the palette from a reference image
    exportFlatsRequested = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("regions")
        g = QGridLayout(self)
        g.setContentsMargins(6, 6, 6, 6)
        self.flat = QCheckBox("Flat colors")
        self.flat.setObjectName("flatToggle")
        self.flat.setToolTip("One color per closed region: a hint colors its whole region, the model colors the rest; "
                             "the lines stay on top")
        self.flat.toggled.connect(self.flatToggled)
        self.gap = QSpinBox()
        self.gap.setObjectName("gapSize")
        self.gap.setRange(0, MAX_GAP)
        self.gap.setValue(ProjectSettings.gap)
        self.gap.setSuffix(" px")
        self.gap.setToolTip("Gap closing: breaks in a line up to this many pixels do not leak (flat colors and fills)")
        self.gap.valueChanged.connect(self.gapChanged)
        self.tolerance = QSpinBox()
        self.tolerance.setObjectName("fillTolerance")
        self.tolerance.setRange(0, MAX_TOLERANCE)
        self.tolerance.setValue(ProjectSettings.tolerance)
        self.tolerance.setSpecialValueText("Auto")  # 0: the ink level is picked from the drawing
        self.tolerance.setSuffix(" %")
        self.tolerance.setToolTip("Fill tolerance: pixels up to this light (percent of white) count as line and stop "
                                  "fills. Raise it so faint pencil or gray lines close a region; lower it to fill over "
                                  "light sketch lines. Auto picks the level from the drawing")
        self.tolerance.valueChanged.connect(self.toleranceChanged)
        self.overlay = QCheckBox("Show regions")
        self.overlay.setObjectName("regionOverlayToggle")
        self.overlay.setToolTip("Show the closed regions in random pastel colors")
        self.overlay.toggled.connect(self.overlayToggled)
        self.count = QLabel("")
        self.count.setObjectName("regionCount")
        self.lock = QCheckBox("Lock to palette")
        self.lock.setObjectName("paletteLock")
        self.lock.setToolTip("Snap every region (hinted ones too) to the nearest palette color (ΔE00); turns flat colors on")
        self.lock.toggled.connect(self.lockToggled)
        load = QPushButton("Load .gpl…")
        load.setObjectName("loadShowPalette")
        load.setToolTip("Use a GIMP palette as the show's palette (replaces the saved colors)")
        load.clicked.connect(self.loadPaletteRequested)
        pick = QPushButton("From image…")
        pick.setObjectName("pickPalette")
        pick.setToolTip("Pick the palette from a reference image (model sheet); replaces the saved colors")
        pick.clicked.connect(self.pickPaletteRequested)
        self.k = QSpinBox()
        self.k.setObjectName("paletteSize")
        self.k.setRange(2, 64)
        self.k.setValue(12)
        self.k.setToolTip("How many colors to pick from a reference image")
        export = QPushButton("Export flats (.ora)…")
        export.setObjectName("exportFlats")
        export.setToolTip("Layered OpenRaster: one layer per color, named from the palette, line art on top")
        export.clicked.connect(self.exportFlatsRequested)
        self.palette_label = QLabel("")
        self.palette_label.setObjectName("lockPaletteLabel")
        self.palette_label.setWordWrap(True)

        g.addWidget(self.flat, 0, 0)
        row = QHBoxLayout()
        row.addWidget(QLabel("Gap"))
        row.addWidget(self.gap)
        row.addWidget(QLabel("Tolerance"))
        row.addWidget(self.tolerance)
        g.addLayout(row, 0, 1)
        g.addWidget(self.overlay, 1, 0)
        g.addWidget(self.count, 1, 1)
        g.addWidget(self.lock, 2, 0)
        g.addWidget(self.palette_label, 2, 1)
        row = QHBoxLayout()
        row.addWidget(load)
        row.addWidget(pick)
        row.addWidget(self.k)
        g.addLayout(row, 3, 0, 1, 2)
        g.addWidget(export, 4, 0, 1, 2)
        g.setRowStretch(5, 1)
        self.controls = [self.flat, self.gap, self.tolerance, self.overlay, self.lock, load, pick, self.k, export]
        self.setMaximumHeight(self.sizeHint().height() + 20)

    def refresh(self, project) -> None:
        """Show ``project``'s settings (None: no project, everything disabled)."""
        for w in self.controls:
            w.setEnabled(project is not None)
        s = project.typed_settings if project is not None else ProjectSettings()
        for w, v in ((self.flat, s.flat), (self.lock, s.use_palette)):
            if w.isChecked() != v:
                w.blockSignals(True)
                w.setChecked(v)
                w.blockSignals(False)
        for box, v in ((self.gap, s.gap), (self.tolerance, s.tolerance)):
            if box.value() != v:
                box.blockSignals(True)
                box.setValue(v)
                box.blockSignals(False)
        n = len(project.palette.saved) if project is not None else 0
        self.palette_label.setText(f"{n} colors" if n else "no palette")


class RegionTools(QObject):
    """Binds the Regions dock to the window: settings in the project, overlays on the canvas."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.win = window
        self.panel = RegionsPanel()
        self.dock = QDockWidget("Regions", window)
        self.dock.setObjectName("regionsDock")
        self.dock.setWidget(self.panel)
        self.dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        palette_dock = window.findChild(QDockWidget, "paletteDock")
        if palette_dock is not None:
            window.splitDockWidget(palette_dock, self.dock, Qt.Orientation.Vertical)
        self.runner = window.workers.background  # region maps and fill previews: cheap, cancellable
        self.requests = LatestRequest(self.runner)
        self.project = None
        self.labels: np.ndarray | None = None  # flat-mode regions of the current frame (for the overlay)
        self.region_count = 0
        self._hover: tuple | None = None  # (frame id, gap, tolerance, label, brush color) the fill preview shows
        self.last_preview: dict | None = None
        p = self.panel
        p.flatToggled.connect(lambda on: self._set("flat", bool(on)))
        p.gapChanged.connect(lambda v: self._set("gap", int(v)))
        p.toleranceChanged.connect(lambda v: self._set("tolerance", int(v)))
        p.lockToggled.connect(self.set_lock)
        p.overlayToggled.connect(lambda on: self.update_overlay())
        p.loadPaletteRequested.connect(self.load_palette_dialog)
        p.pickPaletteRequested.connect(self.pick_palette_dialog)
        p.exportFlatsRequested.connect(lambda: window.export_dialog("flats"))
        c = window.canvas
        c.cursorMoved.connect(self._on_hover)
        c.hoverLeft.connect(self.clear_preview)
        c.fillRequested.connect(lambda x, y: self._hover_reset())

    # ------------------------------------------------------------------ settings (in the project)
    @property
    def flat(self) -> bool:
        return bool(self.project and self.project.typed_settings.flat)

    @property
    def gap(self) -> int:
        return self.project.typed_settings.gap if self.project else int(self.panel.gap.value())

    @property
    def tolerance(self) -> int:
        """Fill tolerance: pixels up to this light (percent of white) are line; 0 = Auto."""
        return self.project.typed_settings.tolerance if self.project else int(self.panel.tolerance.value())

    @property
    def locked(self) -> bool:
        return bool(self.project and self.project.typed_settings.use_palette)

    def flat_options(self) -> dict:
        """``ColorizeRequest.options`` of the window's frame requests
        (:func:`~colorpaint.app.requests.frame_options`): ``{"flat": bool, "gap": px}``; the
        palette goes in the request's ``palette`` when locked."""
        return frame_options(self.project) if self.project else {"flat": False, "gap": self.gap}

    def palette(self) -> tuple:
        """The lock palette ``((r, g, b), ...)``, or () when the lock is off."""
        return locked_palette(self.project) if self.project else ()

    def snap_color(self, color) -> tuple[int, int, int]:
        """``color`` (r, g, b), or with the palette locked its nearest palette color (ΔE00), so
        hints are painted, shown and saved in the show's colors."""
        from ..core.regions import palette_to_lab, snap_to_palette

        c = tuple(int(v) for v in color)
        pal = self.palette()
        if not pal:
            return c
        return pal[int(snap_to_palette(palette_to_lab([c]), palette_to_lab(pal))[0])]

    def set_flat(self, on: bool) -> None:
        self._set("flat", bool(on))

    def set_gap(self, px: int) -> None:
        self._set("gap", int(px))

    def set_tolerance(self, percent: int) -> None:
        self._set("tolerance", int(percent))

    def set_lock(self, on: bool) -> None:
        """Palette lock; turning it on turns flat colors on (snapping works on regions)."""
        if self.project is None:
            return
        if on and not self.project.palette.saved:
            self.panel.refresh(self.project)
            self.win.statusBar().showMessage("The palette is empty: load a .gpl or pick colors from an image first", 6000)
            return
        self._set("use_palette", bool(on))
        if on:
            self._set("flat", True)

    def _set(self, key: str, value) -> None:
        if self.project is not None:
            self.project.set_setting(key, value)

    def set_project(self, project) -> None:
        """Follow ``project`` (called by the window after it subscribed to the new project)."""
        self.requests.cancel()
        self.project = project
        self.labels, self.region_count = None, 0
        self._hover = None
        if project is not None:
            ev = project.events
            ev.settings.connect(self._on_settings)
            ev.current.connect(lambda frame: self._on_frame())
            ev.palette.connect(lambda: self._on_palette(project))
        self.panel.refresh(project)
        self._on_frame()

    def _on_settings(self, key) -> None:
        if key not in ("flat", "gap", "tolerance", "use_palette"):
            return
        self.panel.refresh(self.project)
        if key == "use_palette":
            self.win.set_color(self.win.brush_wish)  # snaps when the lock is on; back to the artist's color when off
        if key in ("gap", "tolerance"):
            self.update_overlay()
            self._hover_reset()
        if self.win.live.on:
            self.win.schedule_live()
        else:
            f = self.project.current_frame if self.project else None
            if f is not None and f.result is not None:
                self.win.statusBar().showMessage("Colorize again (Ctrl+Enter) to apply the new region settings", 5000)

    def _on_palette(self, project) -> None:
        self.panel.refresh(project)
        if self.locked and project.palette.saved:
            self.win.set_color(self.win.brush_wish)  # the nearest of the new colors to the one the artist chose
            if self.win.live.on:
                self.win.schedule_live()  # the canvas snaps to the new palette now, not at the next Colorize

    def _on_frame(self) -> None:
        self.labels, self.region_count = None, 0
        self._hover = None
        self.last_preview = None
        self.update_overlay()

    # ------------------------------------------------------------------ region overlay (on the worker)
    def update_overlay(self) -> None:
        """Recompute the region overlay of the current frame if it is shown (off the UI thread)."""
        canvas = self.win.canvas
        p = self.project
        f = p.current_frame if p else None
        if not self.panel.overlay.isChecked() or f is None:
            self.requests.cancel()
            canvas.set_overlay("regions", None)
            self.panel.count.setText("")
            return
        try:
            image = p.image(f)
        except ImageError:  # the window reports unreadable frames itself
            return
        fid, gap = f.id, (self.gap, self.tolerance)

        def job(token):
            from ..core.regions import segment

            labels, n = segment(rgb_to_luma(image), gap_close=gap[0], min_area=None, ink=ink_level(gap[1]))
            token.check()
            return fid, gap, labels, n, region_overlay(labels, n)

        self.panel.count.setText("…")
        self.requests.submit(job, finished=self._overlay_ready)

    def _overlay_ready(self, got) -> None:
        fid, gap, labels, n, rgba = got
        f = self.project.current_frame if self.project else None
        if f is None or f.id != fid or gap != (self.gap, self.tolerance) or not self.panel.overlay.isChecked():
            return  # stale: a newer request follows
        self.labels, self.region_count = labels, n
        self.win.canvas.set_overlay("regions", rgba)
        self.panel.count.setText(f"{n} regions")

    # ------------------------------------------------------------------ fill preview
    def _hover_reset(self) -> None:
        self._hover = None

    def clear_preview(self) -> None:
        if self._hover is not None or self.win.canvas.overlay("fillPreview") is not None:
            self.win.canvas.set_overlay("fillPreview", None)
        self._hover = None
        self.last_preview = None

    def _on_hover(self, x: int, y: int) -> None:
        c = self.win.canvas
        p = self.project
        f = p.current_frame if p else None
        if c.tool != "fill" or f is None:
            if self._hover is not None:
                self.clear_preview()
            return
        try:
            self.preview_fill(x, y)
        except ImageError:  # an unreadable frame: the window already said so
            self.clear_preview()

    def preview_fill(self, x: int, y: int) -> dict | None:
        """Highlight the region a fill at image pixel (x, y) would cover, using the project's
        cached segmentation (the very one the fill uses). Returns the preview's info or None."""
        p = self.project
        f = p.current_frame
        labels = p.labels(f, self.gap, self.tolerance)
        h, w = labels.shape
        lab = int(labels[y, x]) if 0 <= x < w and 0 <= y < h else 0
        key = (f.id, self.gap, self.tolerance, lab, self.win.tools.color)
        if key == self._hover:
            return self.last_preview
        self._hover = key
        got = fill_preview(labels, x, y, self.win.tools.color)
        if got is None:
            self.win.canvas.set_overlay("fillPreview", None)
            self.last_preview = None
            return None
        rgba, pos, info = got
        self.win.canvas.set_overlay("fillPreview", rgba, pos)
        self.last_preview = info
        msg = f"Fill: {info['share'] * 100:.1f} % of the frame"
        if info["edge"]:
            msg += " — reaches the frame edge: a gap in the lines would leak (raise Gap)"
        self.win.statusBar().showMessage(msg, 3000)
        return info

    # ------------------------------------------------------------------ palette
    def replace_palette(self, entries, source: str = "") -> int | None:
        """Make ``entries`` [(name, (r, g, b)), ...] the project's saved palette (the lock's),
        in one change. Saved colors are never replaced silently: with some there, the artist
        chooses to replace them, add the new ones, or cancel (None)."""
        pal = self.project.palette
        how = "replace"
        if pal.saved and [c for _, c in pal.saved] != [tuple(c) for _, c in entries]:
            how = self.win.prompts.replace_swatches(len(pal.saved), len(entries), source)
            if how == "cancel":
                return None
        return pal.replace_saved(entries, add=how == "add")

    def load_palette(self, path) -> int | None:
        """Use a GIMP .gpl file as the show's palette; returns the number of colors."""
        from ..core.palette import read_gpl

        if self.project is None:
            return None
        try:
            entries = read_gpl(path)
        except (OSError, ValueError, UnicodeDecodeError) as e:
            self.win.prompts.error("Cannot load palette", str(e))
            return None
        if not entries:
            self.win.prompts.error("Cannot load palette", f"{path}: the palette has no colors")
            return None
        n = self.replace_palette(entries, Path(path).name)
        if n is not None:
            self.win.statusBar().showMessage(f"Palette {Path(path).name}: {n} colors", 5000)
        return n

    def pick_palette(self, path, k: int | None = None) -> int | None:
        """Pick the palette from a reference image (k-means in Lab, paper left out)."""
        from ..core.imageio import load_image
        from ..core.palette import palette_from_image

        if self.project is None:
            return None
        try:
            colors = palette_from_image(load_image(path), k or self.panel.k.value())
        except (ImageError, OSError, ValueError) as e:
            self.win.prompts.error("Cannot pick a palette", str(e))
            return None
        n = self.replace_palette([("#%02x%02x%02x" % c, c) for c in colors], Path(path).name)
        if n is not None:
            self.win.statusBar().showMessage(f"{n} colors picked from {Path(path).name}", 5000)
        return n

    def load_palette_dialog(self) -> None:
        path = self.win.prompts.choose_file("Load the show's palette", "GIMP palette (*.gpl)")
        if path:
            self.load_palette(path)

    def pick_palette_dialog(self) -> None:
        from ..core.imageio import IMAGE_EXTS

        flt = "Images (" + " ".join(f"*{e}" for e in sorted(IMAGE_EXTS)) + ")"
        path = self.win.prompts.choose_file("Pick the palette from a reference image", flt)
        if path:
            self.pick_palette(path)
