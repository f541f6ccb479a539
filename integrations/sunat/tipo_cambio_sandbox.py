"""A local stand-in for SUNAT's exchange-rate service (see integrations.sunat.tipo_cambio for the protocol),
on loopback, for `erp up` and the tests.

    python -m integrations.sunat.tipo_cambio_sandbox --port 8720

It publishes a deterministic rate for every business day (Monday to Friday, not a Peruvian national holiday)
and nothing on the other days, as SUNAT does. It can be told to fail the ways SUNAT fails:
`falla = "caido"` (503), `"bloqueado"` (200 with its web firewall's HTML page), `"lento"` (answers after the
client's timeout), also over HTTP: `POST /_sandbox/falla {"falla": "caido"}` (null to recover).
`publicar(fecha, compra, venta)` / `retirar(fecha)` set or remove one day's publication.
Also serves the plain-text file SUNAT publishes the day's rate in: `GET /a/txt/tipoCambio.txt` →
`dd/mm/yyyy|compra|venta|`.
"""

import argparse
import json
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from zoneinfo import ZoneInfo

from integrations.standin import HttpStandin, run_until_signalled
from integrations.sunat.tipo_cambio import RUTA

FALLAS = (None, "caido", "bloqueado", "lento")
PAGINA_BLOQUEO = (b"<html><head><title>Request Rejected</title></head>"
                  b"<body>The requested URL was rejected.</body></html>")
FERIADOS_FIJOS = {(1, 1), (5, 1), (6, 7), (6, 29), (7, 23), (7, 28), (7, 29), (8, 6), (8, 30), (10, 8), (11, 1),
                  (12, 8), (12, 9), (12, 25)}


def pascua(anio: int) -> date:
    """Easter Sunday (Gregorian computus, Meeus/Jones/Butcher)."""
    a, b, c = anio % 19, anio // 100, anio % 100
    d, e = b // 4, b % 4
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    lun = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 19 * lun) // 433
    mes = (h + lun - 7 * m + 90) // 25
    return date(anio, mes, (h + lun - 7 * m + 33 * mes + 19) % 32)


def es_habil(dia: date) -> bool:
    """A day SUNAT publishes a rate: Monday to Friday, not a national holiday (nor Holy Thursday/Friday)."""
    santos = {pascua(dia.year) - timedelta(days=n) for n in (2, 3)}
    return dia.weekday() < 5 and (dia.month, dia.day) not in FERIADOS_FIJOS and dia not in santos


def tasa_del_dia(dia: date) -> tuple[Decimal, Decimal]:
    """A deterministic rate around 3.70: the same day always has the same rate."""
    compra = Decimal("3.650") + Decimal((dia.toordinal() * 37) % 120) / 1000
    return compra, compra + Decimal("0.008")


class _Servidor(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (the `lento` failure) is expected: no traceback."""


class TipoCambioSandbox(HttpStandin):
    def __init__(self, port: int = 0, host: str = "127.0.0.1", demora_lento: float = 15.0):
        self.falla: str | None = None
        self.demora_lento = demora_lento
        self.consultas = 0
        self._fijadas: dict[date, tuple[Decimal, Decimal] | None] = {}
        self.serve(_handler_for(self), host, port, _Servidor)

    def publicar(self, dia: date, compra: str, venta: str) -> None:
        self._fijadas[dia] = (Decimal(compra), Decimal(venta))

    def retirar(self, dia: date) -> None:
        self._fijadas[dia] = None

    def publicacion(self, dia: date) -> tuple[Decimal, Decimal] | None:
        if dia in self._fijadas:
            return self._fijadas[dia]
        return tasa_del_dia(dia) if es_habil(dia) else None

    def del_mes(self, anio: int, mes: int) -> list[dict[str, str]]:
        """SUNAT's answer for a month (mes 1-12) up to today (Lima): C and V of each day published."""
        hoy = datetime.now(ZoneInfo("America/Lima")).date()
        dia, items = date(anio, mes, 1), []
        while dia.month == mes and dia <= hoy:
            if (tasa := self.publicacion(dia)) is not None:
                fecha = dia.strftime("%d/%m/%Y")
                items += [{"fecPublica": fecha, "valTipo": f"{tasa[0]:.3f}", "codTipo": "C"},
                          {"fecPublica": fecha, "valTipo": f"{tasa[1]:.3f}", "codTipo": "V"}]
            dia += timedelta(days=1)
        return items

    def ultima(self) -> tuple[date, tuple[Decimal, Decimal]]:
        dia = datetime.now(ZoneInfo("America/Lima")).date()
        while (tasa := self.publicacion(dia)) is None:
            dia -= timedelta(days=1)
        return dia, tasa


def _handler_for(sandbox: TipoCambioSandbox) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server naming
            cuerpo = self._cuerpo()
            if self.path == "/_sandbox/falla":
                if not isinstance(cuerpo, dict) or cuerpo.get("falla") not in FALLAS:
                    return self._enviar(400, b'{"error": "falla: null | caido | bloqueado | lento"}')
                sandbox.falla = cuerpo["falla"]
                return self._enviar(200, json.dumps({"falla": sandbox.falla}).encode())
            if self.path != RUTA:
                return self._enviar(404, b"<html><body>404</body></html>", "text/html")
            sandbox.consultas += 1
            if self._fallando():
                return None
            try:
                anio, mes, token = cuerpo["anio"], cuerpo["mes"], cuerpo["token"]
                if not (isinstance(anio, int) and isinstance(mes, int) and 0 <= mes <= 11 and token):
                    raise ValueError
            except (KeyError, TypeError, ValueError):
                return self._enviar(400, b"<html><body>Solicitud incorrecta</body></html>", "text/html")
            return self._enviar(200, json.dumps(sandbox.del_mes(anio, mes + 1)).encode())

        def do_GET(self) -> None:  # noqa: N802
            if self.path != "/a/txt/tipoCambio.txt":
                return self._enviar(404, b"<html><body>404</body></html>", "text/html")
            if self._fallando():
                return None
            dia, (compra, venta) = sandbox.ultima()
            return self._enviar(200, f"{dia:%d/%m/%Y}|{compra:.3f}|{venta:.3f}|\n".encode(), "text/plain")

        def _fallando(self) -> bool:
            if sandbox.falla == "caido":
                self._enviar(503, b"<html><body>Service Unavailable</body></html>", "text/html")
            elif sandbox.falla == "bloqueado":
                self._enviar(200, PAGINA_BLOQUEO, "text/html")
            elif sandbox.falla == "lento":
                time.sleep(sandbox.demora_lento)
                self._enviar(504, b"<html><body>Gateway Timeout</body></html>", "text/html")
            return sandbox.falla is not None

        def _cuerpo(self) -> Any:
            largo = int(self.headers.get("Content-Length") or 0)
            try:
                return json.loads(self.rfile.read(largo) or b"null")
            except ValueError:
                return None

        def _enviar(self, estado: int, datos: bytes, tipo: str = "application/json;charset=UTF-8") -> None:
            self.send_response(estado)
            self.send_header("Content-Type", tipo)
            self.send_header("Content-Length", str(len(datos)))
            self.end_headers()
            self.wfile.write(datos)

        def log_message(self, *_args: Any) -> None:  # keep test output quiet
            pass

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description="Local stand-in for SUNAT's exchange-rate service")
    parser.add_argument("--port", type=int, default=8720)
    sandbox = TipoCambioSandbox(parser.parse_args().port).start()
    print(f"SUNAT_TIPO_CAMBIO_URL={sandbox.url}", flush=True)
    run_until_signalled(sandbox.stop)


if __name__ == "__main__":
    main()
