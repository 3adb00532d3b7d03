"""A dark Fusion theme, as painting programs use: the artwork is the brightest thing on screen."""
from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication


def apply_dark(app: QApplication) -> None:
    app.setStyle("Fusion")
    p = QPalette()
    base, window, text = QColor(42, 42, 46), QColor(50, 50, 54), QColor(220, 220, 224)
    for role, color in ((QPalette.ColorRole.Window, window), (QPalette.ColorRole.WindowText, text),
                        (QPalette.ColorRole.Base, base), (QPalette.ColorRole.AlternateBase, window),
                        (QPalette.ColorRole.ToolTipBase, QColor(30, 30, 32)), (QPalette.ColorRole.ToolTipText, text),
                        (QPalette.ColorRole.Text, text), (QPalette.ColorRole.Button, QColor(60, 60, 65)),
                        (QPalette.ColorRole.ButtonText, text), (QPalette.ColorRole.BrightText, QColor(255, 80, 80)),
                        (QPalette.ColorRole.Highlight, QColor(62, 120, 200)), (QPalette.ColorRole.HighlightedText, QColor(255, 255, 255)),
                        (QPalette.ColorRole.Link, QColor(100, 160, 240)), (QPalette.ColorRole.PlaceholderText, QColor(140, 140, 145))):
        p.setColor(role, color)
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(120, 120, 125))
    app.setPalette(p)
    app.setStyleSheet(CHECKED_STYLE)


# a checked toggle (Live, Key Frame, Corrected, Onion, the tools) must read as on at a glance
CHECKED_STYLE = """
QToolButton:checked, QPushButton:checked {
    background-color: #3e78c8; color: #ffffff; border: 1px solid #8ab4f0; border-radius: 3px;
}
QToolButton:checked:hover, QPushButton:checked:hover { background-color: #4a86d8; }
"""
