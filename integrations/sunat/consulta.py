"""Client of SUNAT's consulta integrada de comprobantes de pago: an OAuth2 client-credentials token (cached until
shortly before `expires_in`), then validarcomprobante. Errors the caller retries (SUNAT down, 429, timeouts)
raise `SunatNoDisponible`; rejected credentials raise `CredencialesRechazadas` (retrying does not help)."""

import threading
import time
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import httpx

from core.settings import get_settings

SCOPE = "https://api.sunat.gob.pe/v1/contribuyente/contribuyentes"
MARGEN_S = 60  # renew the token this long before it expires


class SunatNoDisponible(Exception):
    pass


class CredencialesRechazadas(Exception):
    pass


@dataclass(frozen=True)
class Consulta:
    ruc_emisor: str
    cod_comp: str
    serie: str
    numero: int
    fecha_emision: date
    monto: Decimal


@dataclass(frozen=True)
class Resultado:
    estado_cp: str
    estado_ruc: str | None
    cond_domi_ruc: str | None
    observaciones: list[str] = field(default_factory=list)


_tokens: dict[tuple[str, str], tuple[str, float]] = {}
_lock = threading.Lock()


def urls() -> tuple[str, str]:
    """(security base, API base): the configured SUNAT hosts or the local sandbox."""
    s = get_settings()
    local = f"http://127.0.0.1:{s.sunat_consulta_sandbox_port}"
    return s.sunat_seguridad_url or local, s.sunat_consulta_url or local


def _token(client: httpx.Client, client_id: str, client_secret: str) -> str:
    seguridad, _ = urls()
    clave = (seguridad, client_id)
    with _lock:
        guardado = _tokens.get(clave)
    if guardado and guardado[1] > time.monotonic():
        return guardado[0]
    res = _post(client, f"{seguridad}/v1/clientesextranet/{client_id}/oauth2/token/", data={
        "grant_type": "client_credentials", "scope": SCOPE, "client_id": client_id, "client_secret": client_secret})
    if res.status_code in (400, 401):
        raise CredencialesRechazadas(f"SUNAT rechazó las credenciales ({res.status_code})")
    body = res.json()
    vence = time.monotonic() + max(0, int(body.get("expires_in", 0)) - MARGEN_S)
    with _lock:
        _tokens[clave] = (body["access_token"], vence)
    return body["access_token"]


def _post(client: httpx.Client, url: str, **kw: object) -> httpx.Response:
    try:
        res = client.post(url, **kw)
    except httpx.HTTPError as exc:
        raise SunatNoDisponible(f"SUNAT no responde: {exc}") from exc
    if res.status_code == 429 or res.status_code >= 500:
        raise SunatNoDisponible(f"SUNAT respondió {res.status_code}")
    return res


def olvidar_token(client_id: str) -> None:
    with _lock:
        for clave in [k for k in _tokens if k[1] == client_id]:
            del _tokens[clave]


def validar(ruc_consultante: str, client_id: str, client_secret: str, c: Consulta, timeout: float = 10.0) -> Resultado:
    _, api = urls()
    body = {"numRuc": c.ruc_emisor, "codComp": c.cod_comp, "numeroSerie": c.serie, "numero": str(c.numero),
            "fechaEmision": c.fecha_emision.strftime("%d/%m/%Y"), "monto": f"{c.monto:.2f}"}
    with httpx.Client(timeout=timeout) as client:
        for intento in range(2):  # a token revoked early: renew once
            token = _token(client, client_id, client_secret)
            res = _post(client, f"{api}/v1/contribuyente/contribuyentes/{ruc_consultante}/validarcomprobante",
                        json=body, headers={"Authorization": f"Bearer {token}"})
            if res.status_code != 401:
                break
            olvidar_token(client_id)
            if intento:
                raise CredencialesRechazadas("SUNAT rechazó el token")
        if res.status_code != 200 or not res.json().get("success"):
            raise SunatNoDisponible(f"SUNAT respondió {res.status_code}: {res.text[:200]}")
    data = res.json().get("data") or {}
    return Resultado(str(data.get("estadoCp", "")), data.get("estadoRuc"), data.get("condDomiRuc"),
                     list(data.get("observaciones") or []))
