"""The FastAPI facade: one app for every module."""

import importlib
import logging
import time

from fastapi import FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware

from api import errors
from core import audit
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
}

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


def create_app() -> FastAPI:
    settings = get_settings()
    audit.install()
    app = FastAPI(title="JSOLUCIONES ERP", version="0.1.0",
                  description="ERP para empresas peruanas; procesos largos como workflows de Temporal.")
    app.add_middleware(
        CORSMiddleware, allow_origins=settings.cors_origins, allow_credentials=True,
        allow_methods=["*"], allow_headers=["Authorization", "Content-Type"],
    )

    @app.middleware("http")
    async def headers_and_access_log(request: Request, call_next) -> Response:  # noqa: ANN001
        started = time.perf_counter()
        response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        if settings.log_level == "DEBUG" or response.status_code >= 500:
            log.info("request", extra={"method": request.method, "path": request.url.path,
                                       "status": response.status_code,
                                       "ms": round((time.perf_counter() - started) * 1000, 1)})
        return response

    errors.install(app)
    for name in ROUTERS:
        app.include_router(importlib.import_module(f"api.{name}").router)
    return app
