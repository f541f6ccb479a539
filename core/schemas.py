"""The one base of every API request body: unknown fields are refused, and no text may carry a character
that PostgreSQL text cannot store (NUL) or that a SUNAT XML 1.0 document cannot carry (control characters,
lone surrogates, U+FFFE/U+FFFF). Refusing them at the door is what keeps a numbered document from getting
stuck later, when its XML is built."""

import re
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator

# Everything outside XML 1.0's Char production: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def caracter_no_permitido(texto: str) -> str | None:
    """The first character a document cannot carry, as U+XXXX, or None."""
    match = _NOT_XML_CHAR.search(texto)
    return f"U+{ord(match.group()):04X}" if match else None


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


class Entrada(BaseModel):
    """Base of every request model (see docs/CONVENTIONS.md)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _texto_almacenable(cls, value: Any) -> Any:
        return _revisar(value)


T = TypeVar("T")


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
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="rows to skip")] = 0

    def pagina(self, items: list[T], total: int) -> Pagina[T]:
        return Pagina(items=items, total=total, limit=self.limit, offset=self.offset)


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


# A row id as the API accepts it in paths, queries and bodies: PostgreSQL's `integer` range, so an id no row
# can have is a 400 naming the parameter instead of a database error.
Id = Annotated[int, Field(ge=1, le=2_147_483_647)]
