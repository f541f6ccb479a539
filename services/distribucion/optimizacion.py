"""Route optimisation: the visiting order of one route (a TSP with time windows) and the plan of a whole day
(a capacitated VRP with time windows over weight, volume and the carrier's order limit), solved by PyVRP
(MIT licence; hybrid genetic search with local search, in C++) with a wall-clock limit.

Distances are great-circle (haversine) metres, not road distances: a documented approximation (Lima's
streets add ~30 % on average, which does not change which order is shortest by much). Travel times assume an
average urban speed (`VELOCIDAD_KMH`) plus a service time per stop. Pure functions: no database.
"""

import math
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from pyvrp import Client, Depot, Location, ProblemData, Result, VehicleType, solve
from pyvrp.stop import MaxRuntime, MultipleCriteria, NoImprovement

RADIO_TIERRA_M = 6_371_000
VELOCIDAD_KMH = 22.0  # average van speed in Lima traffic
SERVICIO_S = 300  # time at each stop (unload, sign)
SIN_LIMITE = 10**12
SIN_MEJORA = 1_500  # iterations without improvement that end one search; the next one starts from a new seed
BUSQUEDAS = 2  # independent searches run side by side, the best one wins (this machine has two cores)
MARGEN_S = 0.02  # a restart with less time left than this is not worth starting
PREMIO = 100_000  # of serving an optional stop: worth any detour within a city (100 km), not a capacity excess


def haversine_m(a: tuple[float, float], b: tuple[float, float]) -> int:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return round(2 * RADIO_TIERRA_M * math.asin(math.sqrt(h)))


def segundos(metros: int, velocidad_kmh: float = VELOCIDAD_KMH) -> int:
    return round(metros / (velocidad_kmh / 3.6))


@dataclass(frozen=True)
class Parada:
    clave: int  # the caller's id (pedido id)
    punto: tuple[float, float]  # (lat, lon)
    carga: tuple[int, ...] = ()  # one value per capacity dimension (grams, cm³, 1 order)
    ventana: tuple[int, int] | None = None  # seconds after the route's start
    servicio_s: int = SERVICIO_S


@dataclass(frozen=True)
class Vehiculo:
    clave: int  # transportista id
    capacidad: tuple[int, ...] = ()


@dataclass
class Recorrido:
    vehiculo: int
    paradas: list[int]  # the stops' `clave`, in visiting order
    llegadas_s: list[int]  # arrival (service start) at each stop, seconds after the start
    distancia_m: int


@dataclass
class Plan:
    recorridos: list[Recorrido] = field(default_factory=list)
    sin_asignar: list[int] = field(default_factory=list)
    factible: bool = True


def matriz_haversine(puntos: Sequence[tuple[float, float]]) -> np.ndarray:
    """All pairwise great-circle distances in metres (vectorised: 100 stops in well under a millisecond)."""
    lat, lon = np.radians(np.asarray(puntos, dtype=float)).T
    dlat, dlon = lat[:, None] - lat[None, :], lon[:, None] - lon[None, :]
    h = np.sin(dlat / 2) ** 2 + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.sin(dlon / 2) ** 2
    return np.rint(2 * RADIO_TIERRA_M * np.arcsin(np.sqrt(np.clip(h, 0, 1)))).astype(np.int64)


