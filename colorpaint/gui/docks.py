"""The window's canvas, docks and status bar: the palette, layers, history, regions and
references on the right; the timeline and the Train panel at the bottom. Built once by
:class:`~.main_window.MainWindow`, after its actions (see :mod:`.actions`)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QFrame, QLabel, QProgressBar, QPushButton, QScrollArea

from .canvas import HintCanvas
from .panels import HistoryPanel, LayersPanel, PalettePanel
from .references_panel import ReferencesPanel
from .regions_panel import RegionTools
from .shots import ShotController
from .trainer_tab import TrainerTab


class WindowDocks:
    """Mixin of :class:`MainWindow`: makes its canvas, docks and status bar."""

    def _build_canvas(self) -> None:
        self.canvas = HintCanvas(self, self.tools)  # paints with the window's tool state
        self.setCentralWidget(self.canvas)
        c = self.canvas
        c.strokeFinished.connect(self._on_stroke)
        c.fillRequested.connect(self._on_fill)
        c.colorPicked.connect(self.set_color)
        c.zoomChanged.connect(lambda z: self.zoom_label.setText(f"{z * 100:.0f} %"))
        c.filesDropped.connect(self._on_drop)

    def _build_docks(self) -> None:
        """Palette, layers and history (right), the Regions dock, and References beside the palette."""
        self.palette_panel = PalettePanel()
        self.palette_panel.colorChosen.connect(self.set_color)
        self.palette_panel.saveRequested.connect(lambda: self.project and self.project.palette.save_color(self.tools.color))
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
        self.references_panel = rp = ReferencesPanel()
        rp.addRequested.connect(self.add_reference_dialog)
        rp.filesDropped.connect(self.add_references)
        rp.removeRequested.connect(self.remove_reference)
        rp.enabledChanged.connect(self.set_reference_enabled)
        rp.matchesToggled.connect(lambda on: self._show_reference_matches())
        d = self.references_dock = QDockWidget("References", self)
        d.setObjectName("referencesDock")
        d.setWidget(rp)
        d.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, d)
        self.tabifyDockWidget(docks[0], d)  # a tab beside the palette
        docks[0].raise_()

    def _build_status_bar(self) -> None:
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

    def _build_bottom_docks(self) -> None:
        """The timeline, and the Train panel as a tab beside it."""
        # ---- timeline (bottom): shots, frame strip, keys, shot colorize
        self.shots = ShotController(self)
        self.timeline = self.shots.panel
        d = self.timeline_dock = QDockWidget("Timeline", self)
        d.setObjectName("timelineDock")
        d.setWidget(self.timeline)
        d.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, d)

        # ---- Train panel (bottom, a tab beside the timeline): fine-tune, then pick the version here
        self.trainer = TrainerTab(store=self.model_store, runner=self.workers.background)
        self.trainer.prompts = self.prompts
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
