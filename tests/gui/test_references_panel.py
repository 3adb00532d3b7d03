"""The References dock as an artist uses it: add a colored model sheet (dialog or drop),
colorize a new pose of the drawing and get the sheet's exact colors in flat mode, see
which shapes matched, switch a reference off, save and reopen with the references copied in."""
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt

from colorpaint import cli
from colorpaint.core.imageio import load_image, save_image
from colorpaint.project import load_project
from tests.unit.test_references import FILLS, figure


def _files(tmp_path):
    line, _ = figure(m=[[1, 0, 12], [0, 1, 6]])  # the new drawing: the figure moved
    _, sheet = figure(h=220, w=260, m=[[-1.1, 0, 250], [0, 1.1, 4]])  # the model sheet: bigger, mirrored
    save_image(tmp_path / "pose.png", np.repeat(line[..., None], 3, 2))
    save_image(tmp_path / "sheet.png", sheet)
    save_image(tmp_path / "gray.png", np.repeat(line[..., None], 3, 2))
    return tmp_path / "pose.png", tmp_path / "sheet.png", tmp_path / "gray.png"


def test_reference_colors_the_drawing_and_travels_with_the_project(window, qtbot, tmp_path):
    pose, sheet, gray = _files(tmp_path)
    assert window.open_path(pose)
    panel = window.references_panel
    assert window.add_references([sheet, gray]) == 1  # a sheet without colors is refused, by name
    assert "gray.png" in window.prompts.last_error and "no colors" in window.prompts.last_error
    assert panel.list.count() == 1 and "1 of 1 reference in use" in panel.summary.text()
    assert not panel.list.item(0).icon().isNull() and window.project.dirty

    window.project.set_setting("flat", True)
    req = window.make_request()
    assert req.references and req.options["flat"]
    frame = window.project.current_frame
    window.colorize()
    qtbot.waitUntil(lambda: frame.result is not None and not window.colorizing, timeout=60000)
    color = np.array(frame.result.color)
    # shapes that matched the sheet carry its exact colors
    inside_head = color[66, 122]  # the head of the moved figure
    assert tuple(inside_head) == FILLS["head"]
    # the same frame from the CLI with the same reference
    out = tmp_path / "cli"
    assert cli.main(["colorize", str(pose), "-o", str(out), "--model", window.project.model, "--weights",
                     window.weights_for(window.project.model), "--device", "cpu", "--flat", "--ref", str(sheet),
                     "--input-kind", req.input_kind, "--work-size", str(req.work_size)]) == 0
    assert np.array_equal(load_image(out / "pose.png"), np.array(frame.result.composite))

    # where the references matched: green shapes, orange where the model colored
    panel.matches.setChecked(True)
    ov = window.canvas.overlay("references")
    assert ov is not None and (ov[0][..., 1].astype(int) - ov[0][..., 0] > 100).any()

    # switched off: the next request carries no reference
    panel.set_checked(window.project.references.entries[0].id, False)
    assert window.make_request().references is None and "0 of 1" in panel.summary.text()
    panel.set_checked(window.project.references.entries[0].id, True)

    # saved with the project, copied in (not linked), and restored
    assert window.save(tmp_path / "show", wait=True)
    folder = tmp_path / "show.cpaint"
    copy = folder / "references" / "r1.png"
    assert copy.read_bytes() == sheet.read_bytes()
    sheet.unlink()  # the artist's file goes away: the project still has its copy
    q = load_project(folder)
    assert [e.name for e in q.references] == ["sheet.png"] and q.references.for_engine()
    assert window.open_path(folder)
    assert window.references_panel.list.count() == 1 and window.make_request().references


def test_dropping_images_on_the_list_adds_them(window, qtbot, tmp_path):
    from PySide6.QtCore import QMimeData, QPoint, QUrl
    from PySide6.QtGui import QDropEvent

    pose, sheet, _ = _files(tmp_path)
    assert window.open_path(pose)
    lst = window.references_panel.list
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(sheet))])
    ev = QDropEvent(QPoint(10, 10).toPointF(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    lst.dropEvent(ev)
    assert lst.count() == 1 and window.project.references.entries[0].name == "sheet.png"
    window.references_panel.list.setCurrentRow(0)
    qtbot.mouseClick(window.references_panel.remove_button, Qt.MouseButton.LeftButton)
    assert lst.count() == 0 and not len(window.project.references)
