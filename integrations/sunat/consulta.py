"""Client of SUNAT's consulta integrada de comprobantes de pago: an OAuth2 client-credentials token (cached until
shortly before `expires_in`), then validarcomprobante. Errors the caller retries (SUNAT down, 429, timeouts)
raise `SunatNoDisponible`; rejected credentials raise `CredencialesRechazadas` (retrying does not help)."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import httpx

from core.settings import get_settings
from integrations.sunat import oauth
from integrations.sunat.oauth import CredencialesRechazadas, SunatNoDisponible

SCOPE = "https://api.sunat.gob.pe/v1/contribuyente/contribuyentes"
__all__ = ["Consulta", "CredencialesRechazadas", "Resultado", "SunatNoDisponible", "validar"]


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


def urls() -> tuple[str, str]:
    """(security base, API base): the configured SUNAT hosts or the local sandbox."""
    s = get_settings()
    local = f"http://127.0.0.1:{s.sunat_consulta_sandbox_port}"
    return s.sunat_seguridad_url or local, s.sunat_consulta_url or local


def _token(client: httpx.Client, client_id: str, client_secret: str) -> str:
    seguridad, _ = urls()
    return oauth.token(client, f"{seguridad}/v1/clientesextranet/{client_id}/oauth2/token/", {
        "grant_type": "client_credentials", "scope": SCOPE, "client_id": client_id, "client_secret": client_secret})


def validar(ruc_consultante: str, client_id: str, client_secret: str, c: Consulta, timeout: float = 10.0) -> Resultado:
    _, api = urls()
    body = {"numRuc": c.ruc_emisor, "codComp": c.cod_comp, "numeroSerie": c.serie, "numero": str(c.numero),
            "fechaEmision": c.fecha_emision.strftime("%d/%m/%Y"), "monto": f"{c.monto:.2f}"}
    with httpx.Client(timeout=timeout) as client:
        res = oauth.autorizado(
            client, "POST", f"{api}/v1/contribuyente/contribuyentes/{ruc_consultante}/validarcomprobante",
            lambda: _token(client, client_id, client_secret), client_id, json=body)
        if res.status_code != 200 or not res.json().get("success"):
            raise SunatNoDisponible(f"SUNAT respondió {res.status_code}: {res.text[:200]}")
    data = res.json().get("data") or {}
    return Resultado(str(data.get("estadoCp", "")), data.get("estadoRuc"), data.get("condDomiRuc"),
                     list(data.get("observaciones") or []))
