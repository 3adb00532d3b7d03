"""The tool the artist holds and when Live colorizes, without a window: the brush keeps to its
ranges and tells whoever shows it; a burst of strokes makes one Live colorize of the final
hints, nothing is colorized while Live is off, and a newer request supersedes an older one
(the one latest-wins rule that the region overlay follows too)."""
from __future__ import annotations

import numpy as np
import pytest

from colorpaint.app.live import LatestWins, LiveScheduler
from colorpaint.app.tools import TOOLS, ToolState


# ---------------------------------------------------------------------------- the brush
def test_brush_size_and_opacity_stay_in_range_and_the_toolbar_hears_of_each_change():
    tools, sizes, opacities = ToolState(), [], []
    tools.events.size.connect(lambda value: sizes.append(value))
    tools.events.opacity.connect(lambda value: opacities.append(value))
    tools.size = 0  # typed into the size field
    tools.size = 10_000
    tools.size = 500  # already the largest: nothing to tell
    tools.size = float("nan")  # not a size: the brush keeps its size
    assert sizes == [1.0, 500.0] and tools.size == 500.0
    tools.opacity, tools.opacity, tools.opacity = 1.7, -0.2, 0.4
    assert opacities == [0.0, 0.4] and tools.opacity == 0.4  # 1.7 is full opacity, which it already had


def test_bracket_keys_grow_and_shrink_the_brush_by_at_least_a_pixel():
    tools = ToolState(size=2)
    tools.grow(1)
    assert tools.size == 3.0  # 15 % of 2 px is less than a pixel
    tools.size = 100
    tools.grow(1)
    assert tools.size == pytest.approx(115.0)
    tools.grow(-2)
    assert tools.size == pytest.approx(115.0 / 1.15 ** 2)
    tools.size = 1
    tools.grow(-1)
    assert tools.size == 1.0  # never below a pixel


def test_the_brush_color_is_an_rgb_tuple_whatever_it_was_picked_from():
    tools, seen = ToolState(), []
    tools.events.color.connect(lambda value: seen.append(value))
    tools.color = np.array([12, 200, 90], np.uint8)  # a pixel picked from the image
    tools.color = [12, 200, 90]  # the same color again: nothing changes
    tools.color = (300, -4, 7.9)
    assert seen == [(12, 200, 90), (255, 0, 7)] and tools.color == (255, 0, 7)
    assert all(type(v) is int for v in tools.color)
    with pytest.raises(ValueError):
        tools.color = (1, 2)


def test_only_known_tools_can_be_chosen():
    tools, seen = ToolState(), []
    tools.events.tool.connect(lambda value: seen.append(value))
    for name in TOOLS:
        tools.tool = name
    with pytest.raises(ValueError, match="eyedropper"):  # the message names the tools there are
        tools.tool = "lasso"
    assert tools.tool == "fill" and seen == ["erase", "eyedropper", "fill"]  # it started as the brush
    assert not tools.paints and ToolState(tool="erase").paints


def test_pressure_choices_are_told_together():
    tools, seen = ToolState(), []
    tools.events.pressure.connect(lambda value: seen.append(value))
    assert (tools.pressure_size, tools.pressure_opacity) == (True, False)  # the preferences' defaults
    tools.pressure_size, tools.pressure_opacity = False, True
    tools.pressure_opacity = True
    assert seen == [(False, False), (False, True)]


# ---------------------------------------------------------------------------- Live
class _Job:
    def __init__(self, hints: int) -> None:
        self.hints, self.cancelled = hints, False

    def cancel(self) -> None:
        self.cancelled = True


class _Window:
    """What the window does around the scheduler: zero-delay timers run at the next turn of
    the event loop; a colorize runs until :meth:`finish`, and its colors land unless it was
    cancelled. ``hints`` counts the strokes painted so far."""

    def __init__(self) -> None:
        self.live = LiveScheduler()
        self.timers: list = []
        self.started: list[_Job] = []
        self.landed: list[int] = []  # the hints each colorize that landed saw
        self.hints = 0

    def stroke(self) -> None:
        self.hints += 1
        if self.live.changed():
            self.timers.append(self._fire)

    def set_live(self, on: bool) -> None:
        if self.live.set_live(on):
            self.timers.append(self._fire)

    def _fire(self) -> None:
        if self.live.fire():
            self.colorize()

    def colorize(self, done=None) -> None:
        hints = self.hints
        self.live.submit(lambda: self._start(hints), done=done)

    def _start(self, hints: int) -> _Job:
        self.started.append(_Job(hints))
        return self.started[-1]

    def turn(self) -> None:
        timers, self.timers = self.timers, []
        for t in timers:
            t()

    def finish(self) -> None:
        job = self.started[-1]
        if not job.cancelled:
            self.landed.append(job.hints)
        self.live.job_done()


