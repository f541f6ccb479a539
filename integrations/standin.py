"""What the `python -m` entry points of the local stand-ins share."""

import json
import signal
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler


def run_until_signalled(stop: Callable[[], None]) -> None:
    """Block until SIGINT or SIGTERM (how `erp up` ends its children), then stop the stand-in."""
    stopped = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopped.set())
    while not stopped.wait(1.0):  # a timed wait so signals are handled promptly
        pass
    stop()


def send_json(handler: BaseHTTPRequestHandler, status: int, body: object,
              headers: dict[str, str] | None = None) -> None:
    """Answer a stand-in's request with a JSON body (UTF-8), as the real services do."""
    data = json.dumps(body, ensure_ascii=False).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json; charset=UTF-8")
    handler.send_header("Content-Length", str(len(data)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(data)
