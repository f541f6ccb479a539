"""Module 9 user administration: list, create, edit (deactivation revokes every live token), 2FA set-up."""

from datetime import datetime
from typing import Any

import pyotp
import segno
from pydantic import ConfigDict, EmailStr, Field, field_validator
from sqlalchemy import func, or_, select
from sqlmodel import Session

from core.db import contiene, get_or_404, paginar
from core.errors import Conflict, Forbidden, Unauthorized, ValidationError
from core.schemas import Entrada, Id, Paginacion, PasswordBcrypt, Salida
from core.security import hash_password
from models.configuracion import Sucursal
from models.usuarios import Rol, Usuario
from services.auth import AuthUser, accept_totp, check_login_rate, revoke_all_sessions

MIN_PASSWORD = 10
ISSUER = "JSOLUCIONES ERP"


def _password_policy(value: str | None) -> str | None:
    if value is not None and (len(value) < MIN_PASSWORD or value.isdigit() or value.isalpha()):
        raise ValueError(f"la contraseña debe tener al menos {MIN_PASSWORD} caracteres, con letras y números")
    return value


class UsuarioIn(Entrada):
    nombre: str = Field(min_length=2, max_length=150)
    email: EmailStr
    password: PasswordBcrypt
    rol_id: Id
    sucursal_id: Id | None = None

    _pw = field_validator("password")(_password_policy)


class UsuarioUpdate(Entrada):
    nombre: str | None = Field(default=None, min_length=2, max_length=150)
    rol_id: Id | None = None
    sucursal_id: Id | None = None
    activo: bool | None = None
    password: PasswordBcrypt | None = None

    _pw = field_validator("password")(_password_policy)


class UsuarioOut(Salida):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": 2, "nombre": "Ana Cajera", "email": "ana@empresa.pe", "rol_id": 3, "rol": "CAJERO", "sucursal_id": 1,
        "activo": True, "twofa_activo": False, "ultimo_acceso": "2026-03-02T14:05:00Z",
        "created_at": "2026-03-01T09:00:00Z"}]})

    id: int
    nombre: str
    email: str
    rol_id: int
    rol: str
    sucursal_id: int | None
    activo: bool
    twofa_activo: bool
    ultimo_acceso: datetime | None
    created_at: datetime


def _out(session: Session, user: Usuario) -> UsuarioOut:
    rol = session.get(Rol, user.rol_id)
    return UsuarioOut(rol=rol.nombre if rol else "", **user.model_dump(
        include={"id", "nombre", "email", "rol_id", "sucursal_id", "activo", "twofa_activo", "ultimo_acceso",
                 "created_at"}))


def _check_refs(session: Session, rol_id: int | None, sucursal_id: int | None) -> None:
    if rol_id is not None and session.get(Rol, rol_id) is None:
        raise ValidationError("El rol no existe", field="rol_id")
    if sucursal_id is not None and session.get(Sucursal, sucursal_id) is None:
        raise ValidationError("La sucursal no existe", field="sucursal_id")


def obtener(session: Session, usuario_id: int) -> Usuario:
    user = get_or_404(session, Usuario, usuario_id, "Usuario no encontrado")
    return user


def listar(session: Session, rol_id: int | None, activo: bool | None, buscar: str | None,
           pagina: Paginacion) -> tuple[list[UsuarioOut], int]:
    query = select(Usuario).order_by(Usuario.id)
    if rol_id is not None:
        query = query.where(Usuario.rol_id == rol_id)
    if activo is not None:
        query = query.where(Usuario.activo.is_(activo))
    if buscar:
        query = query.where(or_(contiene(Usuario.nombre, buscar), contiene(Usuario.email, buscar)))
    usuarios, total = paginar(session, query, pagina.limit, pagina.offset)
    return [_out(session, u) for u in usuarios], total


def crear(session: Session, datos: UsuarioIn) -> UsuarioOut:
    _check_refs(session, datos.rol_id, datos.sucursal_id)
    exists = session.execute(select(Usuario.id).where(func.lower(Usuario.email) == datos.email.lower())).first()
    if exists:
        raise Conflict("Ya existe un usuario con ese e-mail", field="email")
    user = Usuario(nombre=datos.nombre, email=datos.email.lower(), rol_id=datos.rol_id,
                   sucursal_id=datos.sucursal_id, password_hash=hash_password(datos.password))
    session.add(user)
    session.commit()
    return _out(session, user)


