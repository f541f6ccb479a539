"""The one base of every API request body: unknown fields are refused, and no text may carry a character
that PostgreSQL text cannot store (NUL) or that a SUNAT XML 1.0 document cannot carry (control characters,
lone surrogates, U+FFFE/U+FFFF). Refusing them at the door is what keeps a numbered document from getting
stuck later, when its XML is built."""

import dataclasses
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Annotated, Any, Generic, TypeVar
from zoneinfo import ZoneInfo

from annotated_types import Ge, Le
from fastapi import Query
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    create_model,
    field_validator,
)
from starlette.requests import HTTPConnection

from core.errors import ValidationError
from core.settings import get_settings

# Everything outside XML 1.0's Char production: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def caracter_no_permitido(texto: str) -> str | None:
    """The first character a document cannot carry, as U+XXXX, or None."""
    match = _NOT_XML_CHAR.search(texto)
    return f"U+{ord(match.group()):04X}" if match else None


def texto_no_permitido(valor: Any, ruta: str = "") -> tuple[str, str] | None:
    """(field path, U+XXXX) of the first text inside `valor` (a str, dataclass, list or dict, nested)
    that a document cannot carry, or None. Guards data that never came through a request body."""
    if isinstance(valor, str):
        malo = caracter_no_permitido(valor)
        return (ruta, malo) if malo else None
    if dataclasses.is_dataclass(valor) and not isinstance(valor, type):
        hijos = ((f.name, getattr(valor, f.name)) for f in dataclasses.fields(valor))
    elif isinstance(valor, dict):
        hijos = ((str(k), v) for k, v in valor.items())
    elif isinstance(valor, list | tuple):
        hijos = ((str(i), v) for i, v in enumerate(valor))
    else:
        return None
    for nombre, hijo in hijos:
        if (hallado := texto_no_permitido(hijo, f"{ruta}.{nombre}" if ruta else nombre)) is not None:
            return hallado
    return None


