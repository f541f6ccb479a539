"""What the `python -m` entry points of the local stand-ins share."""

import signal
import threading
from collections.abc import Callable


def run_until_signalled(stop: Callable[[], None]) -> None:
    """Block until SIGINT or SIGTERM (how `erp up` ends its children), then stop the stand-in."""
    stopped = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopped.set())
    while not stopped.wait(1.0):  # a timed wait so signals are handled promptly
        pass
    stop()
