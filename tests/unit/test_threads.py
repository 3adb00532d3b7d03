"""Interactive colorizes leave busy cores alone: threads = cores - cores others keep busy."""
import pytest

from colorpaint.engine import threads


@pytest.fixture
def clock(monkeypatch):
    state = {"wall": 100.0, "busy": 1000.0, "own": 5.0}
    monkeypatch.setattr(threads, "_busy_seconds", lambda: state["busy"])
    monkeypatch.setattr(threads.time, "monotonic", lambda: state["wall"])
    monkeypatch.setattr(threads.time, "process_time", lambda: state["own"])
    monkeypatch.setattr(threads.time, "sleep", lambda s: state.__setitem__("wall", state["wall"] + s))
    monkeypatch.setattr(threads, "_cores", lambda: 2)
    monkeypatch.setattr(threads, "_last", None)
    return state


def _advance(state, wall, busy, own):
    state["wall"] += wall
    state["busy"] += busy
    state["own"] += own


def test_other_programs_busy_leave_one_thread(clock):
    import torch

    threads.others_busy_cores()
    _advance(clock, 1.0, 1.9, 0.0)  # something else kept ~2 cores busy
    assert threads.fit_threads() == 1 and torch.get_num_threads() == 1


def test_our_own_work_does_not_count_as_busy(clock):
    threads.others_busy_cores()
    _advance(clock, 1.0, 1.8, 1.8)  # it was this process, colorizing on both cores
    assert threads.fit_threads() == 2


def test_without_a_measurement_every_core_is_used(clock, monkeypatch):
    monkeypatch.setattr(threads, "_busy_seconds", lambda: None)  # no /proc (macOS, Windows)
    assert threads.fit_threads() == 2
