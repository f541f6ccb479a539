"""Arrival times along a route: from a point and a moment, each stop in visiting order at a speed, with the
time spent at every stop before leaving for the next. One rule for the ETA recomputed from the GPS stream and
the ETA a never-optimised stop gets when it leaves the warehouse."""

from collections.abc import Iterable
from datetime import datetime, timedelta

from services.distribucion import optimizacion


def llegadas(desde: tuple[float, float], paradas: Iterable[tuple[float, float]], momento: datetime,
             velocidad_kmh: float = optimizacion.VELOCIDAD_KMH) -> list[datetime]:
    resultado, punto, t = [], desde, momento
    for parada in paradas:
        t += timedelta(seconds=optimizacion.segundos(optimizacion.haversine_m(punto, parada), velocidad_kmh))
        resultado.append(t)
        punto, t = parada, t + timedelta(seconds=optimizacion.SERVICIO_S)
    return resultado
