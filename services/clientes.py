"""Customers (module 1): SUNAT identity documents validated, unique per (tipo_doc, numero_doc)."""

from decimal import Decimal

from pydantic import EmailStr, Field, ValidationInfo, field_validator
from sqlalchemy import func, or_, select
from sqlmodel import Session
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.pe import cui, ruc

from core.db import contiene, get_or_404, paginar
from core.errors import Conflict
from core.schemas import Entrada, Paginacion
from integrations.sunat.catalogos import CAT_06_DOC_IDENTIDAD, DOC_DNI, DOC_RUC
from models.ventas import Cliente


def validar_documento(tipo_doc: str, numero_doc: str) -> str:
    """The normalised document number, or ValueError with the reason (RUC check digit, DNI 8 digits...)."""
    try:
        if tipo_doc == DOC_RUC:
            return ruc.validate(numero_doc)
        if tipo_doc == DOC_DNI:
            return cui.validate(numero_doc)[:8]  # 8 digits, optionally followed by its check digit
    except StdnumError as exc:
        raise ValueError(f"número de documento inválido: {exc}") from exc
    numero = numero_doc.strip()
    if not 1 <= len(numero) <= 15:
        raise ValueError("el número de documento tiene entre 1 y 15 caracteres")
    return numero


class ClienteIn(Entrada):
    tipo_doc: str = Field(max_length=1)
    numero_doc: str = Field(max_length=15)
    razon_social: str = Field(min_length=1, max_length=200)
    direccion: str = Field(default="", max_length=300)
    email: EmailStr | None = None
    telefono: str = Field(default="", max_length=30)
    categoria: str = Field(default="GENERAL", max_length=30)
    limite_credito: Decimal = Field(default=Decimal("0"), ge=0, max_digits=14, decimal_places=2)
    dias_credito: int = Field(default=0, ge=0, le=365)
    pais: str = Field(default="PE", pattern=r"^[A-Z]{2}$")  # ISO 3166-1 alpha-2
    tags: list[str] = Field(default_factory=list, max_length=20)

    @field_validator("tipo_doc")
    @classmethod
    def _tipo(cls, v: str) -> str:
        if v not in CAT_06_DOC_IDENTIDAD:
            raise ValueError(f"tipo_doc {v!r} no está en el catálogo 06 de SUNAT")
        return v

    @field_validator("numero_doc")
    @classmethod
    def _numero(cls, v: str, info: ValidationInfo) -> str:
        tipo = info.data.get("tipo_doc")
        return validar_documento(tipo, v) if tipo else v


def _datos(datos: ClienteIn) -> dict:
    return datos.model_dump() | {"email": datos.email or ""}


def _duplicado(session: Session, datos: ClienteIn, excepto: int | None = None) -> None:
    stmt = select(Cliente.id).where(Cliente.tipo_doc == datos.tipo_doc, Cliente.numero_doc == datos.numero_doc)
    if excepto is not None:
        stmt = stmt.where(Cliente.id != excepto)
    if session.execute(stmt).first():
        raise Conflict(f"Ya existe un cliente con documento {datos.tipo_doc}-{datos.numero_doc}", field="numero_doc")


def crear(session: Session, datos: ClienteIn) -> Cliente:
    _duplicado(session, datos)  # the unique constraint still guards concurrent creates (409 as well)
    cliente = Cliente(**_datos(datos))
    session.add(cliente)
    session.commit()
    return cliente


def obtener(session: Session, cliente_id: int) -> Cliente:
    cliente = get_or_404(session, Cliente, cliente_id, "Cliente no encontrado")
    return cliente


def editar(session: Session, cliente_id: int, datos: ClienteIn) -> Cliente:
    cliente = obtener(session, cliente_id)
    _duplicado(session, datos, excepto=cliente_id)
    for key, value in _datos(datos).items():
        setattr(cliente, key, value)
    session.add(cliente)
    session.commit()
    return cliente


def buscar(session: Session, q: str | None, categoria: str | None, tag: str | None,
           pagina: Paginacion) -> tuple[list[Cliente], int]:
    """By document number prefix or by name (trigram index serves the ILIKE); best name matches first."""
    stmt = select(Cliente).where(Cliente.activo.is_(True))
    if q:
        stmt = stmt.where(or_(Cliente.numero_doc.startswith(q, autoescape=True),
                              contiene(Cliente.razon_social, q)))
        stmt = stmt.order_by(func.similarity(Cliente.razon_social, q).desc(), Cliente.id)
    else:
        stmt = stmt.order_by(Cliente.razon_social, Cliente.id)
    if categoria:
        stmt = stmt.where(Cliente.categoria == categoria)
    if tag:
        stmt = stmt.where(Cliente.tags.any(tag))
    return paginar(session, stmt, pagina.limit, pagina.offset)
