"""The company (single-tenant `configuracion` singleton) and its branches."""

from datetime import datetime
from decimal import Decimal
from typing import ClassVar

from sqlalchemy import CheckConstraint, Column, Numeric
from sqlmodel import Field, SQLModel

from core.crypto import EncryptedBytes, EncryptedString
from models.base import created_at


class Configuracion(SQLModel, table=True):
    """Exactly one row (id = 1). Secrets are encrypted at rest with ENCRYPTION_KEY."""

    __tablename__ = "configuracion"
    __table_args__ = (CheckConstraint("id = 1", name="configuracion_singleton"),)
    __audit_module__: ClassVar[str] = "configuracion"
    __audit_exclude__: ClassVar[set[str]] = {
        "sunat_clave_sol", "certificado_pfx", "certificado_password", "nubefact_token",
        "whatsapp_token", "whatsapp_app_secret", "smtp_password",
    }

    id: int = Field(default=1, primary_key=True)
    ruc: str = Field(max_length=11)
    razon_social: str = Field(max_length=200)
    nombre_comercial: str = Field(default="", max_length=200)
    direccion: str = Field(default="", max_length=300)
    ubigeo: str = Field(default="150101", max_length=6)
    departamento: str = Field(default="LIMA", max_length=50)
    provincia: str = Field(default="LIMA", max_length=50)
    distrito: str = Field(default="LIMA", max_length=50)
    telefono: str = Field(default="", max_length=30)
    email: str = Field(default="", max_length=254)
    web: str = Field(default="", max_length=200)
    igv_tasa: Decimal = Field(default=Decimal("0.18"), sa_column=Column(Numeric(5, 4), nullable=False))
    # ICBPER per plastic bag (Ley 30884: S/ 0.50 since 2023)
    icbper_tarifa: Decimal = Field(default=Decimal("0.50"), sa_column=Column(Numeric(6, 2), nullable=False))
    moneda: str = Field(default="PEN", max_length=3)
    serie_factura: str = Field(default="F001", max_length=4)
    serie_boleta: str = Field(default="B001", max_length=4)
    cuenta_detracciones: str = Field(default="", max_length=30)  # Banco de la Nación account (SPOT deposits)
    proveedor_sunat: str = Field(default="SEE", max_length=10)  # SEE | NUBEFACT
    sunat_usuario_sol: str = Field(default="MODDATOS", max_length=30)
    sunat_clave_sol: str | None = Field(default=None, sa_type=EncryptedString)
    certificado_pfx: bytes | None = Field(default=None, sa_type=EncryptedBytes)
    certificado_password: str | None = Field(default=None, sa_type=EncryptedString)
    nubefact_url: str = Field(default="", max_length=300)
    nubefact_token: str | None = Field(default=None, sa_type=EncryptedString)
    whatsapp_phone_number_id: str = Field(default="", max_length=40)
    whatsapp_token: str | None = Field(default=None, sa_type=EncryptedString)
    whatsapp_app_secret: str | None = Field(default=None, sa_type=EncryptedString)
    notificar_cliente: bool = False
    smtp_password: str | None = Field(default=None, sa_type=EncryptedString)


class Sucursal(SQLModel, table=True):
    __tablename__ = "sucursales"
    __audit_module__: ClassVar[str] = "configuracion"

    id: int | None = Field(default=None, primary_key=True)
    nombre: str = Field(max_length=100, unique=True)
    direccion: str = Field(default="", max_length=300)
    codigo_establecimiento: str = Field(default="0000", max_length=4)  # SUNAT's annex code
    activo: bool = True
    created_at: datetime = created_at()
