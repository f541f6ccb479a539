"""Client of SUNAT's GRE REST API (guía de remisión electrónica, since RS 000123-2022/SUNAT).

1. Token: `POST {seguridad}/v1/clientessol/{client_id}/oauth2/token/` form grant_type=password,
   scope=https://api-cpe.sunat.gob.pe, client_id, client_secret, username=RUC+SOL user, password=SOL key →
   {"access_token", "token_type", "expires_in"} (cached, `integrations.sunat.oauth`).
2. Send: `POST {api}/v1/contribuyente/gem/comprobantes/{RUC}-09-{serie}-{numero}` with
   {"archivo": {"nomArchivo": "<name>.zip", "arcGreZip": base64 zip, "hashZip": sha256 hex of the zip}} →
   {"numTicket", "fecRecepcion"}; a file SUNAT refuses outright → 4xx {"cod", "msg", "errors": [...]}.
3. Poll: `GET {api}/v1/contribuyente/gem/comprobantes/envios/{numTicket}` → {"codRespuesta": "0" accepted
   (arcCdr: base64 CDR zip, indCdrGenerado "1") | "98" in process | "99" error ({"error": {"numError",
   "desError"}}, with a CDR when indCdrGenerado is "1")}.
SUNAT down, 429 and timeouts raise `SunatNoDisponible` (retry); bad credentials `CredencialesRechazadas`.

A lost answer: when the POST reached SUNAT but its answer did not come back (timeout, reset, a gateway's
504), the retry's ticket answers 99 / 1033 ("registrado previamente"), without a CDR. That is not a
rejection: the first send is registered, accepted or rejected. The API offers no query by document number
(only the ticket), SUNAT's consulta integrada de comprobantes does not cover tipo 09 and billConsultService's
getStatusCdr only 01/07/08, so the caller keeps every ticket it gets and, without one, has the guía's CDR read
in SOL (services.distribucion.gre: POR_VERIFICAR).
"""

import base64
import hashlib
from dataclasses import dataclass

import httpx

from core.settings import get_settings
from integrations.sunat import oauth
from integrations.sunat.oauth import CredencialesRechazadas, SunatNoDisponible
from integrations.sunat.see_client import empaquetar

SCOPE = "https://api-cpe.sunat.gob.pe"
SEGURIDAD_SUNAT, API_SUNAT = "https://api-seguridad.sunat.gob.pe", "https://api-cpe.sunat.gob.pe"
ACEPTADO, EN_PROCESO, ERROR = "0", "98", "99"
__all__ = ["CredencialesRechazadas", "SunatNoDisponible", "consultar", "enviar"]


@dataclass(frozen=True)
class Credenciales:
    ruc: str
    usuario_sol: str
    clave_sol: str
    client_id: str
    client_secret: str


@dataclass(frozen=True)
class EstadoEnvio:
    codigo: str  # codRespuesta: 0 | 98 | 99
    cdr: bytes | None = None
    error_codigo: str = ""
    error_mensaje: str = ""


class EnvioRechazado(Exception):
    """SUNAT refused the file itself (name, hash, zip): no ticket, the GRE must be corrected."""

    def __init__(self, codigo: str, mensaje: str):
        super().__init__(f"{codigo}: {mensaje}")
        self.codigo, self.mensaje = codigo, mensaje


def urls() -> tuple[str, str]:
    """(security base, API base): the configured hosts; else the local SUNAT sandbox (SUNAT_ENV=sandbox) or
    SUNAT's own hosts."""
    s = get_settings()
    local = f"http://127.0.0.1:{s.sunat_sandbox_port}"
    seguridad, api = (local, local) if s.sunat_env == "sandbox" else (SEGURIDAD_SUNAT, API_SUNAT)
    return s.sunat_gre_seguridad_url or seguridad, s.sunat_gre_api_url or api


def _token(client: httpx.Client, c: Credenciales) -> str:
    seguridad, _ = urls()
    return oauth.token(client, f"{seguridad}/v1/clientessol/{c.client_id}/oauth2/token/", {
        "grant_type": "password", "scope": SCOPE, "client_id": c.client_id, "client_secret": c.client_secret,
        "username": f"{c.ruc}{c.usuario_sol}", "password": c.clave_sol})


def _llamar(c: Credenciales, metodo: str, ruta: str, timeout: float, **kw: object) -> httpx.Response:
    _, api = urls()
    with httpx.Client(timeout=timeout) as client:
        return oauth.autorizado(client, metodo, f"{api}{ruta}", lambda: _token(client, c), c.client_id, **kw)


def _json(res: httpx.Response) -> dict:
    try:
        cuerpo = res.json()
    except ValueError as exc:
        raise SunatNoDisponible(f"SUNAT respondió {res.status_code} sin JSON: {res.text[:200]}") from exc
    return cuerpo if isinstance(cuerpo, dict) else {}


def enviar(c: Credenciales, nombre: str, xml_firmado: bytes, timeout: float = 20.0) -> str:
    """Send the signed GRE (`nombre` = RUC-09-SERIE-NUMERO); returns SUNAT's numTicket."""
    nombre_zip, contenido = empaquetar(nombre, xml_firmado)
    archivo = {"nomArchivo": nombre_zip, "arcGreZip": base64.b64encode(contenido).decode("ascii"),
               "hashZip": hashlib.sha256(contenido).hexdigest()}
    res = _llamar(c, "POST", f"/v1/contribuyente/gem/comprobantes/{nombre}", timeout, json={"archivo": archivo})
    cuerpo = _json(res)
    if res.status_code != 200 or not cuerpo.get("numTicket"):
        errores = cuerpo.get("errors") or [cuerpo]
        primero = errores[0] if isinstance(errores[0], dict) else {}
        raise EnvioRechazado(str(primero.get("cod", res.status_code)), str(primero.get("msg", res.text[:200])))
    return str(cuerpo["numTicket"])


def consultar(c: Credenciales, ticket: str, timeout: float = 20.0) -> EstadoEnvio:
    res = _llamar(c, "GET", f"/v1/contribuyente/gem/comprobantes/envios/{ticket}", timeout)
    cuerpo = _json(res)
    if res.status_code != 200 or str(cuerpo.get("codRespuesta", "")) not in (ACEPTADO, EN_PROCESO, ERROR):
        raise SunatNoDisponible(f"SUNAT respondió {res.status_code} a la consulta del ticket: {res.text[:200]}")
    codigo = str(cuerpo["codRespuesta"])
    cdr = base64.b64decode(cuerpo["arcCdr"]) if cuerpo.get("arcCdr") else None
    error = cuerpo.get("error") or {}
    return EstadoEnvio(codigo, cdr, str(error.get("numError", "")), str(error.get("desError", "")))
