"""The preferences dialog: device, working resolution, default model, autosave interval,
what a tablet pen's pressure changes."""
from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QSpinBox

from ..project.appdata import Preferences


class PreferencesDialog(QDialog):
    def __init__(self, prefs: Preferences, models: list[str], parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.prefs = prefs
        form = QFormLayout(self)
        self.device = QComboBox()
        self.device.addItems(["auto", "cpu", "cuda", "mps"])
        self.device.setCurrentText(prefs.device)
        self.work_size = QSpinBox()
        self.work_size.setRange(64, 4096)
        self.work_size.setSingleStep(32)
        self.work_size.setSuffix(" px")
        self.work_size.setValue(prefs.work_size)
        self.work_size.setToolTip("Long side the network runs at; the result keeps the full size")
        self.model = QComboBox()
        self.model.addItems(models)
        self.model.setCurrentText(prefs.default_model)
        self.autosave = QDoubleSpinBox()
        self.autosave.setRange(0, 120)
        self.autosave.setSuffix(" min")
        self.autosave.setSpecialValueText("off")
        self.autosave.setValue(prefs.autosave_minutes)
        form.addRow("Device", self.device)
        form.addRow("Working resolution", self.work_size)
        form.addRow("Default model", self.model)
        form.addRow("Autosave every", self.autosave)
        self.pressure_size = QCheckBox("Size")
        self.pressure_size.setObjectName("pressureSize")
        self.pressure_size.setChecked(prefs.pressure_size)
        self.pressure_size.setToolTip("A tablet pen's pressure scales the brush and eraser size")
        self.pressure_opacity = QCheckBox("Opacity")
        self.pressure_opacity.setObjectName("pressureOpacity")
        self.pressure_opacity.setChecked(prefs.pressure_opacity)
        self.pressure_opacity.setToolTip("A tablet pen's pressure scales the brush opacity")
        form.addRow("Pen pressure", self.pressure_size)
        form.addRow("", self.pressure_opacity)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def apply(self) -> None:
        """Copy the dialog's values into the preferences object."""
        p = self.prefs
        p.device, p.work_size = self.device.currentText(), self.work_size.value()
        p.default_model, p.autosave_minutes = self.model.currentText(), self.autosave.value()
        p.pressure_size, p.pressure_opacity = self.pressure_size.isChecked(), self.pressure_opacity.isChecked()
