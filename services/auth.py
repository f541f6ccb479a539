"""Authentication: login (password or Google SSO, with optional TOTP second factor), refresh, logout
and token checks."""

import hmac
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

import pyotp
from sqlalchemy import delete, exists, func, select, text, true
from sqlmodel import Session

from core import audit, idempotency
from core.context import Actor
from core.errors import Forbidden, TooManyRequests, Unauthorized
from core.security import (
    ACCESS,
    REFRESH,
    TWOFA,
    TokenClaims,
    decode_token,
    hash_password,
    issue_token,
    verify_password,
)
from core.settings import get_settings
from integrations.google.client import GoogleIdentity
from models.usuarios import IntentoLogin, Rol, Sesion, TokenRevocado, Usuario, UsuarioSucursal
from services.permisos import concede


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    token_type: str = "bearer"


@dataclass(frozen=True)
class SegundoFactorRequerido:
    """Password was right but the user has 2FA: only /login/2fa/ accepts this token."""

    token_2fa: str
    requiere_2fa: bool = True


@dataclass(frozen=True)
class AuthUser:
    id: int
    email: str
    nombre: str
    rol: str
    rol_id: int
    sucursal_id: int | None
    sucursales_permitidas: list[int]
    jti: str
    exp: datetime


def check_login_rate(session: Session, ip: str) -> None:
    """At most N login attempts per IP per minute (every API process shares this table).

    `ip` is the bucket key: second-factor attempts use their own bucket ("2fa:<ip>") so a user who
    typed the password right is not locked out by the code step, yet codes cannot be brute-forced."""
    limit = get_settings().login_rate_limit_per_minute
    session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:ip))"), {"ip": ip})
    recent = session.execute(
        select(func.count()).select_from(IntentoLogin).where(
            IntentoLogin.ip == ip, IntentoLogin.created_at > func.now() - timedelta(minutes=1))
    ).scalar_one()
    if recent >= limit:
        raise TooManyRequests("Demasiados intentos de inicio de sesión; espere un minuto")
    session.add(IntentoLogin(ip=ip))
    session.commit()


def _sucursales(session: Session, user: Usuario) -> list[int]:
    extra = session.execute(select(UsuarioSucursal.sucursal_id).where(UsuarioSucursal.usuario_id == user.id))
    ids = {user.sucursal_id} if user.sucursal_id else set()
    return sorted(ids | set(extra.scalars()))


def _rol_nombre(session: Session, user: Usuario) -> str:
    return session.get(Rol, user.rol_id).nombre


def _record_session(session: Session, user_id: int, claims: TokenClaims, ip: str | None, ua: str | None) -> None:
    session.add(Sesion(usuario_id=user_id, token_jti=claims.jti, tipo=claims.tipo, ip=ip,
                       user_agent=(ua or "")[:512], expires_at=claims.exp))


def issue_session(session: Session, user: Usuario, ip: str | None, ua: str | None,
                  metodo: str = "password") -> TokenPair:
    """Full access + refresh tokens, each recorded in `sesiones`; the login is audited."""
    settings = get_settings()
    session.info["actor"] = Actor(user.id, ip, ua)
    rol, sucursales = _rol_nombre(session, user), _sucursales(session, user)
    access, a_claims = issue_token(user.id, ACCESS, timedelta(minutes=settings.access_token_minutes), rol, sucursales)
    refresh, r_claims = issue_token(user.id, REFRESH, timedelta(days=settings.refresh_token_days), rol, sucursales)
    _record_session(session, user.id, a_claims, ip, ua)
    _record_session(session, user.id, r_claims, ip, ua)
    user.ultimo_acceso = datetime.now(UTC)
    session.add(user)
    audit.record(session, "usuarios", "login", "usuarios", str(user.id), {"metodo": metodo})
    session.commit()
    return TokenPair(access, refresh)


@cache
def _dummy_hash() -> str:
    """Checked when the e-mail is unknown, so a wrong e-mail costs the same bcrypt time as a wrong
    password (no account enumeration by timing)."""
    return hash_password("no-such-user-password")


