"""Admission control: a burst larger than the process can serve waits a bounded time, then gets 503.

Plain ASGI middleware. At most `max_in_flight` requests are inside the application at once; the others
wait in FIFO order for up to `queue_timeout_s` and are then refused with 503 + Retry-After, before any
thread, connection or transaction is taken. Exempt paths (/health) never wait."""

import asyncio
import json
import logging

from starlette.types import ASGIApp, Receive, Scope, Send

from core.errors import Unavailable

log = logging.getLogger(__name__)
RETRY_AFTER_S = 1


class Admission:
    def __init__(self, app: ASGIApp, max_in_flight: int, queue_timeout_s: float, exempt: frozenset[str]) -> None:
        self.app = app
        self.queue_timeout_s = queue_timeout_s
        self.exempt = exempt
        self._slots = asyncio.Semaphore(max_in_flight)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.exempt:
            await self.app(scope, receive, send)
            return
        try:
            async with asyncio.timeout(self.queue_timeout_s):  # a cancelled acquire gives its permit back
                await self._slots.acquire()
        except TimeoutError:
            await _refuse(send, scope["path"])
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self._slots.release()


async def _refuse(send: Send, path: str) -> None:
    log.warning("admission queue full, refused %s", path)
    body = json.dumps(Unavailable("Servicio ocupado, reintente en un momento").body()).encode()
    await send({"type": "http.response.start", "status": Unavailable.status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(RETRY_AFTER_S).encode())]})
    await send({"type": "http.response.body", "body": body})
