"""Expiring download links: `<path>?expira=<unix seconds>&firma=<hex HMAC-SHA256 over "path?expira=...">`.

The signature is the credential (a link works from an e-mail or a browser without a token), so it covers the
exact path and the expiry: changing either is a 403; a genuine link past its expiry is a 410."""

import hashlib
import hmac
import time

from core.errors import Forbidden, Gone
from core.settings import get_settings


def _clave() -> bytes:
    settings = get_settings()
    if settings.exportacion_url_clave:
        return settings.exportacion_url_clave.encode()
    if not settings.secret_key:
        raise RuntimeError("SECRET_KEY (or EXPORTACION_URL_CLAVE) is required to sign download links")
    # A key of its own: a link signature can never be replayed as (or reveal anything about) a JWT signature.
    return hmac.new(settings.secret_key.encode(), b"erp/exportaciones/enlaces", hashlib.sha256).digest()


def _firma(path: str, expira: int) -> str:
    return hmac.new(_clave(), f"{path}?expira={expira}".encode(), hashlib.sha256).hexdigest()


def firmar(path: str, ahora: float | None = None) -> tuple[str, int]:
    """(signed URL, expiry in unix seconds) for `path`, valid for EXPORTACION_URL_MINUTOS."""
    expira = int((ahora or time.time()) + get_settings().exportacion_url_minutos * 60)
    return f"{path}?expira={expira}&firma={_firma(path, expira)}", expira


def verificar(path: str, expira: int, firma: str, ahora: float | None = None) -> None:
    """403 for a signature that does not match the path and expiry; 410 for a genuine one that expired."""
    if not hmac.compare_digest(_firma(path, expira), firma.lower()):
        raise Forbidden("Firma del enlace inválida", field="firma")
    if (ahora or time.time()) >= expira:
        raise Gone("El enlace de descarga venció; consulte la exportación para obtener uno nuevo", field="expira")
