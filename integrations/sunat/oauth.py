"""The OAuth2 token of SUNAT's REST APIs (api-seguridad.sunat.gob.pe), shared by the consulta integrada
(client_credentials) and the GRE API (password grant with the SOL user): cached per (host, client, user) until
shortly before `expires_in`. SUNAT down, 429 or a timeout raise `SunatNoDisponible` (the caller retries); 400/401
on the token raise `CredencialesRechazadas` (retrying does not help until the credentials are corrected)."""

import threading
import time
from collections.abc import Callable

import httpx

MARGEN_S = 60  # renew the token this long before it expires


class SunatNoDisponible(Exception):
    pass


class CredencialesRechazadas(Exception):
    pass


_tokens: dict[tuple[str, ...], tuple[str, float]] = {}
_lock = threading.Lock()


def post(client: httpx.Client, url: str, **kw: object) -> httpx.Response:
    return _pedir(client, "POST", url, **kw)


def get(client: httpx.Client, url: str, **kw: object) -> httpx.Response:
    return _pedir(client, "GET", url, **kw)


def _pedir(client: httpx.Client, metodo: str, url: str, **kw: object) -> httpx.Response:
    try:
        res = client.request(metodo, url, **kw)
    except httpx.HTTPError as exc:
        raise SunatNoDisponible(f"SUNAT no responde: {exc}") from exc
    if res.status_code == 429 or res.status_code >= 500:
        raise SunatNoDisponible(f"SUNAT respondió {res.status_code}")
    return res


def token(client: httpx.Client, url: str, form: dict[str, str]) -> str:
    """A cached bearer token for `form` posted to the token `url`."""
    clave = (url, form.get("client_id", ""), form.get("username", ""))
    with _lock:
        guardado = _tokens.get(clave)
    if guardado and guardado[1] > time.monotonic():
        return guardado[0]
    res = post(client, url, data=form)
    if res.status_code in (400, 401):
        try:
            detalle = res.json().get("error_description") or res.json().get("error") or ""
        except ValueError:
            detalle = res.text[:200]
        raise CredencialesRechazadas(f"SUNAT rechazó las credenciales ({res.status_code}): {detalle}".rstrip(": "))
    body = res.json()
    vence = time.monotonic() + max(0, int(body.get("expires_in", 0)) - MARGEN_S)
    with _lock:
        _tokens[clave] = (body["access_token"], vence)
    return body["access_token"]


def autorizado(client: httpx.Client, metodo: str, url: str, obtener: Callable[[], str], client_id: str,
               **kw: object) -> httpx.Response:
    """`metodo url` with the bearer token; a token revoked before its expiry (401) is renewed once."""
    def pedir() -> httpx.Response:
        return _pedir(client, metodo, url, headers={"Authorization": f"Bearer {obtener()}"}, **kw)

    res = pedir()
    if res.status_code == 401:
        olvidar_token(client_id)
        res = pedir()
        if res.status_code == 401:
            raise CredencialesRechazadas("SUNAT rechazó el token")
    return res


def olvidar_token(client_id: str) -> None:
    with _lock:
        for clave in [k for k in _tokens if k[1] == client_id]:
            del _tokens[clave]
