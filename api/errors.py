"""Map every failure to the spec's status codes with one JSON shape (see core.errors)."""

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from psycopg import errors as pg_errors
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.errors import Conflict, DomainError, FieldError, Unavailable, ValidationError

log = logging.getLogger(__name__)


def _response(err: DomainError) -> JSONResponse:
    return JSONResponse(status_code=err.status, content=err.body())


def _field_path(loc: tuple) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) or "body"


def _message(error: dict) -> str:
    if error["type"] == "extra_forbidden":
        return "Campo no reconocido: este campo no existe en la API"
    return error["msg"].removeprefix("Value error, ")


def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [FieldError(_field_path(e["loc"]), _message(e)) for e in exc.errors()]
    message = "; ".join(f"{e.field}: {e.message}" for e in errors[:5])
    return _response(ValidationError(f"Datos inválidos: {message}", errors=errors))


def _integrity(_: Request, exc: IntegrityError) -> JSONResponse:
    orig = exc.orig
    diag = getattr(orig, "diag", None)
    constraint = getattr(diag, "constraint_name", None) or ""
    if isinstance(orig, pg_errors.UniqueViolation):
        return _response(Conflict(f"Registro duplicado ({constraint})", field=_column_hint(diag)))
    if isinstance(orig, pg_errors.ForeignKeyViolation):
        return _response(ValidationError(f"Referencia inexistente ({constraint})", field=_column_hint(diag)))
    if isinstance(orig, pg_errors.CheckViolation | pg_errors.NotNullViolation):
        # A rule raised by a trigger (closed period, unbalanced entry) carries its own explanation.
        regla = diag.message_primary if constraint and "violates" not in (diag.message_primary or "") else None
        return _response(ValidationError(f"Dato no permitido ({regla or constraint or diag.column_name})",
                                         field=_column_hint(diag)))
    log.exception("integrity error", exc_info=exc)
    return _response(Conflict("Conflicto de integridad de datos"))


def _column_hint(diag: object) -> str | None:
    detail = getattr(diag, "message_detail", None) or ""
    if detail.startswith("Key (") and ")=" in detail:
        return detail[5 : detail.index(")=")]
    return getattr(diag, "column_name", None)


def _dbapi(_: Request, exc: DBAPIError) -> JSONResponse:
    if isinstance(exc.orig, pg_errors.InsufficientPrivilege):
        return _response(Conflict("Registro inmutable: no puede modificarse"))
    if isinstance(exc.orig, pg_errors.DataError):
        # Last line of defence: a value beyond what its column holds that no typed field caught (those
        # answer first, naming the field). Logged so the missing type gets added.
        log.warning("value refused by the database: %s", exc.orig)
        return _response(ValidationError("Un valor excede lo que la base de datos admite"))
    log.exception("database error", exc_info=exc)
    return JSONResponse(status_code=500, content={"code": "internal_error", "message": "Error interno", "errors": []})


def _pool_exhausted(_: Request, exc: PoolTimeout) -> JSONResponse:
    log.error("no database connection available: %s", exc)
    response = _response(Unavailable("Servicio ocupado, reintente en un momento"))
    response.headers["Retry-After"] = "1"
    return response


def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
    code = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}.get(
        exc.status_code, "error")
    return JSONResponse(status_code=exc.status_code, content={"code": code, "message": str(exc.detail), "errors": []},
                        headers=getattr(exc, "headers", None))


def _unhandled(_: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return JSONResponse(status_code=500, content={"code": "internal_error", "message": "Error interno", "errors": []})


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, lambda _r, e: _response(e))
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(IntegrityError, _integrity)
    app.add_exception_handler(DBAPIError, _dbapi)
    app.add_exception_handler(PoolTimeout, _pool_exhausted)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unhandled)
