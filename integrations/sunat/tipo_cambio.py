"""Client of SUNAT's published exchange rate (tipo de cambio, USD), the service behind the calendar at
e-consulta.sunat.gob.pe/cl-at-ittipcam/tcS01Alias:

    POST /cl-at-ittipcam/tcS01Alias/listarTipoCambio   {"anio": 2026, "mes": 10, "token": "..."}   (mes 0-based)
    200 [{"fecPublica": "02/11/2026", "valTipo": "3.372", "codTipo": "C"},
         {"fecPublica": "02/11/2026", "valTipo": "3.380", "codTipo": "V"}, ...]

One C (compra) and one V (venta) per day SUNAT published; weekends and holidays have none (the rate of such a
day is the last one published before it). When it is unavailable SUNAT answers 5xx, or an HTML page from its
web firewall instead of JSON, or nothing in time: all are `TipoCambioNoDisponible` (retry later).
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import httpx

RUTA = "/cl-at-ittipcam/tcS01Alias/listarTipoCambio"
TOKEN = "erp"  # the calendar page's form token; the service does not tie it to a session


class TipoCambioNoDisponible(Exception):
    """SUNAT did not answer with its rates (down, blocked, slow or malformed): retry later."""


@dataclass(frozen=True)
class Publicacion:
    fecha: date
    compra: Decimal
    venta: Decimal


def _fecha(texto: str) -> date:
    return datetime.strptime(texto, "%d/%m/%Y").date()


def leer(cuerpo: object) -> list[Publicacion]:
    """SUNAT's list → one publication per day (both C and V present), in date order."""
    if not isinstance(cuerpo, list):
        raise TipoCambioNoDisponible("SUNAT no devolvió la lista de tipos de cambio")
    por_dia: dict[date, dict[str, Decimal]] = {}
    try:
        for item in cuerpo:
            valor = Decimal(item["valTipo"])
            if valor <= 0:
                raise InvalidOperation
            por_dia.setdefault(_fecha(item["fecPublica"]), {})[item["codTipo"]] = valor
    except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
        raise TipoCambioNoDisponible(f"Tipo de cambio de SUNAT ilegible: {exc!r}") from exc
    return [Publicacion(dia, tipos["C"], tipos["V"]) for dia, tipos in sorted(por_dia.items())
            if "C" in tipos and "V" in tipos]


def del_mes(base_url: str, anio: int, mes: int, timeout: float = 10.0) -> list[Publicacion]:
    """Every publication of one month (mes 1-12)."""
    try:
        respuesta = httpx.post(f"{base_url.rstrip('/')}{RUTA}", json={"anio": anio, "mes": mes - 1, "token": TOKEN},
                               headers={"Accept": "application/json", "X-Requested-With": "XMLHttpRequest"},
                               timeout=timeout)
    except httpx.HTTPError as exc:
        raise TipoCambioNoDisponible(f"SUNAT no responde: {exc!r}") from exc
    if respuesta.status_code != 200:
        raise TipoCambioNoDisponible(f"SUNAT respondió {respuesta.status_code}")
    if "json" not in respuesta.headers.get("content-type", ""):
        raise TipoCambioNoDisponible("SUNAT respondió una página en lugar del tipo de cambio (bloqueo o mantenimiento)")
    try:
        return leer(respuesta.json())
    except ValueError as exc:
        raise TipoCambioNoDisponible("SUNAT respondió un JSON inválido") from exc
