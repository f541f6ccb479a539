"""Passwords (bcrypt) and JWTs (PyJWT, HS256 with SECRET_KEY from the environment)."""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import bcrypt
import jwt

from core.errors import Unauthorized
from core.settings import get_settings

ACCESS, REFRESH, TWOFA = "access", "refresh", "2fa"


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=12)).decode()


def verify_password(password: str, hashed: str | None) -> bool:
    if not hashed:
        return False
    return bcrypt.checkpw(password.encode(), hashed.encode())


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    tipo: str
    jti: str
    exp: datetime
    rol: str = ""
    sucursales_permitidas: list[int] = field(default_factory=list)


def _secret() -> str:
    key = get_settings().secret_key
    if not key:
        raise RuntimeError("SECRET_KEY is not set")
    return key


def issue_token(
    user_id: int, tipo: str, lifetime: timedelta, rol: str = "", sucursales: list[int] | None = None
) -> tuple[str, TokenClaims]:
    now = datetime.now(UTC)
    claims = TokenClaims(
        user_id=user_id, tipo=tipo, jti=uuid.uuid4().hex, exp=now + lifetime,
        rol=rol, sucursales_permitidas=list(sucursales or []),
    )
    payload = {
        "user_id": user_id, "tipo": tipo, "jti": claims.jti, "iat": now, "exp": claims.exp,
        "rol": rol, "sucursales_permitidas": claims.sucursales_permitidas,
    }
    return jwt.encode(payload, _secret(), algorithm=get_settings().jwt_algorithm), claims


def decode_token(token: str, expected_tipo: str) -> TokenClaims:
    """Verify signature, expiry and token type; the revocation list is checked by the caller."""
    try:
        data = jwt.decode(token, _secret(), algorithms=[get_settings().jwt_algorithm],
                          options={"require": ["exp", "jti", "user_id", "tipo"]})
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("El token ha expirado") from exc
    except jwt.InvalidTokenError as exc:
        raise Unauthorized("Token inválido") from exc
    if data["tipo"] != expected_tipo:
        raise Unauthorized("Tipo de token no válido para esta operación")
    return TokenClaims(
        user_id=int(data["user_id"]), tipo=data["tipo"], jti=data["jti"],
        exp=datetime.fromtimestamp(data["exp"], UTC), rol=data.get("rol", ""),
        sucursales_permitidas=list(data.get("sucursales_permitidas", [])),
    )