def test_a_burst_of_strokes_makes_one_live_colorize_of_the_final_hints():
    w = _Window()
    w.set_live(True)  # turning Live on colorizes once
    w.turn()
    w.finish()
    assert w.landed == [0] and not w.live.colorizing
    for _ in range(5):  # five strokes before the event loop turns again
        w.stroke()
    assert w.live.colorizing and len(w.timers) == 1
    w.turn()
    assert [j.hints for j in w.started] == [0, 5]
    w.finish()
    assert w.landed == [0, 5] and not w.live.colorizing


def test_nothing_is_colorized_while_live_is_off():
    w = _Window()
    for _ in range(3):
        w.stroke()
    w.turn()
    assert w.started == [] and not w.live.colorizing
    w.live.on = True  # a project reopened with Live on: nothing recolors until the next stroke
    w.turn()
    assert w.started == []
    w.stroke()
    w.set_live(False)  # turned off before the event loop came round
    w.turn()
    assert w.started == [] and not w.live.colorizing


def test_a_newer_request_supersedes_an_older_one():
    w, busy_when_done = _Window(), []

    def done():  # the window hides its progress bar here unless a colorize is still to come
        busy_when_done.append(w.live.busy)

    w.live.on = True
    w.stroke()
    w.turn()  # colorizing the first stroke
    first = w.started[0]
    w.stroke()
    w.turn()  # a second stroke while it runs: the first is cancelled, the second waits
    w.stroke()
    w.colorize(done=done)  # and Ctrl+Enter after a third replaces the one waiting
    w.turn()  # the third stroke's Live request replaces it again
    assert first.cancelled and w.live.waiting and len(w.started) == 1
    w.finish()  # the cancelled one ends: its colors never land, and only the newest starts
    assert w.landed == [] and [j.hints for j in w.started] == [1, 3] and w.live.busy
    w.finish()
    assert w.landed == [3] and busy_when_done == [] and not w.live.colorizing
    w.colorize(done=done)
    w.stroke()
    w.turn()
    w.finish()  # the asked-for colorize was superseded: its done runs while the newer one waits
    w.finish()
    assert busy_when_done == [True] and w.landed == [3, 4]


def test_cancel_drops_the_waiting_colorize_and_stops_the_running_one():
    w = _Window()
    w.colorize()
    w.stroke()
    w.colorize()
    w.live.cancel()  # Esc
    assert w.started[0].cancelled and not w.live.waiting
    w.finish()
    assert w.landed == [] and len(w.started) == 1 and not w.live.colorizing


# ---------------------------------------------------------------------------- latest request wins
def test_latest_wins_runs_one_waits_one_and_starts_only_the_newest():
    """The rule on its own, as the region overlay's runner uses it: jobs end when the
    runner says so, and each request's ``done`` runs before the next job starts."""
    latest, started, log = LatestWins(), [], []

    def request(name):
        def start():
            log.append(f"start {name}")
            started.append(_Job(name))
            return started[-1]
        latest.submit(start, done=lambda: log.append(f"done {name}"))

    assert not latest.busy and not latest.waiting
    latest.job_done()  # a stray end with nothing running changes nothing
    assert not latest.busy and log == []
    request("a")
    assert latest.busy and not latest.waiting and log == ["start a"]
    request("b")
    request("c")  # replaces b unstarted: b never starts and its done never runs
    assert started[0].cancelled and latest.waiting and log == ["start a"]
    latest.job_done()
    assert log == ["start a", "done a", "start c"] and latest.busy and not latest.waiting
    assert not started[1].cancelled
    latest.job_done()
    assert log[-1] == "done c" and not latest.busy
    request("d")
    request("e")
    latest.cancel()  # the one waiting is dropped, the running one told to stop
    assert started[2].cancelled and not latest.waiting and latest.busy
    latest.job_done()
    assert log[-2:] == ["start d", "done d"] and not latest.busy and len(started) == 3


def test_a_request_made_when_a_job_ends_is_the_newest_and_never_runs_beside_another():
    """A ``done`` may itself request (a widget refreshing when its job ends): that request
    is newer than the one waiting, so it replaces it and starts when ``done`` returns."""
    latest, started = LatestWins(), []

    def start(name):
        started.append(_Job(name))
        return started[-1]

    latest.submit(lambda: start("a"), done=lambda: latest.submit(lambda: start("from done")))
    latest.submit(lambda: start("b"))
    latest.job_done()
    assert [j.hints for j in started] == ["a", "from done"] and latest.busy and not latest.waiting
    latest.job_done()
    assert not latest.busy and len(started) == 2


def test_live_keeps_the_same_rule():
    assert issubclass(LiveScheduler, LatestWins)