def _revisar(value: Any) -> Any:
    if isinstance(value, str):
        if (malo := caracter_no_permitido(value)) is not None:
            raise ValueError(f"contiene un carácter no permitido ({malo})")
    elif isinstance(value, list | tuple | set):
        for item in value:
            _revisar(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _revisar(key)
            _revisar(item)
    return value


# --- bounded scalars: what PostgreSQL can hold, refused with 400 naming the field otherwise ---------------------

INT4_MAX = 2**31 - 1  # serial / integer columns
INT8_MAX = 2**63 - 1  # bigserial / bigint columns
Id = Annotated[int, Ge(1), Le(INT4_MAX)]
"""An id of an `integer` primary key, in a path, a query or a body."""
Id8 = Annotated[int, Ge(1), Le(INT8_MAX)]
"""An id of a `bigint` primary key (audit_logs, movimientos, sales-note history)."""
Entero = Annotated[int, Ge(-INT4_MAX - 1), Le(INT4_MAX)]
"""Any other integer stored in or compared with an `integer` column (a year, a count)."""

FECHA_MIN, FECHA_MAX = date(1900, 1, 1), date(2999, 12, 31)


def _fecha_acotada(valor: date) -> date:
    if not FECHA_MIN <= valor <= FECHA_MAX:
        raise ValueError(f"fecha fuera del rango admitido ({FECHA_MIN} a {FECHA_MAX})")
    return valor


def _momento_acotado(valor: datetime) -> datetime:
    _fecha_acotada(valor.date())  # its own calendar date: converting 9999-12-31 to UTC would overflow
    return valor


Fecha = Annotated[date, AfterValidator(_fecha_acotada)]
"""A business date a filter or a document can carry: years 1900-2999 (its day boundaries and UTC
conversions never overflow)."""
Momento = Annotated[datetime, AfterValidator(_momento_acotado)]
"""A timestamp within the same range."""


def _hora_con_zona(hora: time) -> str:
    """RFC 3339 full-time (what OpenAPI's `format: time` means): with the business time zone's offset."""
    if hora.tzinfo is None:
        offset = ZoneInfo(get_settings().timezone).utcoffset(datetime.now(UTC).replace(tzinfo=None)) or timedelta()
        hora = hora.replace(tzinfo=timezone(offset))
    return hora.isoformat()


HoraLocal = Annotated[time, PlainSerializer(_hora_con_zona, return_type=str, when_used="json"),
                      WithJsonSchema({"type": "string", "format": "time"})]
"""A time of day stored without zone (business time, America/Lima), answered with its offset."""


def _password_bcrypt(valor: str) -> str:
    if len(valor.encode()) > 72:
        raise ValueError("la contraseña admite hasta 72 bytes (bcrypt)")
    return valor


PasswordBcrypt = Annotated[str, AfterValidator(_password_bcrypt)]
"""A password bcrypt can hash whole: at most 72 bytes in UTF-8 (longer ones are refused, not truncated)."""


async def url_almacenable(request: HTTPConnection) -> None:
    """App-wide dependency: the same rule as `Entrada` for path and query parameters (a NUL in a search
    would otherwise reach PostgreSQL and fail there). Async, so it never waits for a worker thread. An
    HTTPConnection, so WebSocket routes (public tracking) get the same check."""
    parametros = [*request.path_params.items(), *request.query_params.multi_items()]
    for nombre, valor in parametros:
        if isinstance(valor, str) and (malo := caracter_no_permitido(valor)) is not None:
            raise ValidationError(f"{nombre}: contiene un carácter no permitido ({malo})", field=nombre)
    for nombre in request.query_params:
        if (malo := caracter_no_permitido(nombre)) is not None:
            raise ValidationError(f"Parámetro con un carácter no permitido ({malo})", field="query")


class Entrada(BaseModel):
    """Base of every request model (see docs/CONVENTIONS.md)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _texto_almacenable(cls, value: Any) -> Any:
        return _revisar(value)


T = TypeVar("T")
Desplazamiento = Annotated[int, Query(ge=0, le=1_000_000, description="rows to skip")]


class Pagina(BaseModel, Generic[T]):
    """The one shape of every list endpoint: ``?limit=&offset=`` in, this out."""

    items: list[T]
    total: int = Field(description="rows matching the filters, across all pages")
    limit: int
    offset: int


@dataclass(frozen=True)
class Paginacion:
    """Query parameters of every list endpoint (``pagina: Annotated[Paginacion, Depends()]``)."""

    limit: Annotated[int, Query(ge=1, le=200, description="page size")] = 50
    offset: Desplazamiento = 0

    def pagina(self, items: list[T], total: int) -> Pagina[T]:
        return Pagina(items=items, total=total, limit=self.limit, offset=self.offset)


class PaginaCursor(Pagina[T], Generic[T]):
    """Pagina of a keyset-paged list (the books): the same fields plus ``siguiente``, the cursor of the next
    page. Walking by cursor is stable while rows are inserted: no row is skipped or repeated, and no page
    costs an OFFSET scan."""

    siguiente: str | None = Field(description="pass it as ?cursor= for the next page; null on the last page")


@dataclass(frozen=True)
class PaginacionCursor(Paginacion):
    """Paginacion plus ``?cursor=`` (the ``siguiente`` of the previous page). ``offset`` still works (it counts
    from the cursor), so clients of the offset contract keep working."""

    cursor: Annotated[str | None, Query(max_length=200, pattern="^[A-Za-z0-9_-]+$",
                                        description="the previous page's `siguiente`")] = None

    def pagina_cursor(self, items: list[T], total: int, siguiente: str | None) -> PaginaCursor[T]:
        return PaginaCursor(items=items, total=total, limit=self.limit, offset=self.offset, siguiente=siguiente)


class Salida(BaseModel):
    """Base of every response model. The contract is exact: a field a service returns that its model does not
    declare fails the request (and so the tests) instead of silently vanishing from the answer."""

    model_config = ConfigDict(from_attributes=True, extra="forbid")


def salida_de(tabla: type[BaseModel], nombre: str, *, excluir: tuple[str, ...] = (), doc: str | None = None,
              ejemplo: dict[str, Any] | None = None, **campos: Any) -> type[Salida]:
    """A response model with every column of `tabla` (all present in the answer; the primary key never
    null) plus `campos` (name=(type, default or ...)). The table stays the one place a column is declared."""
    definiciones: dict[str, Any] = {}
    for name, info in tabla.model_fields.items():
        if name in excluir:
            continue
        anotacion = int if name == "id" else info.annotation
        definiciones[name] = (anotacion, Field(description=info.description))
    extra = {"json_schema_extra": {"examples": [ejemplo]}} if ejemplo else {}
    return create_model(nombre, __base__=Salida, __doc__=doc or tabla.__doc__, __cls_kwargs__=extra,
                        **definiciones, **campos)


class ErrorCampo(BaseModel):
    field: str = Field(description="the field at fault, dotted for nested ones (lineas.0.cantidad)")
    message: str


class ErrorOut(BaseModel):
    """The one error body of the API (core.errors.DomainError.body)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "code": "validation_error", "message": "Datos inválidos: lineas.0.cantidad: debe ser mayor que 0",
        "errors": [{"field": "lineas.0.cantidad", "message": "debe ser mayor que 0"}]}]})

    code: str = Field(description="validation_error, unauthorized, forbidden, not_found, conflict, "
                                  "unprocessable, too_many_requests, unavailable, …")
    message: str
    errors: list[ErrorCampo] = Field(description="one entry per field at fault; empty when no field is")

