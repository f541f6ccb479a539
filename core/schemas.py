"""The one base of every API request body: unknown fields are refused, and no text may carry a character
that PostgreSQL text cannot store (NUL) or that a SUNAT XML 1.0 document cannot carry (control characters,
lone surrogates, U+FFFE/U+FFFF). Refusing them at the door is what keeps a numbered document from getting
stuck later, when its XML is built."""

import dataclasses
import re
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field, field_validator

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