def editar(session: Session, usuario_id: int, datos: UsuarioUpdate) -> UsuarioOut:
    """One transaction: the change, its audit row and, when deactivating, the revocation of every live token."""
    user = obtener(session, usuario_id)
    _check_refs(session, datos.rol_id, datos.sucursal_id)
    cambios: dict[str, Any] = datos.model_dump(exclude_unset=True, exclude={"password"})
    for key, value in cambios.items():
        setattr(user, key, value)
    if datos.password:
        user.password_hash = hash_password(datos.password)
    session.add(user)
    if datos.activo is False or datos.rol_id is not None:
        # A deactivated user, or one whose role (and so the JWT's claims) changed, must log in again.
        revoke_all_sessions(session, user.id)
    session.commit()
    return _out(session, user)


def _self_or_admin(actor: AuthUser, usuario_id: int, es_admin: bool) -> None:
    if actor.id != usuario_id and not es_admin:
        raise Forbidden("Solo el propio usuario o un administrador pueden configurar su 2FA")


def _codigo_de_la_app(session: Session, usuario_id: int, codigo: str) -> Usuario:
    # Throttled like the login, per account (not per IP): a stolen token cannot brute-force the 6 digits.
    check_login_rate(session, f"2fa-usuario:{usuario_id}")
    try:
        return accept_totp(session, usuario_id, codigo)
    except Unauthorized as exc:  # the caller is authenticated: a wrong code is bad input, not a bad token
        raise ValidationError(exc.message, field="codigo") from exc


class Activacion2FAOut(Salida):
    otpauth_uri: str = Field(description="otpauth://totp/… for the authenticator app")
    qr_svg: str = Field(description="the same URI as a QR code, an SVG data: URI")
    siguiente_paso: str = Field(description="where to confirm with a first code")


def activar_2fa(session: Session, actor: AuthUser, usuario_id: int, es_admin: bool) -> Activacion2FAOut:
    """Step 1: a new secret (stored encrypted, not yet active) and its otpauth URI + QR for the app."""
    _self_or_admin(actor, usuario_id, es_admin)
    user = obtener(session, usuario_id)
    if user.twofa_activo:
        raise Conflict("El usuario ya tiene 2FA activo", field="twofa_activo")
    user.twofa_secret = pyotp.random_base32()
    user.twofa_ultimo_paso = None
    session.add(user)
    session.commit()
    uri = pyotp.TOTP(user.twofa_secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    qr = segno.make(uri, error="m").svg_data_uri(scale=4)
    return Activacion2FAOut(otpauth_uri=uri, qr_svg=qr, siguiente_paso=f"/api/usuarios/{usuario_id}/confirmar-2fa/")


def confirmar_2fa(session: Session, actor: AuthUser, usuario_id: int, codigo: str, es_admin: bool) -> UsuarioOut:
    """Step 2: the first valid code from the app proves it was set up; only then is 2FA enforced."""
    _self_or_admin(actor, usuario_id, es_admin)
    user = obtener(session, usuario_id)
    if not user.twofa_secret:
        raise Conflict("Primero active 2FA para obtener el código QR", field="codigo")
    user = _codigo_de_la_app(session, usuario_id, codigo)
    user.twofa_activo = True
    session.add(user)
    session.commit()
    return _out(session, user)


def desactivar_2fa(session: Session, actor: AuthUser, usuario_id: int, codigo: str | None,
                   es_admin: bool) -> UsuarioOut:
    """Turn 2FA off: the user proves it with a current code; an admin may do it without one (lost phone).
    The secret is erased and every live token revoked, so the next login is a fresh one."""
    _self_or_admin(actor, usuario_id, es_admin)
    user = obtener(session, usuario_id)
    if not user.twofa_activo:
        raise Conflict("El usuario no tiene 2FA activo", field="twofa_activo")
    if codigo is None and actor.id == usuario_id:
        raise ValidationError("Ingrese el código de su aplicación de autenticación", field="codigo")
    if codigo is not None:
        user = _codigo_de_la_app(session, usuario_id, codigo)
    user.twofa_activo = False
    user.twofa_secret = None
    user.twofa_ultimo_paso = None
    session.add(user)
    revoke_all_sessions(session, user.id)
    session.commit()
    return _out(session, user)
