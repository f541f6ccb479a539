"""A client of Meta's WhatsApp Cloud API (Graph API): send messages, submit and list templates, and what
Meta's error codes mean for us. The base URL and the Graph version are settings (WHATSAPP_GRAPH_URL,
WHATSAPP_API_VERSION), so the same client talks to graph.facebook.com or the local stand-in."""

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

import httpx

from core.settings import get_settings

# Branch on `error.code`, never on the text (Meta's advice: titles are deprecated, codes are stable).
AUTH = frozenset({0, 190, 104, 10, 200})  # token expired/invalid/missing, permission removed
# Throughput (130429), pair rate (131056), spam (131048), app/account call limits (4, 80007), and Meta's
# transient ones (1 unknown, 2 service, 131000 something went wrong, 131016 service unavailable).
RETRY = frozenset({130429, 131056, 131048, 4, 80007, 1, 2, 131000, 131016})
TEMPLATE = frozenset({132000, 132001, 132005, 132007, 132012, 132015, 132016, 132068, 132069})
WINDOW = 131047  # re-engagement: free text outside the customer-service window (arrives in a `failed` status)


@dataclass
class GraphError(Exception):
    """Meta's error envelope: {"error": {"message", "type", "code", "error_data": {"details"}, "fbtrace_id"}}."""

    http_status: int
    code: int
    message: str
    details: str = ""
    fbtrace_id: str = ""

    def __str__(self) -> str:
        return f"({self.code}) {self.message}" + (f": {self.details}" if self.details else "")

    @property
    def reintentable(self) -> bool:
        return self.code in RETRY or self.http_status >= 500

    @property
    def de_autenticacion(self) -> bool:
        return self.code in AUTH or self.http_status == 401


def _error(response: httpx.Response) -> GraphError:
    try:
        err = response.json().get("error") or {}
    except ValueError:
        err = {}
    return GraphError(response.status_code, int(err.get("code", -1)), str(err.get("message", response.text[:200])),
                      str((err.get("error_data") or {}).get("details", "")), str(err.get("fbtrace_id", "")))


def _url(*parts: str) -> str:
    settings = get_settings()
    return "/".join([settings.whatsapp_graph_url.rstrip("/"), settings.whatsapp_api_version, *parts])


def _post(path: list[str], token: str, body: dict[str, Any]) -> dict[str, Any]:
    """Network failures propagate as httpx errors (retried by the activity); Graph errors as GraphError."""
    response = httpx.post(_url(*path), json=body, headers={"Authorization": f"Bearer {token}"},
                          timeout=get_settings().whatsapp_timeout_s)
    if response.status_code != 200:
        raise _error(response)
    return response.json()


def cuerpo_texto(to: str, texto: str, preview_url: bool = False) -> dict[str, Any]:
    return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, "type": "text",
            "text": {"body": texto, "preview_url": preview_url}}


def cuerpo_plantilla(to: str, nombre: str, idioma: str, parametros: list[str],
                     encabezado: dict[str, Any] | None = None) -> dict[str, Any]:
    """A template message; the parameters fill the BODY's {{1}}..{{n}} in order, and `encabezado` is a media
    HEADER's parameter ({"type": "document", "document": {"link", "filename"}}, image or video alike)."""
    template: dict[str, Any] = {"name": nombre, "language": {"code": idioma}}
    componentes: list[dict[str, Any]] = []
    if encabezado:
        componentes.append({"type": "header", "parameters": [encabezado]})
    if parametros:
        componentes.append({"type": "body", "parameters": [{"type": "text", "text": p} for p in parametros]})
    if componentes:
        template["components"] = componentes
    return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, "type": "template",
            "template": template}


def enviar(phone_number_id: str, token: str, cuerpo: dict[str, Any]) -> str:
    """POST /{version}/{phone_number_id}/messages; returns the wamid Meta accepted (not delivered yet)."""
    return _post([phone_number_id, "messages"], token, cuerpo)["messages"][0]["id"]


def crear_plantilla(waba_id: str, token: str, nombre: str, idioma: str, categoria: str,
                    componentes: list[dict[str, Any]]) -> dict[str, Any]:
    """POST /{version}/{waba_id}/message_templates → {"id", "status", "category"}."""
    return _post([waba_id, "message_templates"], token,
                 {"name": nombre, "language": idioma, "category": categoria, "components": componentes})


def firma(app_secret: str, cuerpo: bytes) -> str:
    """The X-Hub-Signature-256 header Meta sends: sha256= + HMAC-SHA256(app secret, raw body), hex."""
    return "sha256=" + hmac.new(app_secret.encode(), cuerpo, hashlib.sha256).hexdigest()


def firma_valida(app_secret: str, cuerpo: bytes, cabecera: str | None) -> bool:
    return bool(cabecera) and hmac.compare_digest(firma(app_secret, cuerpo), cabecera or "")
