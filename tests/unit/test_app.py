"""The window's state without a window: which weights each model family colorizes with."""
from __future__ import annotations

from colorpaint.app.model_choice import VERSIONS_KEY, ModelChoice
from colorpaint.project import Project


def _project(tmp_path, name="a"):
    from .helpers import drawing
    from colorpaint.core.imageio import save_image

    p = tmp_path / f"{name}.png"
    save_image(p, drawing()[1])
    return Project.from_images([p])


def test_picked_version_is_saved_with_the_project_and_overrides_fall_back(tmp_path):
    v = tmp_path / "ep4.safetensors"
    v.write_bytes(b"x")
    c = ModelChoice({"auto": "/tiny/auto.safetensors"})
    p = _project(tmp_path)
    assert c.attach(p) is None
    assert c.weights_for("auto") == "/tiny/auto.safetensors" and c.weights_for("temporal") is None
    c.set("auto", str(v))
    assert p.settings[VERSIONS_KEY] == {"auto": str(v)} and p.dirty
    assert c.weights_for("auto") == str(v) and c.effective() == {"auto": str(v)}
    assert c.in_use(v) == ["auto"]
    c.set("auto", None)  # back to the bundled (here: the override)
    assert c.weights_for("auto") == "/tiny/auto.safetensors" and p.settings[VERSIONS_KEY] == {}


def test_missing_version_falls_back_and_says_so_once(tmp_path):
    c = ModelChoice()
    p = _project(tmp_path)
    p.settings[VERSIONS_KEY] = {"auto": str(tmp_path / "gone.safetensors"), "nope": "x"}
    msg = c.attach(p)
    assert "auto" in msg and "missing" in msg and c.chosen("auto") is None
    assert p.settings[VERSIONS_KEY] == {}
    assert c.attach(p) is None


def test_versions_in_use_carry_into_a_new_project(tmp_path):
    v = tmp_path / "ep4.safetensors"
    v.write_bytes(b"x")
    c = ModelChoice()
    c.attach(None)
    c.set("temporal", str(v))  # picked with no project open
    q = _project(tmp_path, "b")
    c.carry_into(q)
    assert c.attach(q) is None and c.chosen("temporal") == str(v)


def test_the_bundled_file_is_not_a_fine_tuned_choice(tmp_path):
    from colorpaint.models import registry

    c = ModelChoice(bundled_dir=tmp_path)
    assert c.as_choice("auto", tmp_path / "auto.safetensors") is None
    assert c.as_choice("auto", registry.spec("auto").default_weights) is None
    assert c.as_choice("auto", tmp_path / "mine.safetensors") == str(tmp_path / "mine.safetensors")


def test_one_session_for_every_lane_made_once_and_dropped_on_a_device_change():
    import threading

    from colorpaint.app.engine_session import SessionHolder

    h = SessionHolder("cpu")
    assert h.loaded is None  # nothing loads until a colorize asks
    got = []
    ts = [threading.Thread(target=lambda: got.append(h.get())) for _ in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert len({id(s) for s in got}) == 1 and h.loaded is got[0]
    h.set_device("cpu")
    assert h.loaded is None and h.get() is not got[0]
