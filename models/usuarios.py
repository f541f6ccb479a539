"""Module 9: users, roles, permissions, sessions, revoked tokens, audit log."""

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import BigInteger, Column, DateTime, Index, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from core.crypto import EncryptedString
from models.base import created_at, timestamp


class Rol(SQLModel, table=True):
    __tablename__ = "roles"
    __audit_module__: ClassVar[str] = "usuarios"

    id: int | None = Field(default=None, primary_key=True)
    nombre: str = Field(max_length=50, unique=True)
    descripcion: str = Field(default="", max_length=255)


class Permiso(SQLModel, table=True):
    __tablename__ = "permisos"
    __table_args__ = (UniqueConstraint("rol_id", "modulo", "accion"),)
    __audit_module__: ClassVar[str] = "usuarios"

    id: int | None = Field(default=None, primary_key=True)
    rol_id: int = Field(foreign_key="roles.id", index=True, ondelete="CASCADE")
    modulo: str = Field(max_length=50)
    accion: str = Field(max_length=50)
    permitido: bool = True


class Usuario(SQLModel, table=True):
    __tablename__ = "usuarios"
    __audit_module__: ClassVar[str] = "usuarios"
    __audit_exclude__: ClassVar[set[str]] = {"password_hash", "twofa_secret", "twofa_ultimo_paso"}

    id: int | None = Field(default=None, primary_key=True)
    nombre: str = Field(max_length=150)
    email: str = Field(max_length=254, unique=True)
    password_hash: str | None = Field(default=None, max_length=100)
    rol_id: int = Field(foreign_key="roles.id", index=True)
    sucursal_id: int | None = Field(default=None, foreign_key="sucursales.id")
    activo: bool = True
    twofa_activo: bool = False
    twofa_secret: str | None = Field(default=None, sa_type=EncryptedString)
    # The last TOTP timestep accepted, so a code cannot be used twice (RFC 6238 §5.2).
    twofa_ultimo_paso: int | None = Field(default=None, sa_type=BigInteger)
    ultimo_acceso: datetime | None = timestamp()
    created_at: datetime = created_at()


class UsuarioSucursal(SQLModel, table=True):
    """Branches a user may work in besides their home branch (JWT `sucursales_permitidas`)."""

    __tablename__ = "usuario_sucursales"

    usuario_id: int = Field(foreign_key="usuarios.id", primary_key=True, ondelete="CASCADE")
    sucursal_id: int = Field(foreign_key="sucursales.id", primary_key=True, ondelete="CASCADE")


class Sesion(SQLModel, table=True):
    """One row per issued token (access or refresh), with where it was issued from."""

    __tablename__ = "sesiones"

    id: int | None = Field(default=None, primary_key=True)
    usuario_id: int = Field(foreign_key="usuarios.id", index=True)
    token_jti: str = Field(max_length=64, unique=True)
    tipo: str = Field(max_length=10)  # access | refresh
    ip: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=512)
    activo: bool = True
    created_at: datetime = created_at()
    expires_at: datetime = Field(sa_type=DateTime(timezone=True))


class TokenRevocado(SQLModel, table=True):
    """The JWT revocation list: a jti here is refused until the token would have expired anyway."""

    __tablename__ = "tokens_revocados"

    jti: str = Field(primary_key=True, max_length=64)
    expires_at: datetime = Field(sa_type=DateTime(timezone=True), index=True)


class IntentoLogin(SQLModel, table=True):
    """Login attempts per IP, for the 5-per-minute limit shared by every API process."""

    __tablename__ = "intentos_login"
    __table_args__ = (Index("ix_intentos_login_ip_created", "ip", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    ip: str = Field(max_length=64)
    created_at: datetime = created_at()


class AuditLog(SQLModel, table=True):
    """Append-only: a database trigger refuses UPDATE and DELETE."""

    __tablename__ = "audit_logs"
    __table_args__ = (
        Index("ix_audit_logs_objeto", "objeto_tipo", "objeto_id"),
        Index("ix_audit_logs_created", "created_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    usuario_id: int | None = Field(default=None, index=True)
    modulo: str = Field(max_length=50)
    accion: str = Field(max_length=20)  # create | update | delete | login | ...
    objeto_tipo: str = Field(max_length=80)
    objeto_id: str | None = Field(default=None, max_length=80)
    datos_anteriores_json: dict[str, Any] | None = Field(default=None, sa_type=JSONB)
    datos_nuevos_json: dict[str, Any] | None = Field(default=None, sa_type=JSONB)
    ip: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=512)
    created_at: datetime = created_at()
