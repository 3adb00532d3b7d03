"""The timeline: a shot's frames as a thumbnail strip, with stepping, playback and shot tools.

:class:`TimelinePanel` (objectName ``timeline``) shows one shot at a time: a thumbnail per
frame with its number, a status badge (line only, colorized, corrected, key) and its
drift score, flagged in red over the review threshold. Like the other panels it knows no
project: the window's :class:`~colorpaint.gui.shots.ShotController` gives it
:class:`CellInfo` rows and thumbnails and listens to its signals. Keyboard: Left/Right
step, Home/End jump to the ends, Space plays the shot at its frame rate (looping).
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QFont, QImage, QKeySequence, QPainter, QPen
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QHBoxLayout, QLabel, QMenu, QProgressBar, QPushButton, QScrollArea,
                               QSizePolicy, QToolButton, QVBoxLayout, QWidget)

STATUSES = ("line", "colorized", "corrected", "key")
BADGE_TEXT = {"line": "line", "colorized": "color", "corrected": "fixed", "key": "KEY"}
BADGE_COLOR = {"line": QColor(96, 96, 104), "colorized": QColor(52, 120, 214), "corrected": QColor(46, 160, 82),
               "key": QColor(236, 178, 36)}
FLAG_COLOR = QColor(232, 64, 56)
CURRENT_COLOR = QColor(250, 250, 250)
THUMB_H = 72


def frame_status(frame) -> str:
    """The badge of a frame (duck-typed ``Frame``): key > corrected > colorized > line."""
    if frame.key:
        return "key"
    if frame.corrected:
        return "corrected"
    return "colorized" if frame.result is not None else "line"


@dataclass
class CellInfo:
    """What the strip shows for one frame."""

    number: int  # 1-based, within the shot
    name: str
    status: str
    drift: float | None = None
    flagged: bool = False
    pending: bool = False  # waiting in a running shot job


class FrameStrip(QWidget):
    """The thumbnails, painted in one widget (cheap for shots of hundreds of frames)."""

    frameClicked = Signal(int)

    PAD = 5
    LABEL_H = 20

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("frameStrip")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.cells: list[CellInfo] = []
        self.thumbs: dict[int, QImage] = {}
        self.current = -1
        self.aspect = 4 / 3
        self._small = QFont(self.font())
        self._small.setPointSizeF(max(6.5, self.font().pointSizeF() * 0.78))
        self._bold = QFont(self._small)
        self._bold.setBold(True)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    @property
    def thumb_w(self) -> int:
        return max(40, min(200, round(THUMB_H * self.aspect)))

    @property
    def cell_w(self) -> int:
        return self.thumb_w + 2 * self.PAD

    def sizeHint(self) -> QSize:
        return QSize(max(1, len(self.cells)) * self.cell_w + self.PAD, THUMB_H + self.LABEL_H + 3 * self.PAD)

    def set_cells(self, cells: list[CellInfo]) -> None:
        self.cells = cells
        self.thumbs = {i: t for i, t in self.thumbs.items() if i < len(cells)}
        self.setFixedSize(self.sizeHint())
        self.update()

    def cell_rect(self, i: int) -> QRect:
        return QRect(self.PAD // 2 + i * self.cell_w, 0, self.cell_w, self.height())

    def thumb_rect(self, i: int) -> QRect:
        c = self.cell_rect(i)
        return QRect(c.x() + self.PAD, self.PAD, self.thumb_w, THUMB_H)

    def badge_rect(self, i: int) -> QRect:
        t = self.thumb_rect(i)
        return QRect(t.x(), t.bottom() + 4, 40, self.LABEL_H - 4)

    def index_at(self, x: int) -> int:
        i = (x - self.PAD // 2) // self.cell_w
        return i if 0 <= i < len(self.cells) else -1

    def paintEvent(self, e) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        first = max(0, self.index_at(e.rect().left()))
        last = self.index_at(e.rect().right())
        last = len(self.cells) - 1 if last < 0 else last
        for i in range(first, last + 1):
            self._paint_cell(p, i)
        p.end()

    def _paint_cell(self, p: QPainter, i: int) -> None:
        c = self.cells[i]
        t = self.thumb_rect(i)
        img = self.thumbs.get(i)
        if img is not None:
            p.fillRect(t, QColor(255, 255, 255))
            p.drawImage(t, img)
        else:
            p.fillRect(t, QColor(70, 70, 76))  # loading
        if c.pending:
            p.fillRect(t, QColor(20, 20, 24, 110))
        # frame number on a dark chip, top left
        p.setFont(self._bold)
        num = str(c.number)
        w = p.fontMetrics().horizontalAdvance(num) + 8
        chip = QRect(t.x() + 2, t.y() + 2, w, p.fontMetrics().height() + 2)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(0, 0, 0, 150))
        p.drawRoundedRect(chip, 3, 3)
        p.setPen(QColor(255, 255, 255))
        p.drawText(chip, Qt.AlignmentFlag.AlignCenter, num)
        if c.flagged:  # review flag, top right
            flag = QRect(t.right() - 17, t.y() + 2, 16, 16)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(FLAG_COLOR)
            p.drawEllipse(flag)
            p.setPen(QColor(255, 255, 255))
            p.drawText(flag, Qt.AlignmentFlag.AlignCenter, "!")
        # border: current frame white, flagged red
        if i == self.current or c.flagged:
            pen = QPen(CURRENT_COLOR if i == self.current else FLAG_COLOR, 3 if i == self.current else 2)
            p.setPen(pen)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(t.adjusted(-1, -1, 1, 1))
        # status badge and drift below
        b = self.badge_rect(i)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(BADGE_COLOR[c.status])
        p.drawRoundedRect(b, 7, 7)
        p.setFont(self._bold)
        p.setPen(QColor(20, 20, 20) if c.status == "key" else QColor(255, 255, 255))
        p.drawText(b, Qt.AlignmentFlag.AlignCenter, BADGE_TEXT[c.status])
        if c.drift is not None and c.status != "key":
            p.setFont(self._small)
            p.setPen(FLAG_COLOR.lighter(130) if c.flagged else QColor(190, 190, 196))
            p.drawText(QRect(b.right() + 4, b.y(), t.right() - b.right() - 4, b.height()),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, f"Δ{c.drift:.1f}")

    def mousePressEvent(self, e) -> None:
        i = self.index_at(int(e.position().x()))
        if i >= 0 and e.button() == Qt.MouseButton.LeftButton:
            self.frameClicked.emit(i)
        self.setFocus()


class TimelinePanel(QWidget):
    """The shot picker, shot tools and the frame strip (see the module docstring)."""

    frameChosen = Signal(int)  # index within the shown shot
    shotChosen = Signal(int)
    fpsChanged = Signal(float)
    thresholdChanged = Signal(float)
    steadyChanged = Signal(float)
    exportRequested = Signal(str)  # png | mp4 | ora
    importRequested = Signal(str)  # folder | video

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("timeline")
        self.fps = 24.0
        self.play_timer = QTimer(self)
        self.play_timer.timeout.connect(self._tick)

        def button(text, obj, tip, checkable=False, cls=QPushButton):
            b = cls(self)
            b.setText(text)
            b.setObjectName(obj)
            b.setToolTip(tip)
            b.setCheckable(checkable)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys stay with the strip (Space must not click a button)
            return b

        self.import_button = button("Import", "importShotButton", "Add a folder of frames or a video to the project as a shot")
        m = QMenu(self.import_button)
        m.addAction("Folder of frames…", lambda: self.importRequested.emit("folder"))
        m.addAction("Video…", lambda: self.importRequested.emit("video"))
        self.import_button.setMenu(m)
        self.shot_picker = QComboBox(self)
        self.shot_picker.setObjectName("shotPicker")
        self.shot_picker.setToolTip("The shot shown in the timeline")
        self.shot_picker.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.shot_picker.setMinimumWidth(100)
        # long shot names must not widen the window: the list shows them whole when opened
        self.shot_picker.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.shot_picker.setMinimumContentsLength(8)
        self.shot_picker.activated.connect(self.shotChosen)
        self.play_button = button("▶", "playButton", "Play the shot at its frame rate (Space)", True, QToolButton)
        self.play_button.toggled.connect(self._play)
        self.fps_spin = QDoubleSpinBox(self)
        self.fps_spin.setObjectName("fpsSpin")
        self.fps_spin.setRange(1, 120)
        self.fps_spin.setDecimals(2)
        self.fps_spin.setSuffix(" fps")
        self.fps_spin.setToolTip("The shot's frame rate (playback and MP4 export)")
        self.fps_spin.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.fps_spin.valueChanged.connect(self._fps_edited)
        self.onion_toggle = button("Onion", "onionToggle", "Onion skin: the previous frame's colors faintly under this frame", True,
                                   QToolButton)
        self.carried_toggle = button("Carried", "carriedToggle", "After Colorize shot: each shape tinted green where its colors were "
                                     "carried from the key or previous frame, orange where the network chose them (look there first)",
                                     True, QToolButton)
        self.position_label = QLabel("–", self)
        self.position_label.setObjectName("timelinePosition")
        self.position_label.setMinimumWidth(64)
        self.mark_key_button = button("Key", "markKeyButton", "", True, QToolButton)
        self.mark_corrected_button = button("Corrected", "markCorrectedButton", "", True, QToolButton)
        self.colorize_shot_button = button("Colorize shot", "colorizeShotButton",
                                           "Colorize every frame of the shot from its keys (frames before the first key backward)")
        self.cancel_shot_button = button("Cancel", "cancelShotButton", "Stop colorizing the shot (Esc); finished frames stay")
        self.cancel_shot_button.setVisible(False)
        self.progress = QProgressBar(self)
        self.progress.setObjectName("shotProgress")
        self.progress.setRange(0, 1000)
        self.progress.setMaximumWidth(180)
        self.progress.setFormat("%p %")
        self.progress.setVisible(False)
        self.steady_spin = QDoubleSpinBox(self)
        self.steady_spin.setObjectName("steadySpin")
        self.steady_spin.setRange(0.0, 1.0)
        self.steady_spin.setSingleStep(0.05)
        self.steady_spin.setDecimals(2)
        self.steady_spin.setPrefix("steady ")
        self.steady_spin.setToolTip("How far areas that do not move keep the previous frame's colors when the shot is "
                                    "colorized (0: every frame as the model colors it)")
        self.steady_spin.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.steady_spin.valueChanged.connect(lambda v: self.steadyChanged.emit(float(v)))
        self.threshold_spin = QDoubleSpinBox(self)
        self.threshold_spin.setObjectName("driftThreshold")
        self.threshold_spin.setRange(0.5, 100)
        self.threshold_spin.setDecimals(1)
        self.threshold_spin.setPrefix("flag > ")
        self.threshold_spin.setToolTip("Frames whose drift (color change where the line art did not change, in Lab ab units) "
                                       "is above this are flagged for review")
        self.threshold_spin.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.threshold_spin.valueChanged.connect(self._threshold_edited)
        self.review_button = button("Next flag", "nextFlaggedButton", "Go to the next frame flagged for review")
        self.review_button.clicked.connect(self.next_flagged)
        self.export_button = button("Export", "exportShotButton", "Write the shot as PNG frames, an MP4 video or layered ORA files")
        m = QMenu(self.export_button)
        m.addAction("PNG sequence…", lambda: self.exportRequested.emit("png"))
        m.addAction("MP4 video…", lambda: self.exportRequested.emit("mp4"))
        m.addAction("Layered ORA per frame…", lambda: self.exportRequested.emit("ora"))
        self.export_button.setMenu(m)

        top = QHBoxLayout()
        top.setContentsMargins(4, 2, 4, 0)
        top.setSpacing(3)
        for w in (self.import_button, self.shot_picker, self.play_button, self.position_label, self.fps_spin, self.onion_toggle,
                  self.carried_toggle):
            top.addWidget(w)
        top.addSpacing(10)
        for w in (self.mark_key_button, self.mark_corrected_button, self.colorize_shot_button, self.steady_spin, self.cancel_shot_button,
                  self.progress):
            top.addWidget(w)
        top.addStretch(1)
        for w in (self.threshold_spin, self.review_button, self.export_button):
            top.addWidget(w)

        self.strip = FrameStrip()
        self.strip.frameClicked.connect(self.frameChosen)
        self.scroll = QScrollArea(self)
        self.scroll.setObjectName("timelineScroll")
        self.scroll.setWidget(self.strip)
        self.scroll.setWidgetResizable(False)
        self.scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setFixedHeight(self.strip.sizeHint().height() + self.scroll.horizontalScrollBar().sizeHint().height() + 4)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 2)
        lay.setSpacing(2)
        lay.addLayout(top)
        lay.addWidget(self.scroll)

        # keys: active while the focus is in the timeline; the window adds the stepping ones to the canvas too
        self.act_back = self._key_action("Previous frame in shot", Qt.Key.Key_Left, lambda: self.step(-1))
        self.act_forward = self._key_action("Next frame in shot", Qt.Key.Key_Right, lambda: self.step(1))
        self.act_first = self._key_action("First frame of shot", Qt.Key.Key_Home, lambda: self.go(0))
        self.act_last = self._key_action("Last frame of shot", Qt.Key.Key_End, lambda: self.go(len(self.strip.cells) - 1))
        self.act_play = self._key_action("Play / pause", Qt.Key.Key_Space, self.play_button.toggle)
        self.set_cells([], -1)

    def _key_action(self, text: str, key, slot) -> QAction:
        a = QAction(text, self)
        a.setShortcut(QKeySequence(key))
        a.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        a.triggered.connect(slot)
        self.addAction(a)
        return a

    @property
    def stepping_actions(self) -> list[QAction]:
        return [self.act_back, self.act_forward, self.act_first, self.act_last]

    # ------------------------------------------------------------------ content
    def set_shots(self, names: list[str], current: int) -> None:
        self.shot_picker.blockSignals(True)
        self.shot_picker.clear()
        for n in names:
            self.shot_picker.addItem(n)
        self.shot_picker.setCurrentIndex(current)
        self.shot_picker.blockSignals(False)
        self.shot_picker.setEnabled(bool(names))

    def set_cells(self, cells: list[CellInfo], current: int, aspect: float | None = None) -> None:
        if aspect:
            self.strip.aspect = aspect
        self.strip.thumbs.clear()
        self.strip.set_cells(cells)
        self.set_current(current)
        for w in (self.play_button, self.mark_key_button, self.mark_corrected_button, self.colorize_shot_button, self.export_button,
                  self.onion_toggle, self.carried_toggle, self.review_button):
            w.setEnabled(bool(cells))
        if not cells:
            self.play_button.setChecked(False)

    def update_cell(self, i: int, info: CellInfo) -> None:
        if 0 <= i < len(self.strip.cells):
            self.strip.cells[i] = info
            self.strip.update(self.strip.cell_rect(i))

    def set_thumbnail(self, i: int, img: QImage | None) -> None:
        if 0 <= i < len(self.strip.cells):
            if img is None:
                self.strip.thumbs.pop(i, None)
            else:
                self.strip.thumbs[i] = img
            self.strip.update(self.strip.cell_rect(i))

    def set_current(self, i: int) -> None:
        old = self.strip.current
        self.strip.current = i
        for j in (old, i):
            if 0 <= j < len(self.strip.cells):
                self.strip.update(self.strip.cell_rect(j))
        n = len(self.strip.cells)
        self.position_label.setText(f"{i + 1} / {n}" if 0 <= i < n else "–")
        if 0 <= i < n:
            r = self.strip.cell_rect(i)
            self.scroll.ensureVisible(r.center().x(), r.center().y(), r.width(), 0)

    def set_fps(self, fps: float) -> None:
        self.fps = float(fps)
        self.fps_spin.blockSignals(True)
        self.fps_spin.setValue(self.fps)
        self.fps_spin.blockSignals(False)
        if self.play_timer.isActive():
            self.play_timer.setInterval(round(1000 / self.fps))

    def set_steady(self, v: float) -> None:
        self.steady_spin.blockSignals(True)
        self.steady_spin.setValue(float(v))
        self.steady_spin.blockSignals(False)

    def set_threshold(self, t: float) -> None:
        self.threshold_spin.blockSignals(True)
        self.threshold_spin.setValue(float(t))
        self.threshold_spin.blockSignals(False)

    def set_busy(self, busy: bool) -> None:
        """A shot job runs: show its progress and Cancel, hide Colorize shot."""
        self.colorize_shot_button.setVisible(not busy)
        self.cancel_shot_button.setVisible(busy)
        self.progress.setVisible(busy)
        if busy:
            self.progress.setValue(0)

    def set_progress(self, fraction: float, text: str = "") -> None:
        self.progress.setValue(int(round(fraction * 1000)))
        if text:
            self.progress.setFormat(text)

    # ------------------------------------------------------------------ reading (tests, automation)
    def badge(self, i: int) -> str:
        return self.strip.cells[i].status

    def flagged(self, i: int) -> bool:
        return self.strip.cells[i].flagged

    @property
    def count(self) -> int:
        return len(self.strip.cells)

    @property
    def current(self) -> int:
        return self.strip.current

    # ------------------------------------------------------------------ stepping and playback
    def go(self, i: int) -> None:
        n = len(self.strip.cells)
        if n:
            i = max(0, min(n - 1, i))
            if i != self.strip.current:
                self.frameChosen.emit(i)

    def step(self, delta: int) -> None:
        self.go(self.strip.current + delta)

    def next_flagged(self) -> None:
        n = len(self.strip.cells)
        for k in range(1, n + 1):
            j = (self.strip.current + k) % n
            if self.strip.cells[j].flagged:
                self.frameChosen.emit(j)
                return

    def _play(self, on: bool) -> None:
        self.play_button.setText("❚❚" if on else "▶")
        if on and len(self.strip.cells) > 1:
            self.play_timer.start(round(1000 / max(1.0, self.fps)))
        else:
            self.play_timer.stop()
            if on:
                self.play_button.setChecked(False)

    @property
    def playing(self) -> bool:
        return self.play_timer.isActive()

    def _tick(self) -> None:
        n = len(self.strip.cells)
        if n > 1:
            self.frameChosen.emit((self.strip.current + 1) % n)

    def _fps_edited(self, v: float) -> None:
        self.fps = float(v)
        if self.play_timer.isActive():
            self.play_timer.setInterval(round(1000 / self.fps))
        self.fpsChanged.emit(self.fps)

    def _threshold_edited(self, v: float) -> None:
        self.thresholdChanged.emit(float(v))
