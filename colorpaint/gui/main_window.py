"""The painting window: canvas, tools, palette, layers, history, Colorize and Live.

Flow (see ARCHITECTURE.md): a widget turns the artist's action into a change of the
project (strokes, fills) or into an immutable ``ColorizeRequest``; the engine runs the
request on the worker (``qt_worker``); the result goes into the project as an undo step;
the project's events update the widgets. Nothing here blocks on the engine.
"""
from __future__ import annotations

import threading
import time
import traceback
from pathlib import Path

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (QComboBox, QDockWidget, QFileDialog, QFrame, QLabel, QMainWindow, QMessageBox, QProgressBar,
                               QPushButton, QScrollArea, QSlider, QSpinBox, QToolBar, QToolButton, QWidget)

from ..core.imageio import IMAGE_EXTS, ImageError, save_image
from ..engine.flat import flat_job
from ..engine.jobs import CancelToken, Progress
from ..engine.model_store import ModelStore
from ..engine.weights import WeightsError
from ..models import registry
from ..project import FrameResult, Project, ProjectError, Stroke
from ..project.appdata import Preferences, Recovery, RecoveryInfo
from ..project.export import color_layer_rgba, write_flats_ora, write_ora
from ..project.io import SUFFIX, finish_save, is_project, open_path, snapshot, write_snapshot_checked
from . import icons
from .canvas import HintCanvas
from .panels import ColorButton, HistoryPanel, LayersPanel, PalettePanel
from .qt_worker import JobRunner, LatestRequest
from .regions_panel import RegionTools
from .shots import ShotController
from .trainer_tab import TrainerTab

SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "samples" / "sample_shot"
IMAGE_FILTER = "Images (" + " ".join(f"*{e}" for e in sorted(IMAGE_EXTS)) + ")"
# a starting palette for new projects: skin, hair, clothes, sky, grass and neutrals
DEFAULT_COLORS = (("skin", (250, 215, 185)), ("blush", (240, 160, 150)), ("red", (214, 60, 56)), ("orange", (240, 140, 50)),
                  ("yellow", (248, 214, 80)), ("grass", (110, 180, 80)), ("teal", (60, 160, 160)), ("sky", (120, 180, 235)),
                  ("blue", (50, 90, 190)), ("purple", (140, 90, 180)), ("brown", (130, 85, 50)), ("sand", (220, 190, 140)),
                  ("white", (250, 250, 250)), ("light gray", (190, 190, 195)), ("gray", (120, 120, 128)), ("dark", (50, 50, 60)))
VIDEO_FILTER = "Videos (*.mp4 *.mov *.avi *.mkv *.webm *.m4v *.gif)"
# modelPicker items: Qt.UserRole = the family (findData(family) finds its bundled entry first),
# WEIGHTS_ROLE = the fine-tuned version's weights file, "" for the bundled weights
WEIGHTS_ROLE = Qt.ItemDataRole.UserRole + 1
VERSIONS_KEY = "model_versions"  # project setting: {family: weights file of the fine-tuned version in use}