def _user_by_email(session: Session, email: str) -> Usuario | None:
    return session.execute(select(Usuario).where(func.lower(Usuario.email) == email.lower())).scalar_one_or_none()


def _second_factor_or_session(session: Session, user: Usuario, ip: str | None, ua: str | None,
                              metodo: str) -> TokenPair | SegundoFactorRequerido:
    if user.twofa_activo:
        token, _ = issue_token(user.id, TWOFA, timedelta(minutes=get_settings().twofa_token_minutes))
        return SegundoFactorRequerido(token)
    return issue_session(session, user, ip, ua, metodo)


def login(session: Session, email: str, password: str, ip: str, ua: str | None) -> TokenPair | SegundoFactorRequerido:
    check_login_rate(session, ip)
    user = _user_by_email(session, email)
    valid = verify_password(password, user.password_hash if user else _dummy_hash())
    if user is None or not user.activo or not valid:
        raise Unauthorized("Credenciales inválidas")
    return _second_factor_or_session(session, user, ip, ua, "password")


def login_google(session: Session, identity: GoogleIdentity, ip: str, ua: str | None,
                 ) -> TokenPair | SegundoFactorRequerido:
    """SSO: the (already verified) Google identity must be a known, active user of this company.
    A user with 2FA still has to give their TOTP code."""
    check_login_rate(session, ip)
    if not identity.email_verified:
        raise Unauthorized("Google no ha verificado este e-mail", field="id_token")
    user = _user_by_email(session, identity.email)
    if user is None:
        raise Unauthorized("No existe un usuario con este e-mail de Google", field="id_token")
    if not user.activo:
        raise Forbidden("El usuario está desactivado")
    return _second_factor_or_session(session, user, ip, ua, "google")


def totp_step(secret: str, codigo: str, ultimo_paso: int | None) -> int | None:
    """The timestep (30 s window, ±1 for clock drift) whose code matches, if not used before."""
    totp = pyotp.TOTP(secret)
    now = int(time.time()) // totp.interval
    for paso in (now, now - 1, now + 1):
        if (ultimo_paso is None or paso > ultimo_paso) and hmac.compare_digest(totp.generate_otp(paso), codigo):
            return paso
    return None


def accept_totp(session: Session, user_id: int, codigo: str) -> Usuario:
    """Check a TOTP code under a row lock and remember its timestep, so concurrent or repeated use
    of the same code is refused. Raises 401 on a wrong, reused or expired code."""
    user = session.get(Usuario, user_id, with_for_update=True, populate_existing=True)
    paso = totp_step(user.twofa_secret, codigo, user.twofa_ultimo_paso) if user and user.twofa_secret else None
    if paso is None:
        raise Unauthorized("Código de verificación inválido o ya utilizado", field="codigo")
    user.twofa_ultimo_paso = paso
    session.add(user)
    return user


def login_2fa(session: Session, token_2fa: str, codigo: str, ip: str, ua: str | None) -> TokenPair:
    """Second step: the short-lived 2FA token plus a valid TOTP code -> the full JWT pair.
    The 2FA token is single-use."""
    check_login_rate(session, f"2fa:{ip}")
    claims = decode_token(token_2fa, TWOFA)
    user_from_claims(session, claims)
    user = accept_totp(session, claims.user_id, codigo)
    if not user.twofa_activo:
        raise Unauthorized("El usuario no tiene 2FA activo")
    revoke(session, claims.jti, claims.exp)
    return issue_session(session, user, ip, ua, "2fa")


def _is_revoked(session: Session, jti: str) -> bool:
    return session.get(TokenRevocado, jti) is not None


