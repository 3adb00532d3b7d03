"""The window's actions (with their shortcuts), menus and toolbars. Built once by
:class:`~.main_window.MainWindow`; the slots they call live on the window, and the toolbar's
brush fields follow the window's tool state through :func:`~.bind.bind`."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSize, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QComboBox, QLabel, QPushButton, QSlider, QSpinBox, QToolBar, QToolButton

from . import icons
from .bind import bind
from .help import ShortcutsDialog, about, shortcut_rows
from .panels import ColorButton


class KeysBackToCanvas(QObject):
    """On a number field of the toolbar: Enter or Escape hands the keyboard back to the
    canvas, and a tool key (a letter, [ or ]) works at once instead of being swallowed."""

    def __init__(self, canvas, parent) -> None:
        super().__init__(parent)
        self.canvas = canvas

    def eventFilter(self, obj, e) -> bool:
        t = e.type()
        if t not in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress):
            return False
        key = e.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Escape):
            if t == QEvent.Type.KeyPress:
                obj.interpretText()
                self.canvas.setFocus()
                return key == Qt.Key.Key_Escape
            return False
        tool_key = Qt.Key.Key_A <= key <= Qt.Key.Key_Z or key in (Qt.Key.Key_BracketLeft, Qt.Key.Key_BracketRight)
        if tool_key and not e.modifiers() & ~Qt.KeyboardModifier.ShiftModifier:
            if t == QEvent.Type.ShortcutOverride:
                e.ignore()  # not the field's: let the window's shortcut have it
                obj.interpretText()
                self.canvas.setFocus()
                return True
        return False


class WindowActions:
    """Mixin of :class:`MainWindow`: makes its actions, menus and toolbars."""

    def shortcuts(self) -> list[tuple[str, str]]:
        """(action, keys) for every shortcut of the window and its timeline."""
        return shortcut_rows(list(self.actions()) + list(self.timeline.actions()))

    def show_shortcuts(self) -> ShortcutsDialog:
        d = ShortcutsDialog(self.shortcuts(), self)
        d.open()
        return d

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

    def _build_actions(self) -> None:
        """Every QAction of the window, with its shortcut; the tool actions in one group."""
        A = self._action
        self.act_open = A("&Open…", self.open_dialog, "Ctrl+O", tip="Open an image, video or project")
        self.act_open_folder = A("Open &Folder…", self.open_folder_dialog, "Ctrl+Shift+O", tip="Open a folder of frames or a project folder")
        self.act_sample = A("Open &Sample", lambda: self.open_path(self.SAMPLE), tip="Open the bundled sample shot")
        self.act_save = A("&Save Project", lambda: self.save(), "Ctrl+S")
        self.act_save_as = A("Save Project &As…", lambda: self.save(ask=True), "Ctrl+Shift+S")
        self.act_export_png = A("Export &Composite PNG…", lambda: self.export_dialog("png"), "Ctrl+E")
        self.act_export_color = A("Export Color &Layer PNG…", lambda: self.export_dialog("color"))
        self.act_export_ora = A("Export &OpenRaster (.ora)…", lambda: self.export_dialog("ora"), "Ctrl+Shift+E")
        self.act_export_flats = A("Export &Flats (.ora)…", lambda: self.export_dialog("flats"),
                                  tip="Layered OpenRaster: one layer per flat color, named from the palette, line art on top")
        self.act_export_hinted = A("Export &Hinted Flats PNG…", lambda: self.export_dialog("hinted"),
                                   tip="The colors of the regions you hinted; every other region and the lines transparent")
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
        self.act_smaller = A("Smaller Brush", lambda: self.tools.grow(-1), "[")
        self.act_bigger = A("Bigger Brush", lambda: self.tools.grow(1), "]")
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
        self.act_replace_color = A("Replace &Color in Shot…", lambda: self.shots.replace_color_dialog(),
                                   tip="Every hint and flat color of the brush color, on every frame of the shot, "
                                       "becomes the color you choose (pick the old one with the Picker first)")
        self.act_rename_shot = A("Re&name Shot…", lambda: self.shots.rename_dialog(), tip="Rename the shot shown in the timeline")
        self.act_delete_shot = A("&Delete Shot", lambda: self.shots.delete_current(),
                                 tip="Delete the shot shown in the timeline, with its frames' hints and colors (Undo brings it back)")
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

    def _build_menus(self) -> None:
        """File, Edit, View, Tools, Frame and Help (the Help menu's actions are made here)."""
        A = self._action
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
        for a in (self.act_export_png, self.act_export_color, self.act_export_ora, self.act_export_flats, self.act_export_hinted):
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
        for a in (self.act_prev, self.act_next, None, self.act_key, self.act_corrected, None, self.act_colorize_shot,
                  self.act_replace_color, None, self.act_rename_shot, self.act_delete_shot):
            m.addSeparator() if a is None else m.addAction(a)
        self.shot_export_menu = m.addMenu("&Export Shot")
        for text, kind in (("PNG Sequence…", "png"), ("MP4 Video…", "mp4"), ("Layered ORA per Frame…", "ora")):
            self.shot_export_menu.addAction(text, lambda k=kind: self.shots.export_dialog(k))
        m = mb.addMenu("&Help")
        self.act_shortcuts = A("&Keyboard Shortcuts", self.show_shortcuts, "F1", tip="Every shortcut (F1)")
        m.addAction(self.act_shortcuts)
        m.addAction(A("&About ColorPaint", lambda: about(self)))

    def _build_toolbars(self) -> None:
        """The toolbox (left) and the main toolbar (top): brush, model, Colorize, Live, frames."""
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
        bind(self.size_spin, self.tools, "size")
        self.size_spin.installEventFilter(KeysBackToCanvas(self.canvas, self.size_spin))
        tb.addWidget(self.size_spin)
        tb.addWidget(QLabel(" Opacity "))
        self.opacity_slider = QSlider(Qt.Orientation.Horizontal, tb)
        self.opacity_slider.setObjectName("brushOpacity")
        self.opacity_slider.setRange(5, 100)
        self.opacity_slider.setMaximumWidth(110)
        bind(self.opacity_slider, self.tools, "opacity", scale=100)  # percent
        tb.addWidget(self.opacity_slider)
        tb.addSeparator()
        tb.addWidget(QLabel(" Model "))
        self.model_picker = QComboBox(tb)
        self.model_picker.setObjectName("modelPicker")
        self.model_picker.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.model_picker.setMinimumContentsLength(12)  # long version names are elided here, whole in the list
        self.list_versions_later()
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
