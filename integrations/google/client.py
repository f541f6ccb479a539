"""Verify Google Sign-In ID tokens (OpenID Connect) against the provider's JWKS.

Checks signature (RS256, key chosen by `kid` from the JWKS at GOOGLE_JWKS_URL), issuer (GOOGLE_ISSUER),
audience (GOOGLE_CLIENT_ID), expiry and the presence of `email`. The caller decides what an
unverified e-mail or an unknown user means.
"""

from dataclasses import dataclass
from functools import lru_cache

import jwt

from core.errors import DomainError, Unauthorized
from core.settings import get_settings

GOOGLE_ISSUERS = ("https://accounts.google.com", "accounts.google.com")  # Google uses both forms
ALGORITHMS = ["RS256"]
LEEWAY_SECONDS = 30


class ProveedorNoDisponible(DomainError):
    """The identity provider's keys could not be fetched."""

    status, code = 503, "service_unavailable"


@dataclass(frozen=True)
class GoogleIdentity:
    sub: str
    email: str
    email_verified: bool
    nombre: str = ""


@lru_cache(maxsize=8)
def _jwks_client(url: str) -> jwt.PyJWKClient:
    # Keys are cached for 5 minutes; an unknown `kid` triggers one refetch (key rotation).
    return jwt.PyJWKClient(url, lifespan=300, timeout=5)


def _issuers(configured: str) -> tuple[str, ...]:
    return GOOGLE_ISSUERS if configured in GOOGLE_ISSUERS else (configured,)


def verify_id_token(id_token: str) -> GoogleIdentity:
    settings = get_settings()
    if not settings.google_jwks_url.startswith("https://") and settings.erp_env != "development":
        # Only the local stand-in is served over plain HTTP, and it signs in anyone as anyone.
        raise ProveedorNoDisponible("Inicio de sesión con Google mal configurado: GOOGLE_JWKS_URL debe ser "
                                    "HTTPS fuera de desarrollo (ERP_ENV)")
    try:
        key = _jwks_client(settings.google_jwks_url).get_signing_key_from_jwt(id_token)
    except jwt.PyJWKClientConnectionError as exc:
        raise ProveedorNoDisponible("No se pudo contactar al proveedor de identidad de Google") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized("id_token inválido: clave de firma desconocida", field="id_token") from exc
    try:
        claims = jwt.decode(
            id_token, key, algorithms=ALGORITHMS, audience=settings.google_client_id,
            issuer=_issuers(settings.google_issuer), leeway=LEEWAY_SECONDS,
            options={"require": ["iss", "aud", "exp", "iat", "sub", "email"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("id_token expirado", field="id_token") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized(f"id_token inválido: {exc}", field="id_token") from exc
    return GoogleIdentity(sub=str(claims["sub"]), email=str(claims["email"]),
                          email_verified=claims.get("email_verified") in (True, "true"),
                          nombre=str(claims.get("name", "")))
