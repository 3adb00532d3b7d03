"""Widgets that follow a declared value of a Qt-free state object and write back to it.

``bind(widget, state, "name")``: the widget shows ``state.name`` now and after every change
the state announces on ``state.events.<name>`` (such as a :class:`~colorpaint.app.tools.Checked`
value of :class:`~colorpaint.app.tools.ToolState`); a change the user makes in the widget
sets ``state.name`` once. Neither direction echoes: showing the state's value does not write
it back, so a state that keeps its own value (13.8 px, shown as 14) keeps it, and a value
the state corrects (out of range) is shown corrected. The idea of krita-ai-diffusion's
``ui/generation.py`` ``bind(model, "strength", slider, "value")``, for our emitters.

Widgets: a spin box (``QSpinBox``, ``QDoubleSpinBox``), a checkable button (``QCheckBox``,
``QToolButton``, ...), a ``QComboBox`` (the value is an item's data; bind it once it holds
its items, or call :meth:`Binding.refresh` after changing them) and a slider.
"""
from __future__ import annotations

from PySide6.QtWidgets import QAbstractButton, QAbstractSlider, QComboBox, QDoubleSpinBox, QSpinBox, QWidget


class Binding:
    """One widget bound to one value (see the module docstring); :meth:`unbind` ends it, as
    does the widget's destruction."""

    def __init__(self, widget: QWidget, state, name: str, event: str | None = None, scale: float = 1.0) -> None:
        self.widget, self.state, self.name, self.scale = widget, state, name, scale
        self._showing = False
        if isinstance(widget, (QSpinBox, QDoubleSpinBox)):
            self._signal = widget.valueChanged
            self._read, self._show = widget.value, self._show_number
        elif isinstance(widget, QAbstractSlider):
            self._signal = widget.valueChanged
            self._read, self._show = widget.value, self._show_number
        elif isinstance(widget, QAbstractButton):
            if not widget.isCheckable():
                raise TypeError(f"bind: {widget.objectName() or type(widget).__name__} is not checkable")
            self._signal = widget.toggled
            self._read, self._show = widget.isChecked, lambda v: widget.setChecked(bool(v))
        elif isinstance(widget, QComboBox):
            self._signal = widget.currentIndexChanged
            self._read, self._show = widget.currentData, self._show_item
        else:
            raise TypeError(f"bind: no binding for a {type(widget).__name__}")
        self._emitter = getattr(state.events, event or name)
        self._emitter.connect(self._on_state)
        self._signal.connect(self._on_widget)
        widget.destroyed.connect(lambda *_: self._emitter.disconnect(self._on_state))
        self.refresh()

    def refresh(self) -> None:
        """Show the state's value now (after items were added to a combo box, say)."""
        self._showing = True
        try:
            self._show(getattr(self.state, self.name))
        finally:
            self._showing = False

    def unbind(self) -> None:
        self._emitter.disconnect(self._on_state)
        self._signal.disconnect(self._on_widget)

    # ------------------------------------------------------------------ the two directions
    def _on_state(self, **_) -> None:
        self.refresh()

    def _on_widget(self, *_) -> None:
        if self._showing:
            return  # the state's own value being shown: nothing to write back
        value = self._read()
        if value is None:
            return  # a combo box with no item chosen (yet): nothing to write
        if self.scale != 1.0:
            value = value / self.scale
        try:
            setattr(self.state, self.name, value)
        finally:
            self.refresh()  # what the state kept: a value it corrected, or refused, shows as it is

    # ------------------------------------------------------------------ showing a value
    def _show_number(self, value) -> None:
        v = float(value) * self.scale
        self.widget.setValue(v if isinstance(self.widget, QDoubleSpinBox) else int(round(v)))

    def _show_item(self, value) -> None:
        w = self.widget
        w.setCurrentIndex(next((i for i in range(w.count()) if w.itemData(i) == value), -1))


def bind(widget: QWidget, state, name: str, *, event: str | None = None, scale: float = 1.0) -> Binding:
    """Bind ``widget`` to ``state.<name>``, announced on ``state.events.<event or name>``
    (the callback's arguments are not read: the widget shows ``state.<name>``, so an event
    for several values, such as ToolState's ``pressure``, serves each of them). ``scale``:
    the widget shows the value times this (an opacity 0..1 on a slider 0..100: 100), and a
    value from the widget is divided by it."""
    return Binding(widget, state, name, event, scale)
