"""A local stand-in for Meta's WhatsApp Cloud API on loopback: the Graph endpoints the ERP calls, and the
webhooks Meta sends back, signed with the app secret, to the ERP's endpoint.

    python -m integrations.whatsapp.sandbox --port 8722 --webhook-url http://127.0.0.1:8000/api/whatsapp/webhook/

What it does the way Meta does it:
- `POST /{version}/{phone_number_id}/messages` with `Authorization: Bearer <token>`: a wrong token is 401 code
  190; a body that is not a Cloud API message is 400 code 100; a template that does not exist or is not
  APPROVED is 132001, a PAUSED one 132015, a DISABLED one 132016, a parameter count that does not match the
  BODY's variables 132000, a media HEADER (IMAGE/VIDEO/DOCUMENT) without its parameter 132012; more than
  `throughput` messages in one second from a number is 130429. A 200
  answers `{"messaging_product", "contacts": [{"input", "wa_id"}], "messages": [{"id": "wamid..."}]}` and
  only then do status webhooks follow (`sent`, `delivered`, `read`; `failed` with 131047 for free text
  outside the 24 h window, 131026 for a number that is not on WhatsApp).
- `POST/GET /{version}/{waba_id}/message_templates`: templates start PENDING; `decidir(...)` (or
  `POST /_sandbox/templates/{id}/decision`) sends `message_template_status_update`.
- `entrante(...)` (or `POST /_sandbox/inbound`) sends an inbound `messages[]` webhook.
- Webhooks are POSTed with `X-Hub-Signature-256: sha256=<HMAC-SHA256(app secret, body)>` and retried
  while the endpoint fails, as Meta does.
"""

import argparse
import itertools
import json
import logging
import queue
import re
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlparse

import httpx

from integrations.standin import run_until_signalled, send_json
from integrations.whatsapp.client import firma

log = logging.getLogger(__name__)
NOMBRE_PLANTILLA = re.compile(r"^[a-z0-9_]{1,512}$")
VARIABLE = re.compile(r"\{\{(\d+)\}\}")
ESTADOS_OK = ("sent", "delivered", "read")
MEDIA = ("IMAGE", "VIDEO", "DOCUMENT")


@dataclass
class Cuenta:
    phone_number_id: str
    waba_id: str
    token: str
    app_secret: str
    display_phone: str = "51999000111"


@dataclass
class Plantilla:
    id: str
    waba_id: str
    name: str
    language: str
    category: str
    components: list[dict[str, Any]]
    status: str = "PENDING"
    rejected_reason: str = "NONE"

    def formato_encabezado(self) -> str | None:
        header = next((c for c in self.components if str(c.get("type", "")).upper() == "HEADER"), None)
        return str(header.get("format", "TEXT")).upper() if header else None

    def variables(self) -> int:
        body = next((c for c in self.components if c.get("type", "").upper() == "BODY"), {})
        return len(set(VARIABLE.findall(body.get("text", ""))))

    def json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "language": self.language, "category": self.category,
                "status": self.status, "components": self.components, "rejected_reason": self.rejected_reason}


class GraphFailure(Exception):
    def __init__(self, http_status: int, code: int, message: str, details: str, kind: str = "OAuthException"):
        super().__init__(message)
        self.http_status, self.code, self.details, self.kind = http_status, code, details, kind

    def body(self) -> dict[str, Any]:
        return {"error": {"message": f"(#{self.code}) {self.args[0]}", "type": self.kind, "code": self.code,
                          "error_data": {"messaging_product": "whatsapp", "details": self.details},
                          "fbtrace_id": secrets.token_urlsafe(16)}}


@dataclass
class Enviado:
    wamid: str
    phone_number_id: str
    to: str
    body: dict[str, Any]
    at: float


