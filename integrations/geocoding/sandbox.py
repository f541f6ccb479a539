"""A local stand-in for the Google Geocoding API on loopback, speaking its JSON: `GET /maps/api/geocode/json`
with `address`, `key` (required) and `region`, answering `{"results": [...], "status": ...}` with
`address_components`, `formatted_address`, `geometry.location`/`location_type`/`viewport`, `place_id` and
`types` — or the real failures: REQUEST_DENIED (missing or wrong key, with `error_message`),
INVALID_REQUEST (no address), ZERO_RESULTS (unknown address) and, when told to, OVER_QUERY_LIMIT or
UNKNOWN_ERROR for the next N requests (`POST /_sandbox/fallar?status=OVER_QUERY_LIMIT&veces=3`).

It knows a set of Lima addresses (matched by their normalised street and number, accents and case ignored).

    python -m integrations.geocoding.sandbox --port 8730 --key erp-local
"""

import argparse
import logging
import threading
import unicodedata
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlparse

from integrations.standin import HttpStandin, run_until_signalled, send_json

log = logging.getLogger(__name__)

# (street and number as a customer writes it, district, lat, lng)
DIRECCIONES_LIMA = [
    ("Av. Javier Prado Este 4200", "Santiago de Surco", -12.0874, -76.9747),
    ("Av. Larco 345", "Miraflores", -12.1211, -77.0297),
    ("Jr. de la Unión 500", "Cercado de Lima", -12.0480, -77.0338),
    ("Av. Arequipa 2450", "Lince", -12.0860, -77.0350),
    ("Av. La Marina 2000", "San Miguel", -12.0770, -77.0860),
    ("Av. Brasil 1500", "Jesús María", -12.0740, -77.0480),
    ("Av. Angamos Este 1550", "Surquillo", -12.1110, -77.0120),
    ("Av. Túpac Amaru 3800", "Comas", -11.9440, -77.0580),
    ("Av. Próceres de la Independencia 1700", "San Juan de Lurigancho", -11.9930, -77.0060),
    ("Av. Nicolás Ayllón 2500", "Ate", -12.0570, -76.9440),
    ("Av. Salaverry 2020", "Jesús María", -12.0830, -77.0490),
    ("Av. Benavides 1800", "Miraflores", -12.1260, -77.0170),
    ("Av. Universitaria 1801", "San Martín de Porres", -12.0200, -77.0800),
    ("Av. Pachacútec 3700", "Villa María del Triunfo", -12.1580, -76.9520),
    ("Av. Grau 650", "Barranco", -12.1470, -77.0210),
    ("Av. Elmer Faucett 3400", "Callao", -12.0310, -77.1050),
    ("Calle Las Begonias 475", "San Isidro", -12.0950, -77.0290),
    ("Av. Aviación 2800", "San Borja", -12.0900, -77.0000),
    ("Av. Separadora Industrial 1200", "Ate", -12.0640, -76.9640),
    ("Av. Los Héroes 500", "San Juan de Miraflores", -12.1560, -76.9710),
]


def normalizar(texto: str) -> str:
    sin_tildes = unicodedata.normalize("NFKD", texto).encode("ascii", "ignore").decode()
    return " ".join(sin_tildes.lower().replace(",", " ").replace(".", " ").split())


