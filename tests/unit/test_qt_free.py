"""The core stays Qt-free: importing it in a fresh interpreter never loads PySide6."""
import subprocess
import sys


def test_core_packages_do_not_import_qt():
    code = (
        "import sys\n"
        "import colorpaint.core.color, colorpaint.core.regions, colorpaint.core.imageio, colorpaint.core.hints\n"
        "import colorpaint.engine.pipeline, colorpaint.engine.session, colorpaint.engine.sequence, colorpaint.engine.flat\n"
        "import colorpaint.models.registry, colorpaint.training.loop, colorpaint.training.cli, colorpaint.cli\n"
        "import colorpaint.engine.model_store, colorpaint.training.finetune\n"
        "import colorpaint.project\n"
        "from colorpaint.models import registry; registry.names()\n"
        "bad = [m for m in sys.modules if m.startswith(('PySide6', 'qimage2ndarray', 'shiboken6'))]\n"
        "assert not bad, bad\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
