"""The user's model folder: versions are added atomically, renamed, deleted; bundled weights
are listed but read-only; a corrupt version is skipped without hiding the others."""
import json
import logging

import pytest

from colorpaint.engine import model_store
from colorpaint.engine.model_store import ModelStore, ModelStoreError, ReadOnlyModelError
from colorpaint.engine.weights import WeightsError, read_metadata

from .helpers import tiny_weights


@pytest.fixture
def store(tmp_path):
    tiny_weights("color-apply", tmp_path / "bundled" / "color-apply.safetensors")
    return ModelStore(tmp_path / "models", bundled_dir=tmp_path / "bundled")


def test_default_folder_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(model_store.ENV, str(tmp_path / "elsewhere"))
    assert model_store.models_dir() == tmp_path / "elsewhere"
    assert ModelStore().root == tmp_path / "elsewhere"
    monkeypatch.delenv(model_store.ENV)
    assert model_store.models_dir().parts[-2:] == ("ColorPaint", "models")


def test_bundled_is_listed_and_read_only(store, tmp_path):
    (b,) = store.list_versions("color-apply")
    assert b.bundled and b.id == "bundled" and b.family == "color-apply" and "bundled" in b.name
    before = b.weights.read_bytes()
    with pytest.raises(ReadOnlyModelError, match="read-only"):
        store.rename(b, "mine")
    with pytest.raises(ReadOnlyModelError):
        store.delete(b)
    # a version pointing at the bundled file, however it was made, is refused too
    with pytest.raises(ReadOnlyModelError):
        store.delete(model_store.ModelVersion("x", "color-apply", "x", b.weights))
    assert b.weights.read_bytes() == before
    assert [v.family for v in store.list_versions()] == ["color-apply"]  # families without weights are not listed


def test_add_rename_delete(store, tmp_path):
    w = tiny_weights("color-apply", tmp_path / "run" / "color-apply.safetensors")
    (tmp_path / "run" / "comparison.png").write_bytes(b"png")
    info = {"name": "Episode 3", "base": {"name": "bundled"}, "steps": 6, "metrics": {"before": {}, "after": {}}}
    v = store.add_version("color-apply", w, info, files={"comparison": tmp_path / "run" / "comparison.png", "log": None})
    assert not v.bundled and v.name == "Episode 3" and v.weights.exists() and v.weights != w
    assert v.weights.parent.parent == store.root / "color-apply"
    assert read_metadata(v.weights)["family"] == "color-apply"
    assert store.info_file(v, "comparison").read_bytes() == b"png"
    assert json.loads((v.folder / "info.json").read_text())["steps"] == 6
    names = [x.name for x in store.list_versions("color-apply")]
    assert names[1:] == ["Episode 3"]
    v2 = store.add_version("color-apply", w, {})  # same second: a distinct id, default name
    assert v2.id != v.id and v2.name.startswith("color-apply")
    assert store.find(v.weights) == v

    r = store.rename(v, "  Episode 3, final ")
    assert r.name == "Episode 3, final"
    assert [x.name for x in store.list_versions("color-apply") if x.id == v.id] == ["Episode 3, final"]
    with pytest.raises(ModelStoreError):
        store.rename(r, "   ")
    store.delete(r)
    assert not v.folder.exists()
    assert [x.id for x in store.list_versions("color-apply")] == ["bundled", v2.id]
    assert not [p for p in (store.root / "color-apply").iterdir() if p.name.startswith(".")]  # no leftovers


def test_add_refuses_wrong_family_or_corrupt_weights(store, tmp_path):
    w = tiny_weights("auto", tmp_path / "auto.safetensors")
    with pytest.raises(WeightsError, match="not 'color-apply'"):
        store.add_version("color-apply", w, {})
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not weights at all")
    with pytest.raises(WeightsError):
        store.add_version("color-apply", bad, {})
    assert [v.id for v in store.list_versions()] == ["bundled"]
    assert not (store.root / "color-apply").exists()  # checked before anything was written


def test_interrupted_add_leaves_nothing(store, tmp_path, monkeypatch):
    w = tiny_weights("color-apply", tmp_path / "color-apply.safetensors")

    def disk_full(path, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(model_store, "_atomic_json", disk_full)
    with pytest.raises(OSError):
        store.add_version("color-apply", w, {"name": "half"})
    assert [v.id for v in store.list_versions()] == ["bundled"]
    assert not list((store.root / "color-apply").iterdir())


def test_corrupt_versions_are_skipped_with_a_warning(store, tmp_path, caplog):
    w = tiny_weights("color-apply", tmp_path / "color-apply.safetensors")
    good = store.add_version("color-apply", w, {"name": "good"})
    broken_info = store.add_version("color-apply", w, {"name": "broken info"})
    (broken_info.folder / "info.json").write_text("{not json")
    broken_weights = store.add_version("color-apply", w, {"name": "broken weights"})
    broken_weights.weights.write_bytes(b"\x00" * 20)
    no_weights = store.add_version("color-apply", w, {"name": "no weights"})
    no_weights.weights.unlink()
    (tmp_path / "bundled" / "auto.safetensors").write_bytes(b"garbage")
    with caplog.at_level(logging.WARNING, logger="colorpaint.engine.model_store"):
        vs = store.list_versions()
    assert [v.name for v in vs if not v.bundled] == ["good"]
    assert [v.family for v in vs if v.bundled] == ["color-apply"]
    assert len(store.problems) == 4 and len(caplog.records) == 4
    assert any("info.json" in p for p in store.problems)
    assert good in vs


def test_runs_folder_is_not_a_family(store):
    run = store.new_run_dir("temporal")
    assert run.is_dir() and run.parent == store.runs_dir
    assert store.new_run_dir("temporal") != run
    assert [v.id for v in store.list_versions()] == ["bundled"]