class Prompts:
    """Every question and message box the window shows, in one replaceable place
    (tests swap in answers; the window never blocks on a dialog it did not need)."""

    def __init__(self, parent: QWidget) -> None:
        self.parent = parent
        self.last_error: str | None = None

    def error(self, title: str, text: str) -> QMessageBox:
        """Show ``text`` without blocking the event loop (the work behind it is kept)."""
        self.last_error = text
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self.parent)
        box.setObjectName("errorDialog")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.open()
        return box

    def replace_project(self, name: str) -> bool:
        """Whether to replace the other project saved as ``name``."""
        ans = QMessageBox.question(self.parent, "Replace project",
                                   f"{name!r} already holds another project. Replace it? Its frames, results and training "
                                   "examples are removed and this project is saved in their place.",
                                   QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Cancel)
        return ans == QMessageBox.StandardButton.Yes

    def save_changes(self, name: str) -> str:
        """'save', 'discard' or 'cancel'."""
        ans = QMessageBox.question(self.parent, "Unsaved changes", f"Save the changes to {name!r} before closing it?",
                                   QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
                                   QMessageBox.StandardButton.Save)
        return {QMessageBox.StandardButton.Save: "save", QMessageBox.StandardButton.Discard: "discard"}.get(ans, "cancel")

    def recover(self, info: RecoveryInfo) -> str:
        """'recover', 'discard' or 'later'."""
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(info.saved_at))
        box = QMessageBox(QMessageBox.Icon.Question, "Recover unsaved work",
                          f"ColorPaint was not closed normally. Unsaved work on {info.name!r} was autosaved at {when}.\n\nRecover it?",
                          parent=self.parent)
        rec = box.addButton("Recover", QMessageBox.ButtonRole.AcceptRole)
        dis = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton("Later", QMessageBox.ButtonRole.RejectRole)
        box.exec()
        return "recover" if box.clickedButton() is rec else "discard" if box.clickedButton() is dis else "later"

    def open_file(self) -> str | None:
        path, _ = QFileDialog.getOpenFileName(self.parent, "Open line art, a grayscale page, a video or a project", "",
                                              f"{IMAGE_FILTER};;{VIDEO_FILTER};;ColorPaint project (project.json);;All files (*)")
        return path or None

    def open_folder(self) -> str | None:
        return QFileDialog.getExistingDirectory(self.parent, "Open a folder of frames or a project folder") or None

    def save_file(self, caption: str, suggested: str, filter_: str) -> str | None:
        path, _ = QFileDialog.getSaveFileName(self.parent, caption, suggested, filter_)
        return path or None

    def stop_training(self) -> bool:
        """On close while a model trains: True to stop it (its checkpoint is kept) and close."""
        ans = QMessageBox.question(self.parent, "Training is running",
                                   "A model is still training. Stop it and close ColorPaint?\n\n"
                                   "The last checkpoint is kept: Resume in the Train panel continues it.",
                                   QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        return ans == QMessageBox.StandardButton.Yes


class MainWindow(QMainWindow):
    """The painting window. ``weights`` maps model names to weights files used instead of
    the bundled ones (tests use tiny weights; the CLI's ``--weights NAME=PATH``). ``store``:
    the model folder whose fine-tuned versions the model picker lists and the Train panel
    adds to (default: the user's)."""

    def __init__(self, prefs: Preferences | None = None, device: str | None = None, weights: dict[str, str] | None = None,
                 session=None, store: ModelStore | None = None) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.prefs = prefs or Preferences.load()
        self.model_weights: dict[str, str] = {**self.prefs.weights, **(weights or {})}
        self.model_store = store or ModelStore()
        self._versions: dict[str, str] = {}  # fine-tuned versions in use without a project / for the next new one
        self.device = device or self.prefs.device
        self._session = session
        self._session_lock = threading.Lock()
        self.engine = self._colorize_job  # (request, cancel) -> job generator; tests swap in fakes
        self.prompts = Prompts(self)
        self.project: Project | None = None
        self.recovery = Recovery()
        self.runner = JobRunner(self, 1)  # the engine: one job at a time
        self.io = JobRunner(self, 1)  # saves, autosaves, exports: in order, never concurrently
        self.requests = LatestRequest(self.runner)
        self.live_on = False
        self._live_scheduled = False
        self._autosaved_version = -1
        self._job_t0 = 0.0
        self.setAcceptDrops(True)
        self.resize(1400, 900)
        self._build()
        self.autosave_timer = QTimer(self)
        self.autosave_timer.timeout.connect(self.autosave)
        self._apply_autosave_interval()
        self.set_project(None)

    # ================================================================== UI
    def _action(self, text, slot, shortcut=None, checkable=False, tip=None) -> QAction:
        a = QAction(text, self)
        if shortcut:
            a.setShortcuts(shortcut if isinstance(shortcut, list) else [QKeySequence(shortcut)])
        a.setCheckable(checkable)
        if tip:
            a.setToolTip(tip)
            a.setStatusTip(tip)
        a.triggered.connect(slot)
        self.addAction(a)  # shortcuts work wherever the focus is
        return a

    def _build(self) -> None:
        self.canvas = HintCanvas(self)
        self.setCentralWidget(self.canvas)
        self.canvas.brush_size = self.prefs.brush_size
        c = self.canvas
        c.strokeFinished.connect(self._on_stroke)
        c.fillRequested.connect(self._on_fill)
        c.colorPicked.connect(self.set_color)
        c.brushSizeChanged.connect(lambda s: self.size_spin.setValue(int(round(s))))
        c.zoomChanged.connect(lambda z: self.zoom_label.setText(f"{z * 100:.0f} %"))
        c.filesDropped.connect(self._on_drop)

        # ---- actions
        A = self._action
        self.act_open = A("&Open…", self.open_dialog, "Ctrl+O", tip="Open an image, video or project")
        self.act_open_folder = A("Open &Folder…", self.open_folder_dialog, "Ctrl+Shift+O", tip="Open a folder of frames or a project folder")
        self.act_sample = A("Open &Sample", lambda: self.open_path(SAMPLE), tip="Open the bundled sample shot")
        self.act_save = A("&Save Project", lambda: self.save(), "Ctrl+S")
        self.act_save_as = A("Save Project &As…", lambda: self.save(ask=True), "Ctrl+Shift+S")
        self.act_export_png = A("Export &Composite PNG…", lambda: self.export_dialog("png"), "Ctrl+E")
        self.act_export_color = A("Export Color &Layer PNG…", lambda: self.export_dialog("color"))
        self.act_export_ora = A("Export &OpenRaster (.ora)…", lambda: self.export_dialog("ora"), "Ctrl+Shift+E")
        self.act_export_flats = A("Export &Flats (.ora)…", lambda: self.export_dialog("flats"),
                                  tip="Layered OpenRaster: one layer per flat color, named from the palette, line art on top")
        self.act_prefs = A("&Preferences…", self.preferences_dialog, "Ctrl+,")
        self.act_quit = A("&Quit", self.close, "Ctrl+Q")
        self.act_undo = A("&Undo", self.undo, [QKeySequence("Ctrl+Z")], tip="Undo (Ctrl+Z)")
        self.act_redo = A("&Redo", self.redo, [QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")], tip="Redo (Ctrl+Shift+Z)")
        self.act_clear = A("&Clear Hints", lambda: self.project and self.project.clear_hints(), "Ctrl+Backspace")
        self.act_colorize = A("&Colorize", lambda: self.colorize(), "Ctrl+Return", tip="Colorize the frame with the selected model (Ctrl+Enter)")
        self.act_cancel = A("Cancel", self.cancel, "Esc", tip="Cancel the running colorize (Esc)")
        self.act_live = A("&Live", self.set_live, "Ctrl+L", checkable=True, tip="Re-colorize after every stroke (Ctrl+L)")
        self.act_fit = A("&Fit", self.canvas.fit, "Ctrl+0")
        self.act_100 = A("&100 %", self.canvas.actual_size, "Ctrl+1")
        self.act_zoom_in = A("Zoom &In", lambda: self.canvas.zoom_at(1.25), [QKeySequence("Ctrl++"), QKeySequence("Ctrl+=")])
        self.act_zoom_out = A("Zoom &Out", lambda: self.canvas.zoom_at(0.8), "Ctrl+-")
        self.act_smaller = A("Smaller Brush", lambda: self.canvas.grow_brush(-1), "[")
        self.act_bigger = A("Bigger Brush", lambda: self.canvas.grow_brush(1), "]")
        self.act_prev = A("&Previous Frame", lambda: self.project and self.project.step(-1), "PgUp")
        self.act_next = A("&Next Frame", lambda: self.project and self.project.step(1), "PgDown")
        self.act_key = A("&Key Frame", lambda on: self.shots.mark_key(on), "Ctrl+K", checkable=True,
                         tip="Mark this frame as a key: its colors (result, or hints) condition the frames around it (Ctrl+K)")
        self.act_corrected = A("C&orrected", lambda on: self.shots.mark_corrected(on), checkable=True,
                               tip="Mark the colors of this frame as correct: stored in corrected/ as a training example")
        self.act_colorize_shot = A("Colorize &Shot", lambda: self.shots.colorize_shot(), "Ctrl+Shift+Return",
                                   tip="Colorize every frame of the shot from its key frames (Ctrl+Shift+Enter)")
        self.act_import_folder = A("Import Shot from F&older…", lambda: self.shots.import_folder_dialog(),
                                   tip="Add a folder of frames to the project as a shot")
        self.act_import_video = A("Import Shot from &Video…", lambda: self.shots.import_video_dialog(),
                                  tip="Add a video (or part of it) to the project as a shot")
        self.act_train = A("&Train Model…", self.show_trainer, "Ctrl+Shift+T",
                           tip="Fine-tune a model on this project's corrected frames, then colorize with it (the Train panel)")
        self.act_hints = A("Show &Hints", lambda on: self._layer_visible("hints", on), "H", checkable=True)
        self.act_lineart = A("Show &Line Art", lambda on: self._layer_visible("lineart", on), "Shift+L", checkable=True)
        self.act_hints.setChecked(True)
        self.act_lineart.setChecked(True)

        tools = QActionGroup(self)
        self.tool_actions: dict[str, QAction] = {}
        for name, label, key, icon, tip in (("brush", "Brush", "B", icons.brush(), "Paint color hints (B); [ and ] change the size"),
                                            ("erase", "Eraser", "E", icons.eraser(), "Erase hints (E)"),
                                            ("eyedropper", "Picker", "I", icons.eyedropper(), "Pick a color from the image (I, or Ctrl+click)"),
                                            ("fill", "Fill", "G", icons.fill(), "Fill a closed area with the hint color (G)")):
            a = A(label, lambda _=False, n=name: self.set_tool(n), key, checkable=True, tip=tip)
            a.setIcon(icon)
            tools.addAction(a)
            self.tool_actions[name] = a
        self.tool_actions["brush"].setChecked(True)

        # ---- menus
        mb = self.menuBar()
        m = mb.addMenu("&File")
        for a in (self.act_open, self.act_open_folder):
            m.addAction(a)
        self.recent_menu = m.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        m.addAction(self.act_sample)
        m.addAction(self.act_import_folder)
        m.addAction(self.act_import_video)
        m.addSeparator()
        for a in (self.act_save, self.act_save_as):
            m.addAction(a)
        m.addSeparator()
        for a in (self.act_export_png, self.act_export_color, self.act_export_ora, self.act_export_flats):
            m.addAction(a)
        m.addSeparator()
        m.addAction(self.act_prefs)
        m.addAction(self.act_quit)
        m = mb.addMenu("&Edit")
        for a in (self.act_undo, self.act_redo, None, self.act_clear, None, self.act_colorize, self.act_cancel, self.act_live):
            m.addSeparator() if a is None else m.addAction(a)
        m = mb.addMenu("&View")
        for a in (self.act_fit, self.act_100, self.act_zoom_in, self.act_zoom_out, None, self.act_hints, self.act_lineart, None,
                  self.act_train):
            m.addSeparator() if a is None else m.addAction(a)
        m = mb.addMenu("&Tools")
        for a in list(self.tool_actions.values()) + [None, self.act_smaller, self.act_bigger, None, self.act_train]:
            m.addSeparator() if a is None else m.addAction(a)
        m = mb.addMenu("F&rame")
        for a in (self.act_prev, self.act_next, None, self.act_key, self.act_corrected, None, self.act_colorize_shot):
            m.addSeparator() if a is None else m.addAction(a)
        self.shot_export_menu = m.addMenu("&Export Shot")
        for text, kind in (("PNG Sequence…", "png"), ("MP4 Video…", "mp4"), ("Layered ORA per Frame…", "ora")):
            self.shot_export_menu.addAction(text, lambda k=kind: self.shots.export_dialog(k))

        # ---- toolbox (left)
        box = QToolBar("Tools", self)
        box.setObjectName("toolbox")
        box.setIconSize(QSize(28, 28))
        box.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
        self.addToolBar(Qt.ToolBarArea.LeftToolBarArea, box)
        for name, obj in (("brush", "brushTool"), ("erase", "eraserTool"), ("eyedropper", "eyedropperTool"), ("fill", "fillTool")):
            b = QToolButton(box)
            b.setObjectName(obj)
            b.setDefaultAction(self.tool_actions[name])
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
            b.setIconSize(QSize(28, 28))
            b.setMinimumWidth(58)
            box.addWidget(b)

        # ---- main toolbar (top)
        tb = QToolBar("Main", self)
        tb.setObjectName("mainToolbar")
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, tb)
        for a in (self.act_open, self.act_save):
            tb.addAction(a)
        tb.addSeparator()
        self.undo_button = QToolButton(tb)
        self.undo_button.setObjectName("undoButton")
        self.undo_button.setDefaultAction(self.act_undo)
        self.redo_button = QToolButton(tb)
        self.redo_button.setObjectName("redoButton")
        self.redo_button.setDefaultAction(self.act_redo)
        tb.addWidget(self.undo_button)
        tb.addWidget(self.redo_button)
        tb.addSeparator()
        self.color_button = ColorButton(tb)
        self.color_button.colorChosen.connect(self.set_color)
        tb.addWidget(self.color_button)
        tb.addWidget(QLabel(" Size "))
        self.size_spin = QSpinBox(tb)
        self.size_spin.setObjectName("brushSize")
        self.size_spin.setRange(1, 500)
        self.size_spin.setSuffix(" px")
        self.size_spin.setValue(int(self.canvas.brush_size))
        self.size_spin.valueChanged.connect(lambda v: self.canvas.set_brush_size(v))
        tb.addWidget(self.size_spin)
        tb.addWidget(QLabel(" Opacity "))
        self.opacity_slider = QSlider(Qt.Orientation.Horizontal, tb)
        self.opacity_slider.setObjectName("brushOpacity")
        self.opacity_slider.setRange(5, 100)
        self.opacity_slider.setValue(100)
        self.opacity_slider.setMaximumWidth(110)
        self.opacity_slider.valueChanged.connect(lambda v: setattr(self.canvas, "brush_opacity", v / 100.0))
        tb.addWidget(self.opacity_slider)
        tb.addSeparator()
        tb.addWidget(QLabel(" Model "))
        self.model_picker = QComboBox(tb)
        self.model_picker.setObjectName("modelPicker")
        self.model_picker.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.model_picker.setMinimumContentsLength(12)  # long version names are elided here, whole in the list
        self.refresh_model_picker()
        self.model_picker.currentIndexChanged.connect(self._on_model_picked)
        tb.addWidget(self.model_picker)
        self.colorize_button = QPushButton("Colorize", tb)
        self.colorize_button.setObjectName("colorizeButton")
        self.colorize_button.setToolTip(self.act_colorize.toolTip())
        self.colorize_button.clicked.connect(lambda: self.colorize())
        tb.addWidget(self.colorize_button)
        self.live_toggle = QToolButton(tb)
        self.live_toggle.setObjectName("liveToggle")
        self.live_toggle.setDefaultAction(self.act_live)
        tb.addWidget(self.live_toggle)
        tb.addSeparator()
        for a, obj in ((self.act_prev, "prevFrame"), (self.act_next, "nextFrame")):
            b = QToolButton(tb)
            b.setObjectName(obj)
            b.setDefaultAction(a)
            b.setText("◀" if obj == "prevFrame" else "▶")
            b.setArrowType(Qt.ArrowType.LeftArrow if obj == "prevFrame" else Qt.ArrowType.RightArrow)
            tb.addWidget(b)
            if obj == "prevFrame":
                self.frame_label = QLabel(" no frame ")
                self.frame_label.setObjectName("frameLabel")
                tb.addWidget(self.frame_label)

        # ---- docks (right)
        self.palette_panel = PalettePanel()
        self.palette_panel.colorChosen.connect(self.set_color)
        self.palette_panel.saveRequested.connect(lambda: self.project and self.project.palette.save_color(self.canvas.brush_color))
        self.palette_panel.removeRequested.connect(lambda i: self.project and self.project.palette.remove_saved(i))
        self.palette_panel.loadRequested.connect(self.load_palette_dialog)
        self.layers_panel = LayersPanel()
        self.layers_panel.visibilityChanged.connect(self._layer_visible)
        self.layers_panel.opacityChanged.connect(self.canvas.set_layer_opacity)
        self.layers_panel.compareChanged.connect(self.canvas.set_compare)
        self.history_panel = HistoryPanel()
        self.history_panel.jumpRequested.connect(lambda i: self.project and self.project.goto(i))
        docks = []
        for title, w, obj in (("Palette", self.palette_panel, "paletteDock"), ("Layers", self.layers_panel, "layersDock"),
                              ("History", self.history_panel, "historyDock")):
            d = QDockWidget(title, self)
            d.setObjectName(obj)
            d.setWidget(w)
            d.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
            self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, d)
            docks.append(d)
        self.resizeDocks(docks, [190, 150, 400], Qt.Orientation.Vertical)
        self.resizeDocks(docks[:1], [300], Qt.Orientation.Horizontal)
        self.regions = RegionTools(self)  # flat colors, region overlay, fill preview, palette lock (its own dock)

        # ---- status bar
        sb = self.statusBar()
        self.progress = QProgressBar()
        self.progress.setObjectName("progress")
        self.progress.setRange(0, 100)
        self.progress.setMaximumWidth(160)
        self.progress.setVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("cancelButton")
        self.cancel_button.setToolTip("Cancel (Esc)")
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.setVisible(False)
        self.device_label = QLabel()
        self.device_label.setObjectName("deviceLabel")
        self.time_label = QLabel()
        self.time_label.setObjectName("timeLabel")
        self.zoom_label = QLabel("100 %")
        for w in (self.progress, self.cancel_button, self.time_label, self.device_label, self.zoom_label):
            sb.addPermanentWidget(w)
        self.device_label.setText(f"device: {self.device}")
        self.set_color((230, 60, 60))

        # ---- timeline (bottom): shots, frame strip, keys, shot colorize
        self.shots = ShotController(self)
        self.timeline = self.shots.panel
        d = self.timeline_dock = QDockWidget("Timeline", self)
        d.setObjectName("timelineDock")
        d.setWidget(self.timeline)
        d.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, d)

        # ---- Train panel (bottom, a tab beside the timeline): fine-tune, then pick the version here
        self.trainer = TrainerTab(store=self.model_store)
        self.trainer.modelAdded.connect(self._on_version_added)
        self.trainer.modelSelected.connect(self.use_model_version)
        self.trainer.versionsChanged.connect(self.refresh_model_picker)
        self.trainer.modelRemoved.connect(self._on_version_removed)
        scroll = QScrollArea()  # the panel needs ~870x660 px: scroll rather than squeeze the canvas
        scroll.setObjectName("trainScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.trainer)
        d = self.train_dock = QDockWidget("Train", self)
        d.setObjectName("trainDock")
        d.setWidget(scroll)
        d.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, d)
        self.tabifyDockWidget(self.timeline_dock, d)
        self.timeline_dock.raise_()

    # ================================================================== project binding
    def set_project(self, project: Project | None) -> None:
        """Show ``project`` (None: an empty window) and subscribe to its events."""
        if self.project is not None:
            self.project.events.disconnect_all()
        self.requests.cancel()
        self.project = p = project
        if p is not None:
            ev = p.events
            ev.current.connect(lambda frame: self.show_current_frame())
            ev.frames.connect(lambda: self._update_frame_ui())
            ev.hints.connect(self._on_hints_changed)
            ev.result.connect(self._on_result_changed)
            ev.flags.connect(lambda frame: self._update_frame_ui())
            ev.history.connect(self._on_history)
            ev.palette.connect(lambda: self.palette_panel.refresh(p.palette))
            ev.settings.connect(self._on_settings)
            ev.dirty.connect(lambda dirty: self._update_title())
            if p.model not in registry.names():
                p.model = self.prefs.default_model if self.prefs.default_model in registry.names() else "auto"
            self._versions = self._check_versions(p)
        enabled = p is not None
        for a in (self.act_save, self.act_save_as, self.act_export_png, self.act_export_color, self.act_export_ora, self.act_clear,
                  self.act_colorize, self.act_live, self.act_key, self.act_corrected, self.act_export_flats):
            a.setEnabled(enabled)
        self.colorize_button.setEnabled(enabled)
        self._on_settings("model")
        self.trainer.set_project_dir(p.path if p is not None and p.path is not None and p.path.is_dir() else None)
        self.regions.set_project(p)
        self.palette_panel.refresh(p.palette if p else None)
        self._on_history()
        self.show_current_frame(fit=True)
        self._update_title()
        self._autosaved_version = p.version if p else -1
        self.shots.set_project(p)

    def _check_versions(self, p: Project) -> dict[str, str]:
        """The project's fine-tuned versions whose files are still there (others: bundled, said once)."""
        saved = p.settings.get(VERSIONS_KEY)
        if not isinstance(saved, dict):
            p.settings.pop(VERSIONS_KEY, None)
            return {}
        kept = {f: str(w) for f, w in saved.items() if f in registry.names() and isinstance(w, str) and Path(w).is_file()}
        if kept != saved:
            p.settings[VERSIONS_KEY] = kept  # not a change of the project: it is saved so next time
            gone = ", ".join(sorted(set(saved) - set(kept)))
            msg = f"The fine-tuned {gone} version of this project is missing: using the bundled weights"
            QTimer.singleShot(0, lambda: self.statusBar().showMessage(msg, 10000))  # after the "Opened" message
        return kept

    def show_current_frame(self, fit: bool | None = None) -> None:
        p = self.project
        f = p.current_frame if p else None
        if f is None:
            self.canvas.show_frame(None)
            self._update_frame_ui()
            return
        try:
            image, hints = p.image(f), p.hints(f)
        except ImageError as e:
            self.canvas.show_frame(None)
            self.prompts.error("Cannot show frame", str(e))
            self._update_frame_ui()
            return
        self.canvas.show_frame(image, self._result_color(f), hints, f.result.kind if f.result else "lineart", fit=fit)
        self._update_frame_ui()

    def _result_color(self, f):
        if f.result is None:
            return None
        try:
            return f.result.color
        except ImageError as e:
            self.statusBar().showMessage(f"Color layer missing: {e}", 8000)
            return None

    def _update_title(self) -> None:
        p = self.project
        name = (p.name + ("*" if p.dirty else "")) if p else "no image"
        self.setWindowTitle(f"{name} — ColorPaint")

    def _update_frame_ui(self) -> None:
        p = self.project
        f = p.current_frame if p else None
        if f is None:
            self.frame_label.setText(" no frame ")
        else:
            flat = [x for s in p.shots for x in s.frames]
            i = flat.index(f)
            extra = (" · key" if f.key else "") + (" · corrected" if f.corrected else "") + (f" · drift {f.drift:.1f}" if f.drift is not None else "")
            self.frame_label.setText(f" {f.name}  {i + 1}/{len(flat)}{extra} ")
        n = p.frame_count if p else 0
        cur = [x for s in p.shots for x in s.frames].index(f) if f else 0
        self.act_prev.setEnabled(f is not None and cur > 0)
        self.act_next.setEnabled(f is not None and cur < n - 1)
        self.act_key.setChecked(bool(f and f.key))
        self.act_corrected.setChecked(bool(f and f.corrected))

    def _on_hints_changed(self, frame, rect) -> None:
        if frame is self.project.current_frame:
            self.canvas.set_hints(self.project.hints(frame), rect)
            if self.live_on:
                self._schedule_live()

    def _on_result_changed(self, frame) -> None:
        if frame is self.project.current_frame:
            self.canvas.set_color_layer(self._result_color(frame), frame.result.kind if frame.result else None)

    def _on_history(self) -> None:
        h = self.project.history if self.project else None
        self.act_undo.setEnabled(bool(h and h.can_undo))
        self.act_redo.setEnabled(bool(h and h.can_redo))
        self.history_panel.refresh(h)

    def _on_settings(self, key) -> None:
        if key in ("model", VERSIONS_KEY) and self.project is not None and not self._picking:
            self._select_in_picker(self.project.model, self.chosen_version(self.project.model))

    def _on_model_picked(self, index: int) -> None:
        family, weights = self.picked_model(index)
        if not family:
            return
        self._picking = True  # the settings events below must not move the picker meanwhile
        try:
            self._set_version(family, weights)
            if self.project is not None:
                self.project.set_model(family)
        finally:
            self._picking = False
        if self.project is not None and self.live_on:
            self._recolor_after_switch()

    def _recolor_after_switch(self) -> None:
        """Live is on and the model changed: show the shown frame in the new model's colors,
        never silently. A key or corrected frame keeps its colors; a frame that has colors
        gets them replaced as one undo step (in History); a frame without colors is
        previewed as Live does after a stroke."""
        f = self.project.current_frame
        if f is None:
            return
        if f.result is None:
            self._schedule_live()
        elif f.key or f.corrected:
            what = "key frame" if f.key else "corrected frame"
            self.statusBar().showMessage(f"This {what} keeps its colors; Colorize uses the new model when you ask", 8000)
        else:
            self.colorize()  # one undo step: Undo brings the earlier colors back

    # ---------------------------------------------------------------- model versions
    _picking = False

    def _version_map(self) -> dict[str, str]:
        """{family: weights file of the fine-tuned version in use}: the project's setting (saved
        with it), else the window's (carried into the next project made from images)."""
        if self.project is not None:
            return dict(self.project.settings.get(VERSIONS_KEY) or {})
        return dict(self._versions)

    def chosen_version(self, family: str) -> str | None:
        """The weights of the fine-tuned ``family`` version picked, None for the bundled one."""
        return self._version_map().get(family)

    def weights_for(self, family: str) -> str | None:
        """The weights a colorize with ``family`` uses: the fine-tuned version picked for it,
        else the ``weights`` override, else None (the bundled weights)."""
        return self.chosen_version(family) or self.model_weights.get(family)

    def effective_weights(self) -> dict[str, str]:
        """{family: weights_for(family)} for every family not on its bundled weights (shot jobs)."""
        return {**self.model_weights, **self._version_map()}

    def _set_version(self, family: str, weights: str | None) -> None:
        m = self._version_map()
        if weights:
            m[family] = str(weights)
        else:
            m.pop(family, None)
        self._versions = m
        p = self.project
        if p is not None and m != (p.settings.get(VERSIONS_KEY) or {}):
            p.set_setting(VERSIONS_KEY, m)

    def picked_model(self, index: int | None = None) -> tuple[str | None, str | None]:
        """(family, weights of the fine-tuned version or None for the bundled one) of a modelPicker item."""
        pk = self.model_picker
        i = pk.currentIndex() if index is None else index
        if i < 0:
            return None, None
        return pk.itemData(i), (pk.itemData(i, WEIGHTS_ROLE) or None)

    def _picker_index(self, family: str, weights: str | None) -> int:
        for i in range(self.model_picker.count()):
            fam, w = self.picked_model(i)
            if fam == family and (w == weights or (w and weights and Path(w) == Path(weights))):
                return i
        return -1

    def _select_in_picker(self, family: str | None, weights: str | None) -> None:
        """Show (family, weights) in the picker without acting on it; the family's bundled
        entry when that version is not listed."""
        i = self._picker_index(family, weights)
        if i < 0:
            i = self.model_picker.findData(family)
        if i >= 0 and i != self.model_picker.currentIndex():
            self.model_picker.blockSignals(True)
            self.model_picker.setCurrentIndex(i)
            self.model_picker.blockSignals(False)

    def refresh_model_picker(self) -> None:
        """List every model version in ``modelPicker``: per family its bundled weights (named
        after the family), then the artist's fine-tuned versions; the selection is kept."""
        pk = self.model_picker
        keep = (self.project.model, self.chosen_version(self.project.model)) if self.project else self.picked_model()
        versions = [v for v in self.model_store.list_versions() if not v.bundled]
        pk.blockSignals(True)
        pk.clear()
        for fam in registry.names():
            title = registry.spec(fam).title
            pk.addItem(fam, fam)
            pk.setItemData(pk.count() - 1, "", WEIGHTS_ROLE)
            pk.setItemData(pk.count() - 1, title, Qt.ItemDataRole.ToolTipRole)
            for v in versions:
                if v.family == fam:
                    pk.addItem(v.label, fam)
                    pk.setItemData(pk.count() - 1, str(v.weights), WEIGHTS_ROLE)
                    when = f", {v.info['date']}" if v.info.get("date") else ""
                    pk.setItemData(pk.count() - 1, f"{title}\nfine-tuned version “{v.name}”{when}\n{v.weights}",
                                   Qt.ItemDataRole.ToolTipRole)
        fm = pk.fontMetrics()
        pk.view().setMinimumWidth(max(fm.horizontalAdvance(pk.itemText(i)) for i in range(pk.count())) + 40)
        pk.blockSignals(False)
        if keep[0]:
            self._select_in_picker(*keep)

    def _as_choice(self, family: str, weights) -> str | None:
        """``weights`` as a picker choice: None when it is the family's bundled file."""
        if not weights:
            return None
        b = self.model_store.bundled_dir / f"{family}.safetensors"
        return None if Path(weights) == b or Path(weights) == registry.spec(family).default_weights else str(weights)

    def use_model_version(self, family: str, weights) -> bool:
        """Colorize, Live and shots use ``weights`` of ``family`` from now on (the Train
        panel's "Use this model"); False when the version is not in the model folder."""
        weights = self._as_choice(family, weights)
        i = self._picker_index(family, weights)
        if i < 0:
            self.refresh_model_picker()
            i = self._picker_index(family, weights)
        if i < 0:
            self.statusBar().showMessage(f"{weights}: not a model version of {family}", 8000)
            return False
        if i != self.model_picker.currentIndex():
            self.model_picker.setCurrentIndex(i)  # -> _on_model_picked
        else:
            self._on_model_picked(i)
        self.statusBar().showMessage(f"Colorize, Live and shots now use {self.model_picker.itemText(i)}", 6000)
        return True

    def _on_version_added(self, family: str, weights: str) -> None:
        self.refresh_model_picker()
        self.use_model_version(family, weights)

    def _on_version_removed(self, family: str, weights: str) -> None:
        """A version was deleted: whoever used it falls back to the bundled weights."""
        in_use = [fam for fam, w in self._version_map().items() if Path(w) == Path(weights)]
        for fam in in_use:
            self._set_version(fam, None)
        if self._session is not None:
            self._session.forget(weights)  # the file is gone; never colorize with a cached copy of it
        self.refresh_model_picker()
        if in_use:
            self.statusBar().showMessage(f"The {family} version in use was deleted: back to its bundled weights", 8000)

    # ================================================================== painting
    def set_tool(self, name: str) -> None:
        self.canvas.set_tool(name)
        self.tool_actions[name].setChecked(True)

    def set_color(self, color) -> None:
        self.canvas.brush_color = self.regions.snap_color(color)  # the nearest palette color when locked
        self.color_button.set_color(self.canvas.brush_color)

    def _on_stroke(self, stroke: Stroke) -> None:
        if self.project is not None and self.project.current_frame is not None:
            self.project.add_stroke(stroke)

    def _on_fill(self, x: float, y: float) -> None:
        p = self.project
        if p is None or p.current_frame is None:
            return
        s = Stroke("fill", ((x, y),), self.canvas.brush_color, opacity=self.canvas.brush_opacity, gap=self.regions.gap)
        if not p.add_stroke(s):
            self.statusBar().showMessage("Nothing to fill there: click inside an area closed by lines", 5000)

    def _layer_visible(self, layer: str, on: bool) -> None:
        self.canvas.set_layer_visible(layer, on)
        for a, name in ((self.act_hints, "hints"), (self.act_lineart, "lineart")):
            if name == layer and a.isChecked() != on:
                a.setChecked(on)
        cb = self.layers_panel.checks[layer]
        if cb.isChecked() != on:
            cb.setChecked(on)

    def _set_flag(self, **kw) -> None:
        if self.project and self.project.current_frame:
            self.project.set_flags(self.project.current_frame, **kw)

    def undo(self) -> None:
        if self.project:
            self.project.undo()

    def redo(self) -> None:
        if self.project:
            self.project.redo()

    # ================================================================== colorize
    def session(self):
        """The engine session, made on first use (on the worker: loading torch state is slow)."""
        with self._session_lock:
            if self._session is None:
                from ..engine.session import Session

                self._session = Session(None if self.device == "auto" else self.device)
            return self._session

    def _colorize_job(self, request, cancel: CancelToken):
        """The default engine: the pipeline's colorize job with this window's session."""
        from ..engine.pipeline import colorize

        yield Progress(0.01, "loading model")
        return (yield from colorize(self.session(), request, cancel))

    def make_request(self):
        """An immutable request for the current frame (arrays copied where they can change)."""
        from ..engine.pipeline import ColorizeRequest

        p = self.project
        f = p.current_frame
        image, hints = p.image(f), p.hints(f)
        hints = hints.copy() if f.strokes and hints[..., 3].any() else None
        palette = tuple(c for _, c in p.palette.saved) if p.settings.get("use_palette") else ()
        return ColorizeRequest(image, model=p.model, hints=hints, input_kind=p.settings.get("input_kind", "auto"), palette=palette,
                               work_size=int(self.prefs.work_size), weights=self.weights_for(p.model),
                               options=self.regions.flat_options())

    def colorize(self, live: bool = False) -> None:
        """Colorize the current frame on the worker; a newer request cancels an older one."""
        p = self.project
        if p is None or p.current_frame is None:
            return
        try:
            req = self.make_request()
        except ImageError as e:
            self.prompts.error("Cannot colorize", str(e))
            return
        frame_id, engine = p.current_frame.id, self.engine
        self._job_t0 = time.perf_counter()
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.cancel_button.setVisible(True)
        self.statusBar().showMessage(f"Colorizing with {req.model}…")
        self.requests.submit(lambda token: flat_job(engine(req, token), req), progressed=self._on_progress,
                             finished=lambda res: self._on_colorized(p, frame_id, res, live),
                             failed=lambda e: self._on_colorize_failed(e, live), cancelled=self._on_cancelled, done=self._on_job_done)

    def _on_progress(self, prog: Progress) -> None:
        self.progress.setValue(int(prog.fraction * 100))
        if prog.message:
            self.statusBar().showMessage(f"Colorizing: {prog.message}")

    def _on_colorized(self, project: Project, frame_id: str, res, live: bool) -> None:
        if project is not self.project:
            return  # the artist opened something else meanwhile
        frame = project.frame(frame_id)
        project.apply_result(FrameResult.from_engine(res, project.new_rev()), frame, undoable=not live)
        total = time.perf_counter() - self._job_t0
        self.device_label.setText(res.device)
        self.time_label.setText(f"{res.seconds:.2f} s")
        self.statusBar().showMessage(f"Colorized with {res.model} on {res.device} in {res.seconds:.2f} s ({total:.2f} s to screen)", 8000)

    def _on_colorize_failed(self, e: BaseException, live: bool) -> None:
        known = isinstance(e, (WeightsError, ImageError, ValueError, KeyError, RuntimeError, OSError))
        msg = str(e) if known and str(e) else f"{e.__class__.__name__}: {e}"
        if not known:
            traceback.print_exception(e)
        if live:
            self.act_live.setChecked(False)
            self.set_live(False)  # one dialog, not one per stroke
        self.statusBar().showMessage("Colorize failed", 8000)
        self.prompts.error("Colorize failed", msg)

    def _on_cancelled(self) -> None:
        if not self.requests.has_pending:
            self.statusBar().showMessage("Colorize cancelled", 4000)

    def _on_job_done(self) -> None:
        if not self.requests.busy:
            self.progress.setVisible(False)
            self.cancel_button.setVisible(False)

    @property
    def colorizing(self) -> bool:
        """A colorize is running, waiting, or about to be requested by Live."""
        return self.requests.busy or self._live_scheduled

    def cancel(self) -> None:
        """Esc: cancel the frame's colorize, else the running shot colorize."""
        if self.requests.busy:
            self.requests.cancel()
            self.statusBar().showMessage("Cancelling…")
        elif self.shots.cancel():
            self.statusBar().showMessage("Cancelling the shot colorize (finished frames stay)…")

    def set_live(self, on: bool) -> None:
        self.live_on = bool(on)
        if self.act_live.isChecked() != self.live_on:
            self.act_live.setChecked(self.live_on)
        if self.live_on:
            self._schedule_live()

    def _schedule_live(self) -> None:
        if not self._live_scheduled:  # several changes in one event-loop turn make one request
            self._live_scheduled = True
            QTimer.singleShot(0, self._run_live)

    def _run_live(self) -> None:
        self._live_scheduled = False
        if self.live_on:
            self.colorize(live=True)

    # ================================================================== files
    def maybe_save(self) -> bool:
        """Before the project goes away: True when it may (saved, discarded or clean)."""
        p = self.project
        if p is None or not p.dirty:
            return True
        ans = self.prompts.save_changes(p.name)
        if ans == "save":
            return self.save(wait=True)
        return ans == "discard"

    def open_dialog(self) -> None:
        path = self.prompts.open_file()
        if path:
            self.open_path(path)

    def open_folder_dialog(self) -> None:
        path = self.prompts.open_folder()
        if path:
            self.open_path(path)

    def open_path(self, path) -> bool:
        """Open an image, a folder of frames, a video or a project. On failure the current
        work stays as it was and a dialog shows the loader's message."""
        path = Path(path)
        if not self.maybe_save():
            return False
        try:
            p = open_path(path)
        except (ImageError, ProjectError, OSError) as e:
            self.prompts.error("Cannot open", str(e) if not isinstance(e, OSError) else f"{path}: {e.strerror or e}")
            return False
        if p.path is None:
            self.adopt_new_project(p)
        else:
            self.set_project(p)
        self.prefs.add_recent(path)
        self.statusBar().showMessage(f"Opened {path.name}: {p.frame_count} frame{'s' if p.frame_count != 1 else ''}", 5000)
        warnings = getattr(p, "load_warnings", None)
        if warnings:  # repaired on load: say what, once
            more = f"\n… and {len(warnings) - 8} more" if len(warnings) > 8 else ""
            self.prompts.error("Opened with repairs", f"{path.name} had values ColorPaint could not use; they were repaired or "
                               f"left out and the rest of the project is kept:\n\n" + "\n".join(warnings[:8]) + more)
        return True

    def adopt_new_project(self, p: Project) -> None:
        """Show a project made from images (not saved yet): the preferred model and a starting palette."""
        p.set_model(self.prefs.default_model if self.prefs.default_model in registry.names() else "auto")
        if self._versions:  # the fine-tuned versions in use so far carry over
            p.set_setting(VERSIONS_KEY, dict(self._versions))
        for name, c in DEFAULT_COLORS:
            p.palette.save_color(c, name)
        p.mark_clean()
        self.set_project(p)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for r in self.prefs.recent_files:
            self.recent_menu.addAction(r, lambda r=r: self.open_path(r))
        if not self.prefs.recent_files:
            self.recent_menu.addAction("(none)").setEnabled(False)

    def _on_drop(self, paths: list) -> None:
        for path in paths:
            if Path(path).suffix.lower() == ".gpl" and self.project is not None:
                self.load_palette(path)
            else:
                self.open_path(path)
                break

    def dragEnterEvent(self, e) -> None:
        if e.mimeData().hasUrls():
            e.acceptProposedAction()

    def dropEvent(self, e) -> None:
        self._on_drop([u.toLocalFile() for u in e.mimeData().urls() if u.isLocalFile()])

    def load_palette_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load a GIMP palette", "", "GIMP palette (*.gpl)")
        if path:
            self.load_palette(path)

    def load_palette(self, path) -> None:
        if self.project is None:
            return
        try:
            n = self.project.palette.load_gpl(path)
        except (OSError, ValueError) as e:
            self.prompts.error("Cannot load palette", str(e))
            return
        self.statusBar().showMessage(f"{n} colors added to the palette", 4000)

    def save(self, folder=None, ask: bool = False, wait: bool = False) -> bool:
        """Save the project (to ``folder``, its own folder, or one the artist picks). The
        files are written on the I/O worker unless ``wait``; the project is marked clean
        when they are on disk."""
        p = self.project
        if p is None:
            return False
        if folder is None and (ask or p.path is None):
            suggested = str(Path(self.prefs.recent_files[0]).parent / (p.name + SUFFIX)) if self.prefs.recent_files else p.name + SUFFIX
            folder = self.prompts.save_file("Save project as", suggested, f"ColorPaint project (*{SUFFIX})")
            if not folder:
                return False
        folder = Path(folder) if folder is not None else p.path
        if folder.suffix != SUFFIX:
            folder = folder.with_name(folder.name + SUFFIX)
        if not self._may_save_into(folder):
            return False
        snap, version = snapshot(p), p.version
        self.statusBar().showMessage(f"Saving {folder.name}…")

        def saved(sources) -> None:
            finish_save(p, folder, sources, version)
            if p is self.project:
                self.trainer.set_project_dir(p.path)  # its corrected/ frames are training data now
            self.prefs.add_recent(folder)
            self.io.start(lambda token: self.recovery.discard())
            self._update_title()
            self.statusBar().showMessage(f"Saved {folder}", 5000)

        if wait:
            if not self.io.pool.waitForDone(60000):
                self.prompts.error("Cannot save", "an earlier save is still running")
                return False
            try:
                saved(write_snapshot_checked(snap, folder))
            except ProjectError as e:
                self.prompts.error("Cannot save", str(e))
                return False
            return True
        self.io.start(lambda token: write_snapshot_checked(snap, folder), finished=saved,
                      failed=lambda e: self.prompts.error("Cannot save", str(e)))
        return True

    def _may_save_into(self, folder: Path) -> bool:
        """Whether a save may write ``folder``: its own folder, a new or empty one, or
        another project's that the artist agreed to replace."""
        p = self.project
        own = p.path is not None and Path(p.path).resolve() == folder.resolve()
        if own or not folder.exists() or (folder.is_dir() and not any(folder.iterdir())):
            return True
        if not is_project(folder):
            self.prompts.error("Cannot save", f"{folder} already exists and is not a ColorPaint project: choose another name")
            return False
        return self.prompts.replace_project(folder.name)

    def autosave(self) -> None:
        """Write a recovery copy on the I/O worker if something changed since the last one."""
        p = self.project
        if p is None or not p.dirty or p.version == self._autosaved_version or self.io.busy:
            return
        snap, version, name, original = snapshot(p), p.version, p.name, str(p.path) if p.path else None

        def done(_):
            self._autosaved_version = version

        self.io.start(lambda token: self.recovery.write(snap, name, original), finished=done,
                      failed=lambda e: self.statusBar().showMessage(f"Autosave failed: {e}", 8000))

    def _apply_autosave_interval(self) -> None:
        m = float(self.prefs.autosave_minutes)
        if m > 0:
            self.autosave_timer.start(int(m * 60000))
        else:
            self.autosave_timer.stop()

    def offer_recovery(self) -> bool:
        """At start: offer autosaved work a crashed session left behind."""
        found = self.recovery.candidates()
        if not found:
            return False
        info = found[0]
        ans = self.prompts.recover(info)
        if ans == "discard":
            Recovery.remove(info)
        elif ans == "recover":
            try:
                p = self.recovery.recover(info)
            except (ProjectError, OSError) as e:
                self.prompts.error("Cannot recover", str(e))
                return False
            self.set_project(p)
            self.statusBar().showMessage("Recovered unsaved work: save it to keep it", 10000)
            return True
        return False

    # ---------------------------------------------------------------- exports
    def export_dialog(self, kind: str) -> None:
        if self.project is None:
            return
        ext = {"png": ".png", "color": "_color.png", "ora": ".ora", "flats": "_flats.ora"}[kind]
        flt = "OpenRaster (*.ora)" if kind in ("ora", "flats") else "PNG image (*.png)"
        path = self.prompts.save_file("Export", self.project.name + ext, flt)
        if path:
            self.export(kind, path)

    def export(self, kind: str, path):
        """Export the current frame: 'png' composite, 'color' layer (RGBA), layered 'ora', or
        'flats' (layered ORA, one layer per flat color).
        Written on the I/O worker; returns the Task (None if there is nothing to export)."""
        p = self.project
        f = p.current_frame if p else None
        if f is None:
            return None
        path = Path(path)
        try:
            line, res = p.image(f), f.result
            comp, color = (res.composite, res.color) if res else (None, None)
            hints = p.hints(f).copy() if f.strokes else None
        except ImageError as e:
            self.prompts.error("Cannot export", str(e))
            return None
        kind_ = res.kind if res else "lineart"
        if kind in ("color", "flats") and color is None:
            self.prompts.error("Nothing to export", "This frame has no color layer yet: colorize it first.")
            return None
        if kind == "png":
            job = lambda token: save_image(path, comp if comp is not None else line)
        elif kind == "color":
            job = lambda token: save_image(path, color_layer_rgba(color, line, kind_))
        elif kind == "ora":
            job = lambda token: write_ora(path, line, kind_, color, comp, hints)
        elif kind == "flats":
            gap, named = self.regions.gap, list(p.palette.saved)
            job = lambda token: write_flats_ora(path, line, color, gap, named)
        else:
            raise ValueError(f"unknown export {kind!r}")
        return self.io.start(job, finished=lambda _: self.statusBar().showMessage(f"Exported {path}", 5000),
                             failed=lambda e: self.prompts.error("Cannot export", str(e)))

    # ================================================================== preferences, closing
    def preferences_dialog(self) -> None:
        from .preferences_dialog import PreferencesDialog

        d = PreferencesDialog(self.prefs, registry.names(), self)
        if d.exec():
            old_device = self.prefs.device
            d.apply()
            if self.prefs.device != old_device:
                self.device = self.prefs.device
                with self._session_lock:
                    self._session = None  # the next colorize loads models on the new device
                self.device_label.setText(f"device: {self.device}")
            self._apply_autosave_interval()
            self._save_prefs()

    def _save_prefs(self) -> None:
        self.prefs.brush_size = self.canvas.brush_size
        try:
            self.prefs.save()
        except OSError as e:
            self.statusBar().showMessage(f"Cannot save preferences: {e}", 5000)

    def shutdown(self) -> None:
        """Stop background work (waiting for saves to finish) and drop the recovery copy."""
        self.autosave_timer.stop()
        self.requests.cancel()
        self.runner.shutdown()
        self.regions.runner.shutdown()
        self.shots.shutdown()
        self.trainer.shutdown()  # a training run stops with its checkpoint kept
        self.io.pool.waitForDone()  # never cut a save short
        self.recovery.discard()
        self._save_prefs()

    def show_trainer(self) -> None:
        """Raise the Train panel (a tab beside the timeline) with room for its settings and
        curve: the bottom dock grows; when the docks on the right leave it too little height,
        the panel floats over the window instead (dock it back by double-clicking its title)."""
        d = self.train_dock
        d.show()
        d.raise_()
        QTimer.singleShot(0, self._make_room_for_trainer)  # once the tab switch is laid out

    def _make_room_for_trainer(self) -> None:
        d, want = self.train_dock, 480
        if d.isFloating() or d.height() >= want:
            return
        self.resizeDocks([d], [want], Qt.Orientation.Vertical)
        if d.height() < want * 0.8:
            d.setFloating(True)
            screen = self.screen().availableGeometry() if self.screen() else self.geometry()
            w, h = min(1200, screen.width() - 40), min(800, screen.height() - 80)
            d.resize(w, h)
            c = self.frameGeometry().center()
            d.move(max(screen.left(), c.x() - w // 2), max(screen.top(), c.y() - h // 2))

    def closeEvent(self, e) -> None:
        if self.trainer.is_busy() and not self.prompts.stop_training():
            e.ignore()
            return
        if not self.maybe_save():
            e.ignore()
            return
        self.shutdown()
        e.accept()