def _user_and_checks(session: Session, claims: TokenClaims,
                     permiso: tuple[str, str] | None) -> tuple[Usuario, bool]:
    """One query: the token's user, whether the token is revoked and, if asked, whether the user's role
    grants `permiso` (every authenticated request runs this, so it is a single round trip)."""
    columnas = [Usuario, exists().where(TokenRevocado.jti == claims.jti).label("revocado"),
                concede(Usuario.rol_id, *permiso).label("permitido") if permiso else true().label("permitido")]
    row = session.execute(select(*columnas).where(Usuario.id == claims.user_id)).one_or_none()
    if row is not None and row.revocado:
        raise Unauthorized("El token fue revocado")
    if row is None or not row.Usuario.activo:
        raise Unauthorized("Usuario inactivo o inexistente")
    return row.Usuario, bool(row.permitido)


def user_from_claims(session: Session, claims: TokenClaims) -> Usuario:
    return _user_and_checks(session, claims, None)[0]


def authenticate(session: Session, token: str, permiso: tuple[str, str] | None = None) -> AuthUser:
    """Bearer access token -> the acting user; 401 on any problem, 403 when `permiso` (modulo, accion)
    is given and the user's role lacks it."""
    claims = decode_token(token, ACCESS)
    user, permitido = _user_and_checks(session, claims, permiso)
    if not permitido:
        raise Forbidden(f"Su rol no tiene permiso para {permiso[0]}:{permiso[1]}")  # type: ignore[index]
    return AuthUser(id=user.id, email=user.email, nombre=user.nombre, rol=claims.rol, rol_id=user.rol_id,
                    sucursal_id=user.sucursal_id, sucursales_permitidas=claims.sucursales_permitidas,
                    jti=claims.jti, exp=claims.exp)


def actuar_como(session: Session, usuario_id: int) -> AuthUser | None:
    """The user a background job (a scheduled report, an export) acts as: today's role and branches, no token.
    None when the user no longer exists or is inactive (they run nothing)."""
    user = session.get(Usuario, usuario_id)
    if user is None or not user.activo:
        return None
    return AuthUser(id=user.id, email=user.email, nombre=user.nombre, rol=_rol_nombre(session, user),
                    rol_id=user.rol_id, sucursal_id=user.sucursal_id, sucursales_permitidas=_sucursales(session, user),
                    jti="", exp=datetime.now(UTC))


def revoke(session: Session, jti: str, expires_at: datetime) -> None:
    if not _is_revoked(session, jti):
        session.add(TokenRevocado(jti=jti, expires_at=expires_at))
    sesion = session.execute(select(Sesion).where(Sesion.token_jti == jti)).scalar_one_or_none()
    if sesion is not None:
        sesion.activo = False
        session.add(sesion)


def refresh(session: Session, refresh_token: str, ip: str | None, ua: str | None) -> TokenPair:
    """Rotate: the used refresh token is revoked and a new pair is issued."""
    claims = decode_token(refresh_token, REFRESH)
    user = user_from_claims(session, claims)
    revoke(session, claims.jti, claims.exp)
    return issue_session(session, user, ip, ua)


def logout(session: Session, user: AuthUser, refresh_token: str | None) -> None:
    revoke(session, user.jti, user.exp)
    if refresh_token:
        claims = decode_token(refresh_token, REFRESH)
        if claims.user_id == user.id:
            revoke(session, claims.jti, claims.exp)
    session.commit()


def revoke_all_sessions(session: Session, usuario_id: int) -> int:
    """Deactivating a user kills every live token they hold."""
    live = session.execute(select(Sesion).where(
        Sesion.usuario_id == usuario_id, Sesion.activo.is_(True), Sesion.expires_at > func.now())).scalars().all()
    for sesion in live:
        revoke(session, sesion.token_jti, sesion.expires_at)
    return len(live)


def purge_expired(session: Session) -> int:
    """Housekeeping: revocations, login attempts and idempotency keys past their usefulness."""
    gone = session.execute(delete(TokenRevocado).where(TokenRevocado.expires_at < func.now())).rowcount
    session.execute(delete(IntentoLogin).where(IntentoLogin.created_at < func.now() - timedelta(hours=1)))
    idempotency.purge(session)
    session.commit()
    return gone
