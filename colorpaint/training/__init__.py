"""Training and fine-tuning (torch). This package's own module imports nothing heavy: the
window reads :data:`STOP_FILE` from here without loading torch."""

STOP_FILE = "STOP"  # creating OUT/STOP stops a run like SIGTERM does
