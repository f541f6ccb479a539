"""The FastAPI facade: one app for every module."""

import importlib
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import contrato, errors
from api.admission import Admission
from api.deps import release_sessions
from core import audit
from core.schemas import url_almacenable
from core.settings import get_settings

log = logging.getLogger("api")

# One router module per spec module; each exposes `router`.
ROUTERS = [
    "health",
    "auth",
    "usuarios",
    "roles",
    "audit",
    "configuracion",
    "notas_venta",
    "clientes",
    "productos",
    "cajas",
    "ventas",
    "cotizaciones",
    "reportes",
    "almacenes",
    "inventario",
    "facturacion",
    "finanzas",
    # module 5
    "compras",
    # module 4 (distribución)
    "distribucion",
    # module 7
    "whatsapp",
    # bank reconciliation (issue 14)
    "conciliacion",
    # module 8 (dashboard)
    "dashboard",
]

# The only routes that answer without a bearer token. Everything else requires one (tested by iterating over
# every route in tests/test_security.py, so a new module is covered automatically).
PUBLIC_ROUTES = {
    ("GET", "/health"),
    ("POST", "/api/auth/login/"),
    ("POST", "/api/auth/login/2fa/"),
    ("POST", "/api/auth/refresh/"),
    ("POST", "/api/auth/sso/google/"),
    ("GET", "/finanzas/notas-venta/{nota_id}"),  # HTML shell with a login form; it shows no data by itself
    # module 4: the customer's tracking (the unguessable code is the key; rate limited)
    ("GET", "/api/pedidos/seguimiento/{codigo}/"),
    ("GET", "/seguimiento/{codigo}"),
    ("GET", "/entregas/{pedido_id}/confirmar"),  # the driver's page: a login form; it shows no data by itself
    # module 7: Meta calls these; the POST is refused (403) without a valid X-Hub-Signature-256
    ("GET", "/api/whatsapp/webhook/"),
    ("POST", "/api/whatsapp/webhook/"),
    # module 7: a comprobante's PDF behind a signed, expiring link (sent to the customer; Meta fetches it)
    ("GET", "/api/whatsapp/publico/comprobantes/{ref}/"),
    # module 8: an export's download; the HMAC-signed, expiring link is the credential (403 tampered, 410 expired)
    ("GET", "/api/reportes/exportaciones/{exportacion_id}/descargar/"),
    # module 8: HTML shell with a login form; it shows no data by itself
    ("GET", "/dashboard"),
}

# Answered even when the business requests of a burst fill the admission queue (operators' probes).
UNQUEUED_PATHS = frozenset({"/health"})

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    # Swagger UI (/docs) loads its assets from a CDN; everything else is same-origin only.
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
        "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; frame-ancestors 'none'"
    ),
}


class HeadersAndAccessLog:
    """Adds the security headers and logs slow paths' outcomes. Plain ASGI rather than BaseHTTPMiddleware,
    which runs every request through an extra task and memory stream (measurable on the POS hot path)."""

    def __init__(self, app: ASGIApp, log_everything: bool) -> None:
        self.app = app
        self.log_everything = log_everything

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).update(SECURITY_HEADERS)
                status = message["status"]
                if self.log_everything or status >= 500:
                    log.info("request", extra={"method": scope["method"], "path": scope["path"], "status": status,
                                               "ms": round((time.perf_counter() - started) * 1000, 1)})
            await send(message)

        await self.app(scope, receive, send_with_headers)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    anyio.to_thread.current_default_thread_limiter().total_tokens = get_settings().api_threads
    yield


def create_app() -> FastAPI:
    settings = get_settings()
    audit.install()
    app = FastAPI(lifespan=_lifespan, title="JSOLUCIONES ERP", version="0.1.0", dependencies=[Depends(url_almacenable)],
                  description="ERP para empresas peruanas; procesos largos como workflows de Temporal.")
    app.add_middleware(
        CORSMiddleware, allow_origins=settings.cors_origins, allow_credentials=True,
        allow_methods=["*"], allow_headers=["Authorization", "Content-Type"],
    )

    app.add_middleware(Admission, max_in_flight=settings.api_max_in_flight,
                       queue_timeout_s=settings.api_queue_timeout_s, exempt=UNQUEUED_PATHS)
    app.add_middleware(HeadersAndAccessLog, log_everything=settings.log_level == "DEBUG")
    errors.install(app)
    for name in ROUTERS:
        router = importlib.import_module(f"api.{name}").router
        for route in router.routes:
            if isinstance(route, APIRoute):  # include_router builds the app's route from route.endpoint
                route.endpoint = release_sessions(route.endpoint)
        app.include_router(contrato.declarar(router))
    contrato.install(app)
    return app
