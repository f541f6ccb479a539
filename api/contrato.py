"""The API's typed contract in the OpenAPI: the one error shape on every operation that can answer it, and
file downloads with their media types. Error codes are derived from what each route is (authenticated,
with path parameters, writing, idempotent; any request may meet a full admission queue) so a new module is
covered without declaring them; an endpoint adds what cannot be derived with `responses=errores(422)`."""

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import APIRouter, FastAPI, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from api.deps import IDEMPOTENCY_HEADER, Permission, current_user
from core.schemas import ErrorOut

ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}
DESCRIPCIONES = {
    400: "Datos inválidos: `errors` nombra cada campo y su motivo (también campos desconocidos)",
    401: "Falta el token de acceso, o es inválido, vencido o revocado",
    403: "Autenticado, pero sin el permiso que la operación exige",
    404: "No existe (o no está disponible aún)",
    409: "Conflicto: duplicado, o una transición que el estado actual no permite",
    422: "Datos semánticamente incorrectos (p. ej. rango de fechas invertido, o la misma Idempotency-Key con "
         "otra solicitud)",
    410: "Ya no disponible: el enlace de descarga venció (pida uno nuevo)",
    429: "Demasiadas solicitudes: espere y reintente",
    503: "Servicio ocupado o dependencia caída (base de datos, Temporal): reintente (Retry-After)",
}


def errores(*codigos: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` entries for these status codes, each with the one error body."""
    return {c: {"description": DESCRIPCIONES[c], "content": {"application/json": {"schema": ERROR_REF}}}
            for c in codigos}


def descarga(media_type: str, descripcion: str) -> dict[str, Any]:
    """Route keyword arguments for a file download: its media type instead of a JSON body."""
    return {"response_class": Response, "responses": {200: {
        "description": descripcion, "content": {media_type: {"schema": {"type": "string", "format": "binary"}}}}}}


def _arbol(dependant: Dependant) -> Iterator[Dependant]:
    """The route's dependant and every sub-dependency, depth first."""
    yield dependant
    for dep in dependant.dependencies:
        yield from _arbol(dep)


def _codigos(route: APIRoute) -> set[int]:
    """The error statuses a route can answer, from what it is."""
    arbol = list(_arbol(route.dependant))
    calls = [d.call for d in arbol[1:]]
    codigos = set()
    if any(d.path_params or d.query_params or d.body_params or d.header_params or d.cookie_params for d in arbol):
        codigos.add(400)  # also an unknown body field, a NUL byte, an out-of-range id
    if route.dependant.path_params:
        codigos.add(404)
    if any(isinstance(c, Permission) or c is current_user for c in calls):
        codigos |= {401, 403}
    if route.methods - {"GET", "HEAD"}:
        codigos.add(409)  # unique violations and state transitions become 409
    if any(p.alias == IDEMPOTENCY_HEADER for d in arbol for p in d.header_params):
        codigos.add(422)  # the same Idempotency-Key with another body
    # Any request: admission control (api.admission) answers 503 + Retry-After when its queue times out, and
    # a database connection may not come within the pool timeout. (/health declares its own "degraded" 503.)
    codigos.add(503)
    return codigos


def _publicar_errores(spec: dict[str, Any]) -> None:
    """ErrorOut in the components; FastAPI's own 422 (HTTPValidationError) removed: we answer 400 ErrorOut."""
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    error = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(error.pop("$defs", {}))
    schemas["ErrorOut"] = error
    for methods in spec["paths"].values():
        for op in methods.values():
            schema = op.get("responses", {}).get("422", {}).get("content", {}).get("application/json", {})
            if schema.get("schema", {}).get("$ref", "").endswith("/HTTPValidationError"):
                del op["responses"]["422"]


def _openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    generar = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _publicar_errores(generar())  # generar caches its result in app.openapi_schema
        return app.openapi_schema

    return openapi


def declarar(router: APIRouter) -> APIRouter:
    """Declare the derived error responses on every route of a module's router (before it is included)."""
    for route in router.routes:
        if isinstance(route, APIRoute):
            for codigo, respuesta in errores(*sorted(_codigos(route))).items():
                route.responses.setdefault(codigo, respuesta)
    return router


def install(app: FastAPI) -> None:
    """Publish ErrorOut in the app's OpenAPI (and drop FastAPI's unused 422 shape)."""
    app.openapi = _openapi(app)  # type: ignore[method-assign]
