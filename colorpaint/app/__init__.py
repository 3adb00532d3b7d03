"""What the window does, without widgets: the tool and brush it paints with, when Live
colorizes, the model choice, the requests it builds, the files it saves and opens.
``gui/`` shows this state and wires the artist's actions to it; nothing here imports Qt,
so it is tested without a display."""