def _resultado(calle: str, distrito: str, lat: float, lng: float) -> dict[str, Any]:
    numero = calle.rsplit(" ", 1)[-1]
    via = calle.rsplit(" ", 1)[0]
    d = 0.0009
    return {
        "address_components": [
            {"long_name": numero, "short_name": numero, "types": ["street_number"]},
            {"long_name": via, "short_name": via, "types": ["route"]},
            {"long_name": distrito, "short_name": distrito, "types": ["locality", "political"]},
            {"long_name": "Provincia de Lima", "short_name": "Provincia de Lima",
             "types": ["administrative_area_level_2", "political"]},
            {"long_name": "Lima", "short_name": "Lima", "types": ["administrative_area_level_1", "political"]},
            {"long_name": "Perú", "short_name": "PE", "types": ["country", "political"]},
        ],
        "formatted_address": f"{calle}, {distrito} 15000, Perú",
        "geometry": {"location": {"lat": lat, "lng": lng}, "location_type": "ROOFTOP",
                     "viewport": {"northeast": {"lat": lat + d, "lng": lng + d},
                                  "southwest": {"lat": lat - d, "lng": lng - d}}},
        "place_id": f"sandbox-{abs(hash((lat, lng))) % 10**12:012d}",
        "types": ["street_address"],
    }


class GeocodingSandbox(HttpStandin):
    def __init__(self, key: str = "erp-local", port: int = 0, host: str = "127.0.0.1"):
        self.key = key
        self.fallos: list[str] = []  # statuses to answer to the next requests, in order
        self.consultas = 0
        self._lock = threading.Lock()
        self._indice = {normalizar(calle): (calle, distrito, lat, lng)
                        for calle, distrito, lat, lng in DIRECCIONES_LIMA}
        self.serve(_handler_for(self), host, port)

    def settings_env(self) -> dict[str, str]:
        return {"GOOGLE_GEOCODING_URL": self.url, "GOOGLE_MAPS_API_KEY": self.key}

    def fallar(self, status: str, veces: int = 1) -> None:
        with self._lock:
            self.fallos.extend([status] * veces)

    def responder(self, params: dict[str, str]) -> dict[str, Any]:
        with self._lock:
            self.consultas += 1
            fallo = self.fallos.pop(0) if self.fallos else None
        if not params.get("key") or params["key"] != self.key:
            return {"error_message": "The provided API key is invalid. ", "results": [], "status": "REQUEST_DENIED"}
        if fallo == "OVER_QUERY_LIMIT":
            return {"error_message": "You have exceeded your rate-limit for this API.", "results": [],
                    "status": "OVER_QUERY_LIMIT"}
        if fallo:
            return {"error_message": "Backend error, try again.", "results": [], "status": fallo}
        direccion = params.get("address", "").strip()
        if not direccion:
            return {"error_message": "Invalid request. Missing the 'address', 'components', 'latlng' or 'place_id' "
                                     "parameter.", "results": [], "status": "INVALID_REQUEST"}
        buscada = normalizar(direccion)
        for clave, (calle, distrito, lat, lng) in self._indice.items():
            if buscada.startswith(clave) or clave in buscada:
                return {"results": [_resultado(calle, distrito, lat, lng)], "status": "OK"}
        return {"results": [], "status": "ZERO_RESULTS"}


def _handler_for(sandbox: GeocodingSandbox) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, fmt: str, *args: Any) -> None:
            log.debug(fmt, *args)

        def _json(self, status: int, body: dict[str, Any]) -> None:
            send_json(self, status, body)

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            url = urlparse(self.path)
            if url.path != "/maps/api/geocode/json":
                self._json(404, {"error": "not found"})
                return
            params = {k: v[-1] for k, v in parse_qs(url.query).items()}
            self._json(200, sandbox.responder(params))  # Google answers its statuses with HTTP 200

        def do_POST(self) -> None:  # noqa: N802
            url = urlparse(self.path)
            params = {k: v[-1] for k, v in parse_qs(url.query).items()}
            if url.path != "/_sandbox/fallar" or "status" not in params:
                self._json(404, {"error": "not found"})
                return
            sandbox.fallar(params["status"], int(params.get("veces", "1")))
            self._json(200, {"pendientes": len(sandbox.fallos)})

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8730)
    parser.add_argument("--key", default="erp-local")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    sandbox = GeocodingSandbox(args.key, args.port).start()
    log.info("geocoding sandbox on %s (key %s)", sandbox.url, args.key)
    run_until_signalled(sandbox.stop)


if __name__ == "__main__":
    main()
