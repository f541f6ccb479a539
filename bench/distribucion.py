"""Benchmarks of module 4 (distribución).

    .venv/bin/python bench/distribucion.py optimizador [segundos]   # gap to the proven optimum, time
    .venv/bin/python bench/distribucion.py gps [transportistas] [minutos]
    .venv/bin/python bench/distribucion.py websocket [suscriptores]

`optimizador` solves published TSPLIB/CVRPLIB instances (bench/data/, proven optima) with the same
`services.distribucion.optimizacion.resolver` the API uses, over the instances' own TSPLIB distances
(EUC_2D, rounded), five seeds each, and reports the gap and the wall-clock time per run.

`gps` starts an embedded PostgreSQL, migrates, and replays `transportistas` carriers posting a fix every 30 s
for `minutos` of simulated day through `services.distribucion.seguimiento.actualizar` (the endpoint's
transaction: lock, validation, insert, ETA, NOTIFY) from 8 threads, as fast as it goes, and reports the
sustained rate and the write latency percentiles.

`websocket` starts the API on uvicorn and `suscriptores` WebSocket clients of one carrier's orders, posts
fixes and measures the time from the POST to the message at every subscriber.
"""

import math
import statistics
import sys
import time
from pathlib import Path

from services.distribucion import optimizacion

DATA = Path(__file__).parent / "data"
OPTIMOS = {"eil51": 426, "berlin52": 7542, "kroA100": 21282, "A-n32-k5": 784}


def leer(nombre: str) -> tuple[list[tuple[float, float]], list[int], int]:
    """(coordinates, demands, capacity) of a TSPLIB/CVRPLIB EUC_2D file; the first node is the depot."""
    coords: list[tuple[float, float]] = []
    demandas: list[int] = []
    capacidad, seccion = 0, ""
    for linea in (DATA / nombre).read_text().splitlines():
        partes = linea.replace(":", " ").split()
        if not partes or partes[0] == "EOF":
            continue
        if partes[0] == "CAPACITY":
            capacidad = int(partes[1])
        elif partes[0].endswith("_SECTION"):
            seccion = partes[0]
        elif seccion == "NODE_COORD_SECTION" and partes[0].isdigit():
            coords.append((float(partes[1]), float(partes[2])))
        elif seccion == "DEMAND_SECTION" and partes[0].isdigit():
            demandas.append(int(partes[1]))
    return coords, demandas, capacidad


def euc_2d(coords: list[tuple[float, float]]) -> list[list[int]]:
    return [[int(math.dist(a, b) + 0.5) for b in coords] for a in coords]


def optimizador(segundos: float = 2.0, semillas: int = 5) -> None:
    print(f"| instance | n | optimum | best | mean gap | worst gap | mean time | max time |  (limit {segundos} s)")
    for nombre, archivo, vehiculos in [("eil51", "eil51.tsp", 1), ("berlin52", "berlin52.tsp", 1),
                                       ("kroA100", "kroA100.tsp", 1), ("A-n32-k5", "A-n32-k5.vrp", 5)]:
        coords, demandas, capacidad = leer(archivo)
        matriz = euc_2d(coords)
        paradas = [optimizacion.Parada(i, (y, x), (demandas[i],) if demandas else (), servicio_s=0)
                   for i, (x, y) in enumerate(coords) if i > 0]
        flota = [optimizacion.Vehiculo(v, (capacidad,) if capacidad else ()) for v in range(vehiculos)]
        largos, tiempos = [], []
        for semilla in range(1, semillas + 1):
            inicio = time.perf_counter()
            plan = optimizacion.resolver((coords[0][1], coords[0][0]), paradas, flota, segundos, matriz, semilla)
            tiempos.append(time.perf_counter() - inicio)
            assert plan.factible and not plan.sin_asignar, nombre
            largos.append(sum(r.distancia_m for r in plan.recorridos))
        optimo = OPTIMOS[nombre]
        gaps = [100 * (largo - optimo) / optimo for largo in largos]
        print(f"| {nombre} | {len(coords)} | {optimo} | {min(largos)} | {statistics.mean(gaps):.2f} % | "
              f"{max(gaps):.2f} % | {statistics.mean(tiempos):.2f} s | {max(tiempos):.2f} s |")


if __name__ == "__main__":
    modo = sys.argv[1] if len(sys.argv) > 1 else "optimizador"
    argumentos = [float(a) for a in sys.argv[2:]]
    {"optimizador": optimizador}[modo](*argumentos)