def resolver(origen: tuple[float, float], paradas: Sequence[Parada], vehiculos: Sequence[Vehiculo],
             segundos_max: float = 1.0, matriz: Sequence[Sequence[int]] | None = None, semilla: int = 1,
             opcionales: bool = False, duraciones: Sequence[Sequence[int]] | None = None) -> Plan:
    """Routes from `origen` and back covering `paradas` with `vehiculos` (one each) under their capacities.
    `matriz` (metres, depot first) replaces the haversine distances (benchmarks use TSPLIB's own), and
    `duraciones` (seconds) the travel times derived from the distances at `VELOCIDAD_KMH`. With
    `opcionales`, stops that fit no vehicle are left out (`sin_asignar`) instead of overloading one.
    The matrices go to the solver as arrays (no per-edge Python calls). See `_buscar` for the time limit."""
    if not paradas:
        return Plan()
    puntos = [origen, *(p.punto for p in paradas)]
    dims = max([len(v.capacidad) for v in vehiculos] + [len(p.carga) for p in paradas])
    distancias = np.asarray(matriz, dtype=np.int64) if matriz is not None else matriz_haversine(puntos)
    tiempos = (np.asarray(duraciones, dtype=np.int64) if duraciones is not None
               else np.rint(distancias / (VELOCIDAD_KMH / 3.6)).astype(np.int64))
    clientes = []
    for i, p in enumerate(paradas, 1):
        # A stop without a window keeps PyVRP's default (unbounded) one: an explicit huge window makes every
        # move evaluate time warp, five times fewer iterations on kroA100.
        ventana = {"tw_early": p.ventana[0], "tw_late": p.ventana[1]} if p.ventana else {}
        clientes.append(Client(i, delivery=list(p.carga) + [0] * (dims - len(p.carga)), service_duration=p.servicio_s,
                               **ventana, required=not opcionales,
                               prize=PREMIO if opcionales else 0))
    # Carriers of equal capacity are one vehicle type: a type per carrier makes the solver weigh swapping
    # identical vehicles (RC208's 25 vehicles: ~1 % worse at the same time limit).
    flotas: dict[tuple[int, ...], list[int]] = {}
    for v in vehiculos:
        flotas.setdefault(tuple(v.capacidad) + (SIN_LIMITE,) * (dims - len(v.capacidad)), []).append(v.clave)
    tipos = [VehicleType(len(claves), capacity=list(capacidad)) for capacidad, claves in flotas.items()]
    datos = ProblemData([Location(x=lon, y=lat) for lat, lon in puntos], clientes, [Depot(0)], tipos,
                        [distancias], [tiempos])
    with ThreadPoolExecutor(BUSQUEDAS) as hilos:  # the solver releases the GIL: one search per core
        resultados = list(hilos.map(lambda k: _buscar(datos, segundos_max, semilla + k), range(BUSQUEDAS)))
    resultado = min(resultados, key=_clave)
    plan = Plan(factible=resultado.is_feasible())
    visitadas: set[int] = set()
    libres = [list(claves) for claves in flotas.values()]  # each route takes the next carrier of its type
    for ruta in resultado.best.routes():
        en_ruta = [a for a in ruta.schedule() if a.is_client()]
        claves = [paradas[a.idx].clave for a in en_ruta]  # a client activity's idx is its client index
        visitadas.update(claves)
        plan.recorridos.append(Recorrido(libres[ruta.vehicle_type()].pop(0), claves,
                                         [a.start_time for a in en_ruta], ruta.distance()))
    plan.sin_asignar = [p.clave for p in paradas if p.clave not in visitadas]
    if opcionales and not plan.factible:
        _descargar(plan, {p.clave: p for p in paradas}, {v.clave: v for v in vehiculos})
    return plan


def _buscar(datos: ProblemData, segundos_max: float, semilla: int) -> Result:
    """Searches from successive seeds until `segundos_max` is spent and keeps the best result (feasible
    first, then cheapest). A search that finds nothing better in `SIN_MEJORA` iterations is stuck in a local
    optimum: restarting elsewhere beats waiting (kroA100 at 1.8 s: one long search ends 1.3–2.7 % above the
    optimum on four seeds of ten; restarts reach it on all ten)."""
    fin = time.monotonic() + segundos_max
    mejor: Result | None = None
    while mejor is None or time.monotonic() < fin - MARGEN_S:
        parada = MultipleCriteria([MaxRuntime(max(fin - time.monotonic(), MARGEN_S)), NoImprovement(SIN_MEJORA)])
        resultado = solve(datos, stop=parada, seed=semilla, collect_stats=False, display=False)
        if mejor is None or _clave(resultado) < _clave(mejor):
            mejor = resultado
        semilla += 1_000
    return mejor


def _clave(resultado: Result) -> tuple[bool, float]:
    return not resultado.is_feasible(), resultado.cost()


def _descargar(plan: Plan, paradas: dict[int, Parada], vehiculos: dict[int, Vehiculo]) -> None:
    """The search ended on an overloaded plan: take the heaviest stops (in the exceeded dimension) off each
    overloaded route until it fits. Their routes are re-optimised by the caller."""
    for r in plan.recorridos:
        capacidad = vehiculos[r.vehiculo].capacidad
        for d, limite in enumerate(capacidad):
            while sum(paradas[c].carga[d] for c in r.paradas) > limite:
                i = max(range(len(r.paradas)), key=lambda k: paradas[r.paradas[k]].carga[d])
                plan.sin_asignar.append(r.paradas.pop(i))
                r.llegadas_s.pop(i)
    plan.recorridos = [r for r in plan.recorridos if r.paradas]
    plan.factible = True


def longitud_tour(orden: Sequence[int], matriz: Sequence[Sequence[int]]) -> int:
    """Length of depot (0) → orden → depot under `matriz`."""
    camino = [0, *orden, 0]
    return sum(matriz[a][b] for a, b in zip(camino, camino[1:], strict=False))
