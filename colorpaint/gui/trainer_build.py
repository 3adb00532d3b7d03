"""The Train panel's widgets and layout (:class:`~colorpaint.gui.trainer_tab.TrainerTab`
wires them to its run and versions)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QFrame, QGroupBox,
                               QHBoxLayout, QHeaderView, QLabel, QListWidget, QPlainTextEdit, QProgressBar, QPushButton,
                               QSpinBox, QSplitter, QTableWidget, QTreeWidget, QVBoxLayout, QWidget)

from .image_preview import ImagePreview
from .loss_curve import LossCurve


class TrainerLayout:
    """Mixin of :class:`TrainerTab`: builds its widgets (each with an ``objectName``)."""

    def _build(self) -> None:
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)

        box = QGroupBox("Model to fine-tune")
        fl = QVBoxLayout(box)
        self.model_picker = QComboBox(objectName="trainModelPicker")
        self.model_picker.setToolTip("Training starts from these weights; the result is saved as a new version")
        fl.addWidget(self.model_picker)
        lv.addWidget(box)

        box = QGroupBox("Training data")
        dl = QVBoxLayout(box)
        self.project_check = QCheckBox("This project's corrected frames", objectName="useProjectCheck")
        self.project_check.setChecked(True)
        self.project_label = QLabel(objectName="projectDataLabel")
        self.project_label.setWordWrap(True)
        self.project_label.setStyleSheet("color: palette(mid);")
        self.data_list = QListWidget(objectName="dataList")
        self.data_list.setMaximumHeight(90)
        self.data_list.setToolTip("Folders of colored frames or pairs, folders of shots, and videos of earlier episodes")
        row = QHBoxLayout()
        self.add_folder_button = QPushButton("Add folder…", objectName="addFolderButton")
        self.add_video_button = QPushButton("Add video…", objectName="addVideoButton")
        self.remove_data_button = QPushButton("Remove", objectName="removeDataButton")
        for b in (self.add_folder_button, self.add_video_button, self.remove_data_button):
            row.addWidget(b)
        self.holdout_spin = QSpinBox(objectName="holdoutSpin", suffix=" %", minimum=0, maximum=50, value=20)
        self.holdout_spin.setToolTip("The latest frames of each source (by name order) are kept out of training\n"
                                     "and used to compare the model before and after")
        hl = QHBoxLayout()
        hl.addWidget(QLabel("Hold out the last"))
        hl.addWidget(self.holdout_spin)
        hl.addWidget(QLabel("of each source for the comparison"))
        hl.addStretch(1)
        dl.addWidget(self.project_check)
        dl.addWidget(self.project_label)
        dl.addWidget(self.data_list)
        dl.addLayout(row)
        dl.addLayout(hl)
        self.split_label = QLabel(objectName="splitLabel")  # what will be held out, said before starting
        self.split_label.setWordWrap(True)
        dl.addWidget(self.split_label)
        self.holdout_spin.valueChanged.connect(lambda _: self._update_split_label())
        lv.addWidget(box)

        box = QGroupBox("Settings")
        form = QFormLayout(box)
        self.device_combo = QComboBox(objectName="deviceCombo")
        self.device_combo.addItem("CPU", "cpu")  # GPU (CUDA) is added when the worker finds one
        self.steps_spin = QSpinBox(objectName="stepsSpin", minimum=1, maximum=1_000_000, singleStep=50)
        self.size_spin = QSpinBox(objectName="sizeSpin", minimum=32, maximum=1024, singleStep=32, suffix=" px")
        self.lr_spin = QDoubleSpinBox(objectName="lrSpin")
        self.lr_spin.setDecimals(6)  # before the range: a 2-decimal box would round 1e-6 to 0
        self.lr_spin.setRange(1e-6, 1e-2)
        self.lr_spin.setSingleStep(1e-5)
        self.batch_spin = QSpinBox(objectName="batchSpin", minimum=1, maximum=256)
        self.defaults_button = QPushButton("Defaults", objectName="defaultsButton")
        dev_row = QHBoxLayout()
        dev_row.addWidget(self.device_combo, 1)
        dev_row.addWidget(self.defaults_button)
        form.addRow("Device", dev_row)
        form.addRow("Steps", self.steps_spin)
        form.addRow("Working size", self.size_spin)
        form.addRow("Learning rate", self.lr_spin)
        form.addRow("Batch size", self.batch_spin)
        lv.addWidget(box)

        row = QHBoxLayout()
        self.start_button = QPushButton("Start training", objectName="startTrainingButton")
        self.stop_button = QPushButton("Stop", objectName="stopTrainingButton")
        self.resume_button = QPushButton("Resume", objectName="resumeTrainingButton")
        self.start_button.setDefault(True)
        self.stop_button.setToolTip("Stop after the current batch; the last checkpoint is kept and can be resumed")
        for b in (self.start_button, self.stop_button, self.resume_button):
            row.addWidget(b)
        lv.addLayout(row)

        box = QGroupBox("Model versions")
        vl = QVBoxLayout(box)
        self.version_list = QTreeWidget(objectName="versionList")
        self.version_list.setHeaderLabels(["Name", "Model", "Held-out PSNR"])
        self.version_list.setRootIsDecorated(False)
        self.version_list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.version_list.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.version_list.header().setStretchLastSection(False)
        row = QHBoxLayout()
        self.use_button = QPushButton("Use this model", objectName="useModelButton")
        self.rename_button = QPushButton("Rename…", objectName="renameVersionButton")
        self.delete_button = QPushButton("Delete", objectName="deleteVersionButton")
        for b in (self.use_button, self.rename_button, self.delete_button):
            row.addWidget(b)
        vl.addWidget(self.version_list)
        vl.addLayout(row)
        lv.addWidget(box, 1)

        # ---- right: live run and results
        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        self.error_frame = QFrame(objectName="trainErrorFrame")
        self.error_frame.setStyleSheet("#trainErrorFrame { background: #fde8e8; border: 1px solid #e0a0a0; border-radius: 4px; }")
        el = QHBoxLayout(self.error_frame)
        self.error_label = QLabel(objectName="trainErrorLabel")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #8a1010;")
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.open_log_button = QPushButton("Open log", objectName="openLogButton")
        el.addWidget(self.error_label, 1)
        el.addWidget(self.open_log_button)
        self.error_frame.hide()
        rv.addWidget(self.error_frame)

        self.status_label = QLabel(objectName="trainStatusLabel")
        self.progress = QProgressBar(objectName="trainProgress")
        self.progress.setTextVisible(True)
        rv.addWidget(self.status_label)
        rv.addWidget(self.progress)

        live_w = QWidget()
        live = QHBoxLayout(live_w)
        live.setContentsMargins(0, 0, 0, 0)
        self.curve = LossCurve()
        live.addWidget(self.curve, 3)
        sv = QVBoxLayout()
        cap = self.sample_caption = QLabel("Latest held-out samples: input | model | truth")
        cap.setWordWrap(True)
        self.sample_preview = ImagePreview("Samples appear at each validation", "samplePreview")
        sv.addWidget(cap)
        sv.addWidget(self.sample_preview, 1)
        live.addLayout(sv, 2)

        self.log_view = QPlainTextEdit(objectName="trainLog", readOnly=True)
        self.log_view.setMaximumBlockCount(500)
        self.log_view.setMinimumHeight(40)

        box = self.results_box = QGroupBox("Before and after, on the held-out frames")
        res = QHBoxLayout(box)
        self.metrics_table = QTableWidget(0, 3, objectName="metricsTable")
        self.metrics_table.setHorizontalHeaderLabels(["Before", "After", "Change"])
        self.metrics_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.metrics_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.metrics_table.setMinimumWidth(260)
        self.comparison_preview = ImagePreview("No comparison yet", "comparisonImage")
        res.addWidget(self.metrics_table, 2)
        res.addWidget(self.comparison_preview, 3)
        box.hide()  # until a run has results: the live view gets the room meanwhile

        self.right_split = QSplitter(Qt.Orientation.Vertical)
        for w in (live_w, self.log_view, box):
            self.right_split.addWidget(w)
        self.right_split.setSizes([600, 80, 0])
        rv.addWidget(self.right_split, 1)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(0, 0)
        split.setStretchFactor(1, 1)
        outer = QVBoxLayout(self)
        outer.addWidget(split)

        self.add_folder_button.clicked.connect(self._ask_folder)
        self.add_video_button.clicked.connect(self._ask_video)
        self.remove_data_button.clicked.connect(self._remove_data)
        self.device_combo.currentIndexChanged.connect(self._apply_defaults)
        self.defaults_button.clicked.connect(self._apply_defaults)
        self.start_button.clicked.connect(self.start_training)
        self.stop_button.clicked.connect(self.stop_training)
        self.resume_button.clicked.connect(self.resume_training)
        self.open_log_button.clicked.connect(self.open_log)
        self.version_list.itemSelectionChanged.connect(self._update_buttons)
        self.version_list.itemDoubleClicked.connect(lambda *_: self.use_selected())
        self.use_button.clicked.connect(self.use_selected)
        self.rename_button.clicked.connect(self._ask_rename)
        self.delete_button.clicked.connect(self._ask_delete)
        self.project_check.toggled.connect(self._use_project)
        self._update_project_label()
