"""bind(): a widget follows a declared value of a Qt-free state object and writes back to it,
once, without echoes either way."""
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QLabel, QPushButton, QSlider, QSpinBox

from colorpaint.app.tools import Checked, ToolState
from colorpaint.gui.bind import bind
from colorpaint.project.events import EmitterGroup


class Knobs:
    """A small state object declared like ToolState: each value checked, real changes announced."""

    level = Checked(lambda v, old: min(10, max(0, int(v))))
    amount = Checked(lambda v, old: float(v))
    on = Checked(lambda v, old: bool(v))
    mode = Checked(lambda v, old: v)

    def __init__(self) -> None:
        self.level, self.amount, self.on, self.mode = 3, 0.25, False, "soft"
        self.events = EmitterGroup("level", "amount", "on", "mode")


def announced(state, name):
    got = []
    getattr(state.events, name).connect(lambda value: got.append(value))
    return got


def widget(qtbot, w):
    qtbot.addWidget(w)
    return w


def spin(qtbot, lo=0, hi=100):
    s = widget(qtbot, QSpinBox())
    s.setRange(lo, hi)
    return s


def test_a_spin_box_shows_the_state_and_writes_a_change_once(qtbot):
    k, s = Knobs(), spin(qtbot)
    bind(s, k, "level")
    assert s.value() == 3  # shown at once
    got = announced(k, "level")
    s.setValue(7)
    assert k.level == 7 and got == [7]
    k.level = 5
    assert s.value() == 5 and got == [7, 5]  # the state's change shown, not written back again


class Counted:
    """Counts every write, announced or not."""

    def __init__(self) -> None:
        self.writes = []
        self._level = 3
        self.events = EmitterGroup("level")

    @property
    def level(self) -> int:
        return self._level

    @level.setter
    def level(self, v) -> None:
        self.writes.append(v)
        self._level = v
        self.events.level(value=v)  # announced even when the same: a loop would show here


def test_each_change_in_the_widget_is_one_write_and_a_state_change_none(qtbot):
    c, s = Counted(), spin(qtbot)
    bind(s, c, "level")
    s.setValue(6)
    s.setValue(6)
    s.setValue(2)
    assert c.writes == [6, 2]
    c.level = 9
    assert s.value() == 9 and c.writes == [6, 2, 9]  # only the state's own write


def test_typing_in_a_spin_box_writes_the_state(qtbot):
    k, s = Knobs(), spin(qtbot)
    bind(s, k, "level")
    s.selectAll()
    QTest.keyClicks(s, "8")
    assert k.level == 8


def test_a_value_the_state_corrects_is_shown_corrected(qtbot):
    k, s = Knobs(), spin(qtbot, 0, 50)
    bind(s, k, "level")
    got = announced(k, "level")
    s.setValue(40)  # the state allows 0..10
    assert k.level == 10 and s.value() == 10 and got == [10]
    s.setValue(30)  # the state does not change (still 10): the field still shows what it holds
    assert k.level == 10 and s.value() == 10 and got == [10]


def test_showing_the_state_does_not_write_it_back(qtbot):
    """A size of 13.8 px shows as 14 in an integer field; the state keeps 13.8 (no echo)."""
    tools, s = ToolState(size=12.0), spin(qtbot, 1, 500)
    bind(s, tools, "size")
    writes = []
    s.valueChanged.connect(writes.append)
    got = announced(tools, "size")
    tools.grow(1)
    assert tools.size == pytest.approx(13.8) and s.value() == 14
    assert got == [pytest.approx(13.8)] and writes == [14]


def test_a_double_spin_box_and_a_slider_with_a_scale(qtbot):
    k = Knobs()
    d = widget(qtbot, QDoubleSpinBox())
    d.setRange(0.0, 1.0)
    d.setSingleStep(0.05)
    bind(d, k, "amount")
    slider = widget(qtbot, QSlider(Qt.Orientation.Horizontal))
    slider.setRange(0, 100)
    bind(slider, k, "amount", scale=100)
    assert d.value() == 0.25 and slider.value() == 25
    got = announced(k, "amount")
    slider.setValue(60)
    assert k.amount == 0.6 and d.value() == 0.6 and got == [0.6]  # the other widget follows, once
    d.setValue(0.1)
    assert k.amount == 0.1 and slider.value() == 10 and got == [0.6, 0.1]


def test_a_checkable_button_toggles_the_state(qtbot):
    k = Knobs()
    box = widget(qtbot, QCheckBox("On"))
    bind(box, k, "on")
    got = announced(k, "on")
    box.click()  # as a click of the mouse or the space bar does
    assert k.on is True and got == [True]
    k.on = False
    assert not box.isChecked() and got == [True, False]
    with pytest.raises(TypeError):
        bind(widget(qtbot, QPushButton("not checkable")), k, "on")
    with pytest.raises(TypeError):
        bind(widget(qtbot, QLabel()), k, "on")


def test_a_combo_box_binds_by_item_data(qtbot):
    k = Knobs()
    combo = widget(qtbot, QComboBox())
    for text, data in (("Hard", "hard"), ("Soft", "soft"), ("Off", None)):
        combo.addItem(text, data)
    bind(combo, k, "mode")
    assert combo.currentData() == "soft"
    got = announced(k, "mode")
    combo.setCurrentIndex(0)
    assert k.mode == "hard" and got == ["hard"]
    k.mode = "soft"
    assert combo.currentIndex() == 1 and got == ["hard", "soft"]
    k.mode = "unknown"  # no item holds it: nothing chosen, and nothing written back
    assert combo.currentIndex() == -1 and k.mode == "unknown" and got == ["hard", "soft", "unknown"]


def test_an_event_for_several_values(qtbot):
    """ToolState announces both pressure switches on one event ("pressure")."""
    tools = ToolState(pressure_size=True, pressure_opacity=False)
    by_size, by_opacity = widget(qtbot, QCheckBox()), widget(qtbot, QCheckBox())
    bind(by_size, tools, "pressure_size", event="pressure")
    bind(by_opacity, tools, "pressure_opacity", event="pressure")
    assert by_size.isChecked() and not by_opacity.isChecked()
    got = announced(tools, "pressure")
    by_opacity.setChecked(True)
    assert tools.pressure_opacity and got == [(True, True)]
    tools.pressure_size = False
    assert not by_size.isChecked() and by_opacity.isChecked() and got == [(True, True), (False, True)]


def test_unbind_and_a_destroyed_widget_end_the_binding(qtbot):
    k, s = Knobs(), spin(qtbot)
    b = bind(s, k, "level")
    b.unbind()
    k.level = 9
    s.setValue(1)
    assert s.value() == 1 and k.level == 9
    other = QSpinBox()
    bind(other, k, "level")
    n = len(k.events.level)
    other.deleteLater()
    QTest.qWait(0)
    qtbot.waitUntil(lambda: len(k.events.level) == n - 1)
    k.level = 2  # no widget left to show it: no error


def test_the_window_s_brush_fields_follow_its_tool_state(window):
    """The toolbar's Size field and Opacity slider are bound to the window's ToolState."""
    tools = window.tools
    window.size_spin.setValue(40)
    assert tools.size == 40.0
    tools.size = 25.4
    assert window.size_spin.value() == 25 and tools.size == 25.4
    window.opacity_slider.setValue(50)
    assert tools.opacity == 0.5
    tools.opacity = 0.3
    assert window.opacity_slider.value() == 30 and tools.opacity == 0.3
    QTest.keyClick(window, Qt.Key.Key_BracketRight)
    assert window.size_spin.value() == round(tools.size) and tools.size == pytest.approx(25.4 * 1.15)