@dataclass
class MetaSandbox:
    """Start/stop in a background thread. Tests call its methods; `erp up` drives it over /_sandbox/."""

    port: int = 0
    webhook_url: str = ""
    throughput: int = 80  # messages per second per phone number (Meta's default Cloud API throughput)
    auto_status: tuple[str, ...] = ESTADOS_OK  # statuses sent after a 200
    not_on_whatsapp: set[str] = field(default_factory=set)
    host: str = "127.0.0.1"
    cuentas: dict[str, Cuenta] = field(default_factory=dict)
    plantillas: dict[str, Plantilla] = field(default_factory=dict)
    enviados: list[Enviado] = field(default_factory=list)
    entrantes: dict[str, float] = field(default_factory=dict)  # wa_id -> last inbound (opens the window)
    fallos: deque = field(default_factory=deque)  # forced failures for the next sends: (http, code, message)
    webhooks: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # (HTTP status answered, body)
    intentos: int = 0  # every POST .../messages, refused ones included
    # Without a webhook URL the signed bodies are kept here for the caller to deliver (`retenidos_pop`).
    retenidos: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._ventana: dict[str, deque] = {}
        self._cola: queue.Queue = queue.Queue()
        self._server = ThreadingHTTPServer((self.host, self.port), _handler_for(self))
        self._threads = [threading.Thread(target=self._server.serve_forever, daemon=True),
                         threading.Thread(target=self._entregar, daemon=True)]

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "MetaSandbox":
        for t in self._threads:
            t.start()
        return self

    def stop(self) -> None:
        self._cola.put(None)
        self._server.shutdown()
        self._server.server_close()

    # --- set-up and triggers (tests, /_sandbox/) ------------------------------------------------------

    def registrar(self, cuenta: Cuenta) -> Cuenta:
        self.cuentas[cuenta.phone_number_id] = cuenta
        return cuenta

    def fallar(self, code: int, veces: int = 1, http_status: int = 400, message: str = "Forced failure") -> None:
        """The next `veces` sends answer this Graph error."""
        for _ in range(veces):
            self.fallos.append((http_status, code, message))

    def decidir(self, template_id: str, event: str, reason: str = "NONE") -> None:
        """Meta's review decision: APPROVED, REJECTED (with reason), PAUSED, DISABLED..."""
        p = self.plantillas[template_id]
        p.status, p.rejected_reason = event, reason
        value = {"event": event, "message_template_id": int(p.id), "message_template_name": p.name,
                 "message_template_language": p.language, "reason": reason, "message_template_category": p.category}
        self._webhook(p.waba_id, "message_template_status_update", value)

    def entrante(self, phone_number_id: str, wa_id: str, texto: str, nombre: str = "Cliente") -> str:
        """A customer writes to the business (opens the 24 h customer-service window)."""
        cuenta = self.cuentas[phone_number_id]
        wamid = self._wamid()
        self.entrantes[wa_id] = time.time()
        value = {"messaging_product": "whatsapp", "metadata": self._metadata(cuenta),
                 "contacts": [{"profile": {"name": nombre}, "wa_id": wa_id}],
                 "messages": [{"from": wa_id, "id": wamid, "timestamp": str(int(time.time())), "type": "text",
                               "text": {"body": texto}}]}
        self._webhook(cuenta.waba_id, "messages", value)
        return wamid

    def estado(self, wamid: str, status: str, code: int | None = None, ts: int | None = None) -> None:
        """Send one status webhook for a message (out of order, twice, whatever a test needs)."""
        enviado = next(e for e in self.enviados if e.wamid == wamid)
        self._status(enviado, status, code, ts)

    def enviados_a(self, to: str) -> list[Enviado]:
        return [e for e in self.enviados if e.to == to]

    # --- Graph API ----------------------------------------------------------------------------------------

    def send(self, phone_number_id: str, token: str | None, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self.intentos += 1
        cuenta = self._autenticar(phone_number_id, token)
        if self.fallos:
            http_status, code, message = self.fallos.popleft()
            raise GraphFailure(http_status, code, message, message)
        to = self._validar_mensaje(body)
        plantilla = self._validar_plantilla(cuenta, body) if body["type"] == "template" else None
        self._limitar(phone_number_id)
        wamid = self._wamid()
        enviado = Enviado(wamid, phone_number_id, to, body, time.time())
        with self._lock:
            self.enviados.append(enviado)
        self._seguir(enviado, plantilla)
        return {"messaging_product": "whatsapp", "contacts": [{"input": body["to"], "wa_id": to}],
                "messages": [{"id": wamid, **({"message_status": "accepted"} if plantilla else {})}]}

    def crear_plantilla(self, waba_id: str, token: str | None, body: dict[str, Any]) -> dict[str, Any]:
        if not any(c.waba_id == waba_id and c.token == token for c in self.cuentas.values()):
            raise GraphFailure(401, 190, "Invalid OAuth access token - Cannot parse access token", "")
        name, language, category = body.get("name", ""), body.get("language", ""), body.get("category", "")
        if not NOMBRE_PLANTILLA.match(str(name)):
            raise GraphFailure(400, 100, "Invalid parameter", "name: only lowercase letters, digits and underscores")
        if category not in ("MARKETING", "UTILITY", "AUTHENTICATION"):
            raise GraphFailure(400, 100, "Invalid parameter", "category: MARKETING, UTILITY or AUTHENTICATION")
        components = body.get("components")
        if not isinstance(components, list) or not any(str(c.get("type", "")).upper() == "BODY" for c in components):
            raise GraphFailure(400, 100, "Invalid parameter", "components: a BODY component is required")
        for c in components:
            if str(c.get("type", "")).upper() == "HEADER" and str(c.get("format", "TEXT")).upper() in MEDIA \
                    and not ((c.get("example") or {}).get("header_handle") or [None])[0]:
                raise GraphFailure(400, 100, "Invalid parameter",
                                       f"components: a {c['format']} header needs example.header_handle")
        if any(p.waba_id == waba_id and p.name == name and p.language == language for p in self.plantillas.values()):
            raise GraphFailure(400, 100, "Invalid parameter",
                               f"Content in this language already exists for template {name}")
        plantilla = Plantilla(str(10**15 + next(self._ids)), waba_id, name, language, category, components)
        self.plantillas[plantilla.id] = plantilla
        return {"id": plantilla.id, "status": "PENDING", "category": category}

    def listar_plantillas(self, waba_id: str, token: str | None) -> dict[str, Any]:
        if not any(c.waba_id == waba_id and c.token == token for c in self.cuentas.values()):
            raise GraphFailure(401, 190, "Invalid OAuth access token - Cannot parse access token", "")
        data = [p.json() for p in self.plantillas.values() if p.waba_id == waba_id]
        return {"data": data, "paging": {"cursors": {"before": "", "after": ""}}}

    def _autenticar(self, phone_number_id: str, token: str | None) -> Cuenta:
        cuenta = self.cuentas.get(phone_number_id)
        if cuenta is None:
            raise GraphFailure(400, 100, "Unsupported post request",
                               f"Object with ID '{phone_number_id}' does not exist", "GraphMethodException")
        if token != cuenta.token:
            raise GraphFailure(401, 190, "Invalid OAuth access token - Cannot parse access token", "")
        return cuenta

    @staticmethod
    def _validar_mensaje(body: dict[str, Any]) -> str:
        if body.get("messaging_product") != "whatsapp":
            raise GraphFailure(400, 100, "Invalid parameter", "messaging_product: must be whatsapp")
        to = re.sub(r"\D", "", str(body.get("to", "")))
        if not 8 <= len(to) <= 15:
            raise GraphFailure(400, 100, "Invalid parameter", "to: not a valid phone number")
        kind = body.get("type")
        if kind == "text":
            text = body.get("text") or {}
            if not isinstance(text.get("body"), str) or not text["body"] or len(text["body"]) > 4096:
                raise GraphFailure(400, 100, "Invalid parameter", "text.body: 1 to 4096 characters")
        elif kind != "template":
            raise GraphFailure(400, 100, "Invalid parameter", f"type: {kind!r} is not supported here")
        return to

    def _validar_plantilla(self, cuenta: Cuenta, body: dict[str, Any]) -> Plantilla:
        t = body.get("template") or {}
        name, code = t.get("name"), (t.get("language") or {}).get("code")
        plantilla = next((p for p in self.plantillas.values()
                          if p.waba_id == cuenta.waba_id and p.name == name and p.language == code), None)
        if plantilla is None or plantilla.status in ("PENDING", "REJECTED", "IN_APPEAL"):
            raise GraphFailure(404, 132001, "Template name does not exist in the translation",
                               f"template name ({name}) does not exist in {code}")
        if plantilla.status == "PAUSED":
            raise GraphFailure(400, 132015, "Template is Paused", f"Template {name} is paused due to low quality")
        if plantilla.status == "DISABLED":
            raise GraphFailure(400, 132016, "Template is disabled", f"Template {name} has been disabled")
        self._validar_encabezado(plantilla, t)
        body_params = [p for c in t.get("components") or [] if str(c.get("type", "")).lower() == "body"
                       for p in c.get("parameters") or []]
        if len(body_params) != plantilla.variables():
            raise GraphFailure(400, 132000, "Number of parameters does not match the expected number of params",
                               f"body: number of localizable_params ({len(body_params)}) does not match the "
                               f"expected number of params ({plantilla.variables()})")
        return plantilla

    @staticmethod
    def _validar_encabezado(plantilla: Plantilla, t: dict[str, Any]) -> None:
        """A media HEADER needs its parameter on every send: {"type": "document", "document": {"link": ...}}."""
        params = [p for c in t.get("components") or [] if str(c.get("type", "")).lower() == "header"
                  for p in c.get("parameters") or []]
        formato = plantilla.formato_encabezado()
        if formato in MEDIA:
            tipo = formato.lower()
            p = params[0] if len(params) == 1 else {}
            if p.get("type") != tipo or not str((p.get(tipo) or {}).get("link") or (p.get(tipo) or {}).get("id")
                                                or "").strip():
                raise GraphFailure(400, 132012, "Parameter format does not match format in the created template",
                                   f"header: format mismatch, expected {formato}, received "
                                   f"{p.get('type', 'no parameter')!s}")
        elif params and formato != "TEXT":
            raise GraphFailure(400, 132000, "Number of parameters does not match the expected number of params",
                               f"header: number of localizable_params ({len(params)}) does not match the expected "
                               f"number of params (0)")

    def _limitar(self, phone_number_id: str) -> None:
        with self._lock:
            ventana = self._ventana.setdefault(phone_number_id, deque())
            now = time.monotonic()
            while ventana and now - ventana[0] >= 1.0:
                ventana.popleft()
            if len(ventana) >= self.throughput:
                raise GraphFailure(400, 130429, "Rate limit hit", "Cloud API message throughput has been reached")
            ventana.append(now)

    def _seguir(self, enviado: Enviado, plantilla: Plantilla | None) -> None:
        """What Meta does after accepting: the statuses, or a late failure."""
        if enviado.to in self.not_on_whatsapp:
            self._status(enviado, "failed", 131026)
        elif plantilla is None and time.time() - self.entrantes.get(enviado.to, 0) > 24 * 3600:
            self._status(enviado, "failed", 131047)
        else:
            for status in self.auto_status:
                self._status(enviado, status)

    # --- webhooks -----------------------------------------------------------------------------------------

    def _status(self, enviado: Enviado, status: str, code: int | None = None, ts: int | None = None) -> None:
        cuenta = self.cuentas[enviado.phone_number_id]
        item: dict[str, Any] = {"id": enviado.wamid, "status": status, "timestamp": str(ts or int(time.time())),
                                "recipient_id": enviado.to}
        if "biz_opaque_callback_data" in enviado.body:  # echoed as Meta does
            item["biz_opaque_callback_data"] = enviado.body["biz_opaque_callback_data"]
        if status in ("sent", "delivered"):
            item["pricing"] = {"billable": True, "pricing_model": "PMP", "category": "marketing"}
        if code is not None:
            titles = {131047: "Re-engagement message", 131026: "Message undeliverable"}
            title = titles.get(code, "Failure")
            item["errors"] = [{"code": code, "title": title, "message": title,
                               "error_data": {"details": title}}]
        value = {"messaging_product": "whatsapp", "metadata": self._metadata(cuenta), "statuses": [item]}
        self._webhook(cuenta.waba_id, "messages", value)

    @staticmethod
    def _metadata(cuenta: Cuenta) -> dict[str, str]:
        return {"display_phone_number": cuenta.display_phone, "phone_number_id": cuenta.phone_number_id}

    def _webhook(self, waba_id: str, campo: str, value: dict[str, Any]) -> None:
        body = {"object": "whatsapp_business_account",
                "entry": [{"id": waba_id, "time": int(time.time()), "changes": [{"value": value, "field": campo}]}]}
        if self.webhook_url:
            self._cola.put((waba_id, body))
        else:
            raw = json.dumps(body).encode()
            with self._lock:
                self.retenidos.append((raw, self._cabeceras(waba_id, raw)))

    def retenidos_pop(self) -> list[tuple[bytes, dict[str, str]]]:
        with self._lock:
            retenidos, self.retenidos = self.retenidos, []
        return retenidos

    def _cabeceras(self, waba_id: str, raw: bytes) -> dict[str, str]:
        secret = next((c.app_secret for c in self.cuentas.values() if c.waba_id == waba_id), "")
        return {"Content-Type": "application/json", "X-Hub-Signature-256": firma(secret, raw)}

    def _entregar(self) -> None:
        """One delivery at a time, in order; a failed delivery is retried with backoff (as Meta does)."""
        with httpx.Client(timeout=10) as http:
            while (item := self._cola.get()) is not None:
                waba_id, body = item
                raw = json.dumps(body).encode()
                for intento in range(6):
                    try:
                        r = http.post(self.webhook_url, content=raw, headers=self._cabeceras(waba_id, raw))
                        self.webhooks.append((r.status_code, body))
                        if r.status_code == 200:
                            break
                    except httpx.HTTPError as exc:
                        log.warning("webhook delivery failed: %s", exc)
                    time.sleep(min(0.2 * 2**intento, 5))

    def _wamid(self) -> str:
        return "wamid.HBgL" + secrets.token_hex(16).upper()


def _handler_for(sandbox: MetaSandbox) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _token(self) -> str | None:
            auth = self.headers.get("Authorization", "")
            return auth[7:] if auth.startswith("Bearer ") else None

        def _body(self) -> dict[str, Any]:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                raise GraphFailure(400, 100, "Invalid parameter", "the body is not JSON") from None
            if not isinstance(body, dict):
                raise GraphFailure(400, 100, "Invalid parameter", "the body must be an object")
            return body

        def _route(self, method: str) -> None:
            parts = [p for p in urlparse(self.path).path.split("/") if p]
            try:
                if parts[:1] == ["_sandbox"]:
                    self._json(self._control(method, parts[1:]))
                elif len(parts) == 3 and re.fullmatch(r"v\d+\.\d+", parts[0]):
                    _, obj, edge = parts
                    if method == "POST" and edge == "messages":
                        self._json(sandbox.send(obj, self._token(), self._body()))
                    elif method == "POST" and edge == "message_templates":
                        self._json(sandbox.crear_plantilla(obj, self._token(), self._body()))
                    elif method == "GET" and edge == "message_templates":
                        self._json(sandbox.listar_plantillas(obj, self._token()))
                    else:
                        raise GraphFailure(400, 100, "Unknown path components", f"/{edge}", "OAuthException")
                else:
                    raise GraphFailure(400, 2500, "Unknown path components", self.path, "OAuthException")
            except GraphFailure as exc:
                self._json(exc.body(), exc.http_status)

        def _control(self, method: str, parts: list[str]) -> dict[str, Any]:
            body = self._body() if method == "POST" else {}
            if parts == ["accounts"] and method == "POST":
                return vars(sandbox.registrar(Cuenta(**body)))
            if len(parts) == 3 and parts[0] == "templates" and parts[2] == "decision":
                sandbox.decidir(parts[1], body["event"], body.get("reason", "NONE"))
                return {"ok": True}
            if parts == ["inbound"]:
                return {"id": sandbox.entrante(body["phone_number_id"], body["from"], body["text"])}
            if parts == ["messages"]:
                return {"data": [vars(e) for e in sandbox.enviados]}
            raise GraphFailure(404, 100, "Unknown sandbox control", "/".join(parts))

        def do_GET(self) -> None:  # noqa: N802 - http.server naming
            self._route("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._route("POST")

        def _json(self, body: dict[str, Any], status: int = 200) -> None:
            send_json(self, status, body)

        def log_message(self, *_args: Any) -> None:
            pass

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description="Local WhatsApp Cloud API (Meta Graph) stand-in")
    parser.add_argument("--port", type=int, default=8722)
    parser.add_argument("--webhook-url", default="http://127.0.0.1:8000/api/whatsapp/webhook/")
    parser.add_argument("--phone-number-id", default="100000000000001")
    parser.add_argument("--waba-id", default="200000000000001")
    parser.add_argument("--token", default="sandbox-token")
    parser.add_argument("--app-secret", default="sandbox-app-secret")
    args = parser.parse_args()
    sandbox = MetaSandbox(args.port, args.webhook_url).start()
    sandbox.registrar(Cuenta(args.phone_number_id, args.waba_id, args.token, args.app_secret))
    print(f"WhatsApp Cloud API stand-in on {sandbox.url}: phone_number_id={args.phone_number_id} "
          f"waba={args.waba_id} token={args.token} app_secret={args.app_secret}; webhooks to {args.webhook_url}",
          flush=True)
    run_until_signalled(sandbox.stop)


if __name__ == "__main__":
    main()
