"""A local stand-in for SUNAT's "consulta integrada de comprobantes de pago" web service, on loopback.

It speaks the protocol SUNAT publishes (Manual de consulta integrada de comprobantes de pago por servicio web):
  POST /v1/clientesextranet/{client_id}/oauth2/token/   form: grant_type=client_credentials, scope, client_id,
       client_secret → {"access_token", "token_type": "JWT", "expires_in": 3600}; wrong credentials → 401
  POST /v1/contribuyente/contribuyentes/{ruc}/validarcomprobante   Bearer token, JSON numRuc, codComp,
       numeroSerie, numero, fechaEmision (dd/mm/yyyy), monto → {"success": true, "data": {"estadoCp",
       "estadoRuc", "condDomiRuc", "observaciones"}}; a missing or expired token → 401
estadoCp: 0 no existe, 1 aceptado, 2 anulado, 3 autorizado, 4 no autorizado; estadoRuc 00 activo;
condDomiRuc 00 habido, 12 no habido. It can fail like SUNAT: `modo("caido")` answers 503, `modo("limite")`
429 with Retry-After. Comprobantes and taxpayers are registered by tests (or `POST /_sandbox/comprobantes`).

    python -m integrations.sunat.consulta_sandbox --port 8721
"""

import argparse
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs

from integrations.standin import HttpStandin, run_until_signalled, send_json
from integrations.sunat.consulta import SCOPE


class ConsultaSandbox(HttpStandin):
    def __init__(self, port: int = 0, host: str = "127.0.0.1", client_id: str = "sandbox-client",
                 client_secret: str = "sandbox-secret", expires_in: int = 3600):
        self.client_id, self.client_secret, self.expires_in = client_id, client_secret, expires_in
        self.lock = threading.Lock()
        self.tokens: dict[str, float] = {}
        self.comprobantes: dict[tuple[str, str, str, int], dict[str, Any]] = {}
        self.contribuyentes: dict[str, tuple[str, str]] = {}
        self.estado = "normal"
        self.tokens_emitidos = 0
        self.consultas = 0
        self.serve(_handler_for(self), host, port)

    def modo(self, estado: str) -> None:
        """normal | caido (503) | limite (429)."""
        self.estado = estado

    def reset(self) -> None:
        with self.lock:
            self.tokens.clear()
            self.comprobantes.clear()
            self.contribuyentes.clear()
            self.estado, self.tokens_emitidos, self.consultas = "normal", 0, 0

    def registrar(self, ruc: str, cod_comp: str, serie: str, numero: int, fecha: str, monto: str,
                  estado_cp: str = "1") -> None:
        """A comprobante as SUNAT knows it (fecha dd/mm/yyyy)."""
        with self.lock:
            self.comprobantes[(ruc, cod_comp, serie.upper(), int(numero))] = {
                "fecha": fecha, "monto": monto, "estadoCp": estado_cp}

    def contribuyente(self, ruc: str, estado_ruc: str = "00", cond_domi_ruc: str = "00") -> None:
        with self.lock:
            self.contribuyentes[ruc] = (estado_ruc, cond_domi_ruc)

    def token(self, form: dict[str, str], client_id: str) -> tuple[int, dict[str, Any]]:
        if form.get("grant_type") != "client_credentials" or form.get("scope") != SCOPE:
            return 400, {"error": "invalid_request", "error_description": "grant_type o scope inválidos"}
        if client_id != self.client_id or form.get("client_id") != self.client_id \
                or form.get("client_secret") != self.client_secret:
            return 401, {"error": "invalid_client", "error_description": "cliente no autorizado"}
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[token] = time.monotonic() + self.expires_in
            self.tokens_emitidos += 1
        return 200, {"access_token": token, "token_type": "JWT", "expires_in": self.expires_in}

    def validar(self, bearer: str | None, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self.lock:
            vence = self.tokens.get(bearer or "")
        if vence is None or vence < time.monotonic():
            return 401, {"msg": "Token inválido o expirado"}
        faltan = [k for k in ("numRuc", "codComp", "numeroSerie", "numero", "fechaEmision", "monto") if not body.get(k)]
        if faltan:
            return 400, {"success": False, "message": f"Faltan campos: {', '.join(faltan)}", "errorCode": "100"}
        with self.lock:
            self.consultas += 1
            comprobante = self.comprobantes.get((body["numRuc"], body["codComp"], str(body["numeroSerie"]).upper(),
                                                 int(body["numero"])))
            estado_ruc, domicilio = self.contribuyentes.get(body["numRuc"], ("00", "00"))
        observaciones: list[str] = []
        if comprobante is None:
            return 200, {"success": True, "message": "Operation Success! ", "data": {
                "estadoCp": "0", "observaciones": ["- El comprobante de pago consultado no existe"]}}
        if comprobante["fecha"] != body["fechaEmision"]:
            observaciones.append("- La fecha de emisión no coincide con la informada a SUNAT")
        if f"{float(comprobante['monto']):.2f}" != f"{float(body['monto']):.2f}":
            observaciones.append("- El importe total no coincide con el informado a SUNAT")
        estado_cp = comprobante["estadoCp"] if not observaciones else "0"
        return 200, {"success": True, "message": "Operation Success! ", "data": {
            "estadoCp": estado_cp, "estadoRuc": estado_ruc, "condDomiRuc": domicilio, "observaciones": observaciones}}


def _handler_for(sandbox: ConsultaSandbox) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server naming
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            partes = self.path.rstrip("/").split("/")
            if sandbox.estado == "caido":
                return self._json(503, {"msg": "Servicio no disponible"})
            if sandbox.estado == "limite":
                return self._json(429, {"msg": "Too Many Requests"}, {"Retry-After": "1"})
            if self.path.startswith("/v1/clientesextranet/") and partes[-2:] == ["oauth2", "token"]:
                form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                return self._json(*sandbox.token(form, partes[3]))
            if self.path.startswith("/v1/contribuyente/contribuyentes/") and partes[-1] == "validarcomprobante":
                auth = self.headers.get("Authorization", "")
                bearer = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    return self._json(400, {"success": False, "message": "JSON inválido"})
                return self._json(*sandbox.validar(bearer, body))
            if self.path == "/_sandbox/comprobantes":
                b = json.loads(raw)
                sandbox.registrar(b["numRuc"], b["codComp"], b["numeroSerie"], int(b["numero"]), b["fechaEmision"],
                                  b["monto"], b.get("estadoCp", "1"))
                return self._json(201, {"ok": True})
            return self._json(404, {"msg": "not found"})

        def _json(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            send_json(self, status, body, headers)

        def log_message(self, *_args: Any) -> None:
            pass

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description="Local SUNAT consulta integrada (OAuth2 + validarcomprobante)")
    parser.add_argument("--port", type=int, default=8721)
    parser.add_argument("--client-id", default="sandbox-client")
    parser.add_argument("--client-secret", default="sandbox-secret")
    args = parser.parse_args()
    sandbox = ConsultaSandbox(args.port, client_id=args.client_id, client_secret=args.client_secret).start()
    print(f"SUNAT consulta integrada sandbox at {sandbox.url} (client_id={args.client_id})", flush=True)
    run_until_signalled(sandbox.stop)


if __name__ == "__main__":
    main()
