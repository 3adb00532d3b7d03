"""Start the window: the QApplication, the theme, the main window and what it opens first."""
from __future__ import annotations

import sys


def run(args, weights: dict[str, str]) -> int:
    """``args``: the parsed ``colorpaint`` command line (path, sample, device, no_recovery)."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setApplicationName("ColorPaint")
    app.setOrganizationName("ColorPaint")

    from .main_window import SAMPLE, MainWindow
    from .theme import apply_dark

    apply_dark(app)

    win = MainWindow(device=args.device, weights=weights)
    win.show()

    def start() -> None:
        if args.path:
            win.open_path(args.path)
        elif args.sample:
            win.open_path(SAMPLE)
        elif not args.no_recovery:
            win.offer_recovery()

    QTimer.singleShot(0, start)  # after the window is up, so problems show as dialogs on it
    return app.exec()
