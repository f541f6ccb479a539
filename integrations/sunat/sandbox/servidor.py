"""Running the sandbox: two uvicorn servers in one event loop.

* the SOAP port (default 8700) serves everything;
* the control port (default SOAP port + 1) serves the same app, and stays up when the SOAP
  listener is closed for the ``caido`` mode, so the mode can be switched back.

``caido`` really closes the SOAP listening socket (clients get "connection refused"); any other
mode re-binds it on the same port.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn

from integrations.sunat.sandbox.app import Sandbox, crear_app, crear_sandbox
from integrations.sunat.sandbox.config import Modo, SandboxConfig


class _Servidor(uvicorn.Server):
    """uvicorn without its own signal handling (two servers share a loop; the runner decides)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _socket(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    # Never inherited: a process spawned meanwhile (a Temporal test server) would keep the port open after
    # `caido` closes it, and clients would hang instead of being refused.
    sock.set_inheritable(False)
    return sock


class ServidorSandbox:
    def __init__(self, config: SandboxConfig, host: str = "127.0.0.1", port: int = 8700,
                 control_port: int | None = None):
        self.host = host
        self.sandbox: Sandbox = crear_sandbox(config)
        self.sandbox.al_cambiar_modo = self._al_cambiar_modo
        self.app = crear_app(self.sandbox)
        self._sock_soap = _socket(host, port)
        self.port = self._sock_soap.getsockname()[1]
        self._sock_control = _socket(host, self.port + 1 if control_port is None else control_port)
        self.control_port = self._sock_control.getsockname()[1]
        self._soap: tuple[_Servidor, asyncio.Task] | None = None
        self._control: tuple[_Servidor, asyncio.Task] | None = None
        self._parar: asyncio.Event | None = None
        self._lock: asyncio.Lock | None = None

    # ---------------------------------------------------------------- lifecycle

    async def servir(self, listo: threading.Event | None = None) -> None:
        self._parar, self._lock = asyncio.Event(), asyncio.Lock()
        self._control = await self._arrancar(self._sock_control)
        self._soap = await self._arrancar(self._sock_soap)
        if listo is not None:
            listo.set()
        await self._parar.wait()
        await self._detener_soap()
        servidor, tarea = self._control
        servidor.should_exit = True
        await tarea
        self.sandbox.almacen.cerrar()

    def parar(self) -> None:
        if self._parar is not None:
            self._parar.set()

    async def _arrancar(self, sock: socket.socket) -> tuple[_Servidor, asyncio.Task]:
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off", access_log=False,
                                timeout_graceful_shutdown=1)
        servidor = _Servidor(config)
        tarea = asyncio.create_task(servidor.serve(sockets=[sock]))
        while not servidor.started:
            if tarea.done():
                tarea.result()
            await asyncio.sleep(0.01)
        return servidor, tarea

    async def _detener_soap(self) -> None:
        if self._soap is None:
            return
        servidor, tarea = self._soap
        self._soap = None
        servidor.should_exit = True
        await tarea

    async def _al_cambiar_modo(self, modo: Modo, puerto_local: int | None = None) -> None:
        if modo is Modo.CAIDO and puerto_local == self.port:
            # Asked on the SOAP port itself: closing that listener waits for this very request,
            # so do it once the response is out.
            asyncio.get_running_loop().call_later(0.05, lambda: asyncio.ensure_future(self._al_cambiar_modo(modo)))
            return
        assert self._lock is not None
        async with self._lock:
            if modo is Modo.CAIDO and self._soap is not None:
                await self._detener_soap()
            elif modo is not Modo.CAIDO and self._soap is None:
                self._sock_soap = _socket(self.host, self.port)
                self._soap = await self._arrancar(self._sock_soap)


@dataclass
class SandboxEnEjecucion:
    """Handle yielded by :func:`sandbox_en_hilo`."""

    base_url: str
    control_url: str
    servidor: ServidorSandbox

    @property
    def bill_url(self) -> str:
        return self.base_url + "/ol-ti-itcpfegem/billService"

    @property
    def consulta_url(self) -> str:
        return self.base_url + "/ol-it-wsconscpegem/billConsultService"

    @property
    def nubefact_url(self) -> str:
        return self.base_url + "/nubefact/api/v1/demo"

    def modo(self, modo: str, **opciones: object) -> dict:
        """Switch the fault mode through the control port (works while ``caido``)."""
        respuesta = httpx.post(f"{self.control_url}/_sandbox/modo", json={"modo": modo, **opciones}, timeout=10)
        respuesta.raise_for_status()
        return respuesta.json()

    def reset(self) -> None:
        httpx.post(f"{self.control_url}/_sandbox/reset", timeout=10).raise_for_status()


@contextlib.contextmanager
def sandbox_en_hilo(data_dir: Path, config: SandboxConfig | None = None, host: str = "127.0.0.1",
                    port: int = 0, control_port: int = 0) -> Iterator[SandboxEnEjecucion]:
    """Start the sandbox on free loopback ports in a background thread (for pytest)."""
    servidor = ServidorSandbox(config or SandboxConfig(data_dir=data_dir), host, port, control_port)
    listo = threading.Event()
    errores: list[BaseException] = []
    bucle = asyncio.new_event_loop()

    def correr() -> None:
        try:
            bucle.run_until_complete(servidor.servir(listo))
        except BaseException as exc:  # surfaced to the caller below
            errores.append(exc)
            listo.set()
        finally:
            bucle.close()

    hilo = threading.Thread(target=correr, name="sunat-sandbox", daemon=True)
    hilo.start()
    if not listo.wait(15) or errores:
        raise RuntimeError(f"el sandbox SUNAT no arrancó: {errores}")
    try:
        yield SandboxEnEjecucion(f"http://{host}:{servidor.port}", f"http://{host}:{servidor.control_port}", servidor)
    finally:
        bucle.call_soon_threadsafe(servidor.parar)
        hilo.join(15)
