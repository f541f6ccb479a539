"""Expiring public links: `<path>?expira=<unix seconds>&firma=<hex HMAC-SHA256>`, the one mechanism behind every
link that works without a login (an export's download, a comprobante's PDF sent to a customer on WhatsApp).

The signature is the credential, so it covers the link's purpose, its exact path (which names the resource) and
its expiry: changing any of them — or taking a link for one resource or purpose to another — is a 403; a genuine
link past its expiry is a 410. Each caller says how long its links live."""

import hashlib
import hmac
import time
from datetime import timedelta

from core.errors import Forbidden, Gone
from core.settings import get_settings


def _clave() -> bytes:
    settings = get_settings()
    if settings.exportacion_url_clave:  # the links' own key when set (the name predates the comprobante links)
        return settings.exportacion_url_clave.encode()
    if not settings.secret_key:
        raise RuntimeError("SECRET_KEY (or EXPORTACION_URL_CLAVE) is required to sign public links")
    # A key of its own: a link signature can never be replayed as (or reveal anything about) a JWT signature.
    return hmac.new(settings.secret_key.encode(), b"erp/exportaciones/enlaces", hashlib.sha256).digest()


def _firma(proposito: str, path: str, expira: int) -> str:
    return hmac.new(_clave(), f"{proposito}\n{path}?expira={expira}".encode(), hashlib.sha256).hexdigest()


def firmar(proposito: str, path: str, vigencia: timedelta, ahora: float | None = None) -> tuple[str, int]:
    """(signed path with its query, expiry in unix seconds): `path` for `proposito`, valid `vigencia`."""
    expira = int((time.time() if ahora is None else ahora) + vigencia.total_seconds())
    return f"{path}?expira={expira}&firma={_firma(proposito, path, expira)}", expira


def verificar(proposito: str, path: str, expira: int | None, firma: str | None, ahora: float | None = None) -> None:
    """403 for a missing signature or one that does not match the purpose, path and expiry; 410 for a genuine
    one that expired."""
    if expira is None or not firma or not hmac.compare_digest(_firma(proposito, path, expira), firma.lower()):
        raise Forbidden("Firma del enlace inválida", field="firma")
    if (time.time() if ahora is None else ahora) >= expira:
        raise Gone("El enlace venció; pida uno nuevo", field="expira")
