"""Client of the Google Geocoding API (`GET /maps/api/geocode/json?address=…&key=…&region=pe`).

Statuses map onto what the caller should do: OK gives a position; ZERO_RESULTS and INVALID_REQUEST are the
address's fault and are not retried (`DireccionNoEncontrada`); OVER_QUERY_LIMIT, UNKNOWN_ERROR, REQUEST_DENIED
(a key an operator can fix) and transport errors are retried later (`GeocodificacionNoDisponible`).
"""

from dataclasses import dataclass

import httpx

from core.settings import get_settings

REINTENTABLES = {"OVER_QUERY_LIMIT", "UNKNOWN_ERROR", "REQUEST_DENIED", "OVER_DAILY_LIMIT"}
# Retried too, but no waiting fixes them: the key was refused or its billing/daily quota is exhausted.
DE_LA_CUENTA = {"REQUEST_DENIED", "OVER_DAILY_LIMIT"}


class DireccionNoEncontrada(Exception):
    """ZERO_RESULTS / INVALID_REQUEST: retrying the same address cannot help."""

    def __init__(self, status: str, mensaje: str = ""):
        super().__init__(f"{status}: {mensaje}".rstrip(": "))
        self.status = status


class GeocodificacionNoDisponible(Exception):
    """Quota, outage or credentials: the same request may succeed later. `status`: Google's, or "" for
    transport and HTTP failures."""

    def __init__(self, mensaje: str, status: str = ""):
        super().__init__(mensaje)
        self.status = status


@dataclass(frozen=True)
class Posicion:
    latitud: float
    longitud: float
    direccion: str
    tipo: str  # geometry.location_type: ROOFTOP, RANGE_INTERPOLATED, GEOMETRIC_CENTER, APPROXIMATE


def geocodificar(direccion: str, timeout: float = 10.0) -> Posicion:
    settings = get_settings()
    params = {"address": direccion, "key": settings.google_maps_api_key, "region": "pe", "language": "es"}
    try:
        res = httpx.get(f"{settings.google_geocoding_url.rstrip('/')}/maps/api/geocode/json", params=params,
                        timeout=timeout)
    except httpx.HTTPError as exc:
        raise GeocodificacionNoDisponible(f"geocoder unreachable: {exc}") from exc
    if res.status_code >= 500 or res.status_code == 429:
        raise GeocodificacionNoDisponible(f"HTTP {res.status_code}")
    try:
        cuerpo = res.json()
    except ValueError as exc:
        raise GeocodificacionNoDisponible(f"HTTP {res.status_code}: not JSON") from exc
    status, mensaje = cuerpo.get("status", ""), cuerpo.get("error_message", "")
    if status == "OK" and cuerpo.get("results"):
        primero = cuerpo["results"][0]
        loc = primero["geometry"]["location"]
        return Posicion(float(loc["lat"]), float(loc["lng"]), primero.get("formatted_address", ""),
                        primero["geometry"].get("location_type", ""))
    if status in REINTENTABLES:
        raise GeocodificacionNoDisponible(f"{status}: {mensaje}", status)
    raise DireccionNoEncontrada(status or f"HTTP {res.status_code}", mensaje)
