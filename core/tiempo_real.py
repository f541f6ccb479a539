"""Live screens (tracking, dashboard): a change is published with `pg_notify` inside its transaction (sent
only on commit), and every API process LISTENs on one channel and fans each message out to its own
subscribers (WebSockets) of that topic. So any API process may take the write and any may hold the socket.

    publicar(session, "transportista:7", {...})       # in the business transaction
    async with difusor().suscripcion("transportista:7") as cola:  # in a WebSocket handler
        datos = await cola.get()

One subscription may join several topics (the dashboard joins its user's branches and KPI groups) into one
queue; `reenviar` forwards a queue to a WebSocket until the client goes away.
"""

import asyncio
import json
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from sqlalchemy import text
from sqlmodel import Session

from core.db import normalize_url
from core.settings import get_settings

log = logging.getLogger(__name__)
CANAL = "erp_tiempo_real"
MAX_PAYLOAD = 7900  # PostgreSQL refuses NOTIFY payloads of 8000 bytes or more
COLA_MAX = 100  # a subscriber this far behind loses the oldest messages, never blocks the others


def publicar(session: Session, tema: str, datos: dict[str, Any]) -> None:
    mensaje = json.dumps({"tema": tema, "datos": datos}, default=str, separators=(",", ":"))
    if len(mensaje.encode()) > MAX_PAYLOAD:
        raise ValueError(f"live message for {tema} too large ({len(mensaje)} bytes)")
    session.execute(text("SELECT pg_notify(:canal, :mensaje)"), {"canal": CANAL, "mensaje": mensaje})


class Difusor:
    """One LISTEN connection per process (per event loop), started with the first subscriber."""

    def __init__(self) -> None:
        self.suscriptores: dict[str, set[asyncio.Queue]] = defaultdict(set)
        self._tarea: asyncio.Task | None = None
        self._listo: asyncio.Event | None = None

    async def _escuchar(self) -> None:
        dsn = normalize_url(get_settings().database_url).replace("postgresql+psycopg://", "postgresql://")
        espera = 1.0
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
                    await conn.execute(f"LISTEN {CANAL}")
                    self._listo.set()
                    espera = 1.0
                    async for aviso in conn.notifies():
                        self._repartir(aviso.payload)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - reconnect after a database blip
                log.warning("live listener failed (%s); reconnecting in %.0f s", exc, espera)
                await asyncio.sleep(espera)
                espera = min(espera * 2, 30.0)

    def _repartir(self, payload: str) -> None:
        mensaje = json.loads(payload)
        for cola in list(self.suscriptores.get(mensaje["tema"], ())):
            if cola.full():
                cola.get_nowait()
            cola.put_nowait(mensaje["datos"])

    async def iniciar(self) -> None:
        if self._tarea is None or self._tarea.done():
            self._listo = asyncio.Event()
            self._tarea = asyncio.create_task(self._escuchar())
        await asyncio.wait_for(self._listo.wait(), 10)

    @asynccontextmanager
    async def suscripcion(self, *temas: str) -> AsyncIterator[asyncio.Queue]:
        await self.iniciar()
        cola: asyncio.Queue = asyncio.Queue(COLA_MAX)
        for tema in temas:
            self.suscriptores[tema].add(cola)
        try:
            yield cola
        finally:
            for tema in temas:
                self.suscriptores[tema].discard(cola)
                if not self.suscriptores[tema]:
                    del self.suscriptores[tema]


_difusores: dict[int, Difusor] = {}


def difusor() -> Difusor:
    """The process's fan-out for the running event loop (test clients may run their own loops)."""
    clave = id(asyncio.get_running_loop())
    if clave not in _difusores:
        _difusores[clave] = Difusor()
    return _difusores[clave]


async def reenviar(websocket: Any, cola: asyncio.Queue,
                   mensaje: Callable[[dict[str, Any]], dict[str, Any] | None]) -> None:
    """Send `mensaje(datos)` of every message of `cola` as JSON to a (Starlette) WebSocket until the client
    disconnects (a message `mensaje` maps to None is not for this client: skipped); what the client sends
    meanwhile is ignored."""

    async def enviar() -> None:
        while True:
            if (salida := mensaje(await cola.get())) is not None:
                await websocket.send_json(salida)

    async def hasta_desconexion() -> None:
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass

    tareas = [asyncio.create_task(enviar()), asyncio.create_task(hasta_desconexion())]
    try:
        await asyncio.wait(tareas, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for tarea in tareas:
            tarea.cancel()
        await asyncio.gather(*tareas, return_exceptions=True)
