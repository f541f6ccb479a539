"""What the `python -m` entry points of the local stand-ins share."""

import json
import signal
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self


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


class HttpStandin:
    """An HTTP stand-in served from a daemon thread: `serve` in `__init__`, then `start()`/`stop()`."""

    def serve(self, handler: type[BaseHTTPRequestHandler], host: str, port: int,
              server_class: type[ThreadingHTTPServer] = ThreadingHTTPServer) -> None:
        self._server = server_class((host, port), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
