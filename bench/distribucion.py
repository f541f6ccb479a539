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

import asyncio
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from core.embedded import EmbeddedPostgres, free_port
from services.distribucion import optimizacion

DATA = Path(__file__).parent / "data"
OPTIMOS = {"eil51": 426, "berlin52": 7542, "kroA100": 21282, "A-n32-k5": 784}


@dataclass
class Instancia:
    coords: list[tuple[float, float]]  # the first node is the depot
    demandas: list[int] = field(default_factory=list)
    capacidad: int = 0
    ventanas: list[tuple[int, int]] = field(default_factory=list)
    servicio: int = 0


def leer(nombre: str) -> Instancia:
    """A TSPLIB/CVRPLIB/Solomon-VRPLIB EUC_2D file."""
    inst, seccion = Instancia([]), ""
    for linea in (DATA / nombre).read_text().splitlines():
        partes = linea.replace(":", " ").split()
        if not partes or partes[0] == "EOF":
            continue
        if partes[0] == "CAPACITY":
            inst.capacidad = int(partes[1])
        elif partes[0] == "SERVICE_TIME":
            inst.servicio = int(partes[1])
        elif partes[0].endswith("_SECTION"):
            seccion = partes[0]
        elif seccion == "NODE_COORD_SECTION" and partes[0].isdigit():
            inst.coords.append((float(partes[1]), float(partes[2])))
        elif seccion == "DEMAND_SECTION" and partes[0].isdigit():
            inst.demandas.append(int(partes[1]))
        elif seccion == "TIME_WINDOW_SECTION" and partes[0].isdigit():
            inst.ventanas.append((int(partes[1]), int(partes[2])))
    return inst


def euc_2d(coords: list[tuple[float, float]]) -> list[list[int]]:
    return [[int(math.dist(a, b) + 0.5) for b in coords] for a in coords]


def dimacs(coords: list[tuple[float, float]]) -> list[list[int]]:
    """Solomon distances at one decimal, truncated and scaled by 10 (the DIMACS challenge convention the
    published VRPTW optima use; travel time equals distance)."""
    return [[int(10 * math.dist(a, b)) for b in coords] for a in coords]


# (name, file, vehicles, optimum in the matrix's units)
INSTANCIAS = [("eil51", "eil51.tsp", 1, 426), ("berlin52", "berlin52.tsp", 1, 7542),
              ("kroA100", "kroA100.tsp", 1, 21282), ("A-n32-k5", "A-n32-k5.vrp", 5, 784),
              ("RC208", "RC208.vrp", 25, 7761)]


def _caso(archivo: str, vehiculos: int) -> tuple[list[optimizacion.Parada], list[optimizacion.Vehiculo],
                                                 list[list[int]], list[list[int]] | None]:
    inst = leer(archivo)
    con_ventanas = bool(inst.ventanas)
    matriz = dimacs(inst.coords) if con_ventanas else euc_2d(inst.coords)
    paradas = [optimizacion.Parada(i, (y, x), (inst.demandas[i],) if inst.demandas else (),
                                   (10 * inst.ventanas[i][0], 10 * inst.ventanas[i][1]) if con_ventanas else None,
                                   servicio_s=10 * inst.servicio)
               for i, (x, y) in enumerate(inst.coords) if i > 0]
    flota = [optimizacion.Vehiculo(v, (inst.capacidad,) if inst.capacidad else ()) for v in range(vehiculos)]
    return paradas, flota, matriz, matriz if con_ventanas else None


def optimizador(segundos: float = 2.0, semillas: float = 5) -> None:
    print(f"limit {segundos} s, {semillas} seeds")
    print("| instance | n | optimum | best | mean gap | worst gap | mean time | max time | mean CPU |")
    for nombre, archivo, vehiculos, optimo in INSTANCIAS:
        paradas, flota, matriz, duraciones = _caso(archivo, vehiculos)
        origen = paradas[0].punto  # unused: the matrices are given
        largos, tiempos, cpu = [], [], []
        for semilla in range(1, int(semillas) + 1):
            inicio, inicio_cpu = time.perf_counter(), time.process_time()
            plan = optimizacion.resolver(origen, paradas, flota, segundos, matriz, semilla, duraciones=duraciones)
            tiempos.append(time.perf_counter() - inicio)
            cpu.append(time.process_time() - inicio_cpu)
            assert plan.factible and not plan.sin_asignar, nombre
            largos.append(sum(r.distancia_m for r in plan.recorridos))
        gaps = [100 * (largo - optimo) / optimo for largo in largos]
        print(f"| {nombre} | {len(paradas) + 1} | {optimo} | {min(largos)} | {statistics.mean(gaps):.2f} % | "
              f"{max(gaps):.2f} % | {statistics.mean(tiempos):.2f} s | {max(tiempos):.2f} s | "
              f"{statistics.mean(cpu):.2f} s |")


# --- GPS ingest and WebSocket fan-out against the real API ------------------------------------------------------


def _api() -> tuple[EmbeddedPostgres, subprocess.Popen, str, dict[str, str]]:
    from bench.ventas import _seed, _serve

    tmp = Path(tempfile.mkdtemp(prefix="bench-distribucion-"))
    tmp.chmod(0o755)
    pg = EmbeddedPostgres(tmp / "pg", port=free_port())
    owner_url, url = pg.start(), pg.app_url
    _seed(owner_url, url)
    port = free_port()
    server = _serve(url, port, 1)
    api = f"http://127.0.0.1:{port}"
    token = httpx.post(f"{api}/api/auth/login/", json={"email": "admin@bench.pe", "password": "bench-password-123"})
    return pg, server, api, {"Authorization": f"Bearer {token.json()['access_token']}"}


def _flota(api: str, headers: dict[str, str], n: int) -> list[int]:
    with httpx.Client(base_url=api, headers=headers, timeout=30) as c:
        return [c.post("/api/transportistas/", json={
            "nombre": f"Bench {i}", "tipo_vehiculo": "MOTO", "categoria_vehiculo": "L",
            "placa": f"BX{i // 1000}-{i % 1000:03d}",
            "conductor_documento": f"{40000000 + i}", "conductor_licencia": f"Q{40000000 + i}",
            "capacidad_max_peso": "100", "capacidad_max_volumen": "1"}).raise_for_status().json()["id"]
            for i in range(n)]


def _fix(transportista_id: int, i: int) -> dict:
    return {"transportista_id": transportista_id, "latitud": -12.05 - (i % 100) * 1e-4, "longitud": -77.04,
            "timestamp": datetime.now(UTC).isoformat(), "velocidad_kmh": 18, "precision_m": 8}


def _percentiles(ms: list[float]) -> str:
    q = statistics.quantiles(ms, n=100)
    return f"p50 {q[49]:.1f} ms, p95 {q[94]:.1f} ms, p99 {q[98]:.1f} ms, max {max(ms):.1f} ms"


def gps(transportistas: float = 200, minutos: float = 2) -> None:
    """Each carrier posts every 30 s, spread evenly over the period (the real pattern), for `minutos`."""
    pg, server, api, headers = _api()
    try:
        flota = _flota(api, headers, int(transportistas))

        async def correr() -> list[float]:
            latencias: list[float] = []
            intervalo = 30 / len(flota)
            async with httpx.AsyncClient(base_url=api, headers=headers, timeout=30) as c:
                async def enviar(tid: int, i: int) -> None:
                    inicio = time.perf_counter()
                    (await c.post("/api/tracking/actualizar/", json=_fix(tid, i))).raise_for_status()
                    latencias.append((time.perf_counter() - inicio) * 1000)

                tareas = []
                for ronda in range(int(minutos * 2)):
                    for tid in flota:
                        tareas.append(asyncio.create_task(enviar(tid, ronda)))
                        await asyncio.sleep(intervalo)
                await asyncio.gather(*tareas)
            return latencias

        inicio = time.perf_counter()
        latencias = asyncio.run(correr())
        duracion = time.perf_counter() - inicio
        print(f"gps: {len(flota)} carriers every 30 s for {minutos} min: {len(latencias)} fixes in {duracion:.0f} s "
              f"({len(latencias) / duracion:.1f}/s); write latency {_percentiles(latencias)}")
    finally:
        server.terminate()
        server.wait(timeout=30)
        pg.stop()


def websocket(suscriptores: float = 500, rondas: float = 20) -> None:
    from websockets.asyncio.client import connect

    # No worker runs here to send the GRE that EN_RUTA waits for: the fan-out is measured without it.
    os.environ["GRE_REMITENTE"] = "false"
    pg, server, api, headers = _api()
    try:
        with httpx.Client(base_url=api, headers=headers, timeout=30) as c:
            alm = c.post("/api/almacenes/", json={"nombre": "Despacho", "sucursal_id": 1, "latitud": -12.05,
                                                  "longitud": -77.04}).raise_for_status().json()["id"]
            cli = c.post("/api/clientes/", json={"tipo_doc": "1", "numero_doc": "45454545",
                                                 "razon_social": "Bench"}).raise_for_status().json()["id"]
            prod = c.post("/api/productos/", json={"sku": "WS", "nombre": "WS", "precio": "1"}).json()["id"]
            c.post("/api/inventario/entrada/", json={"producto_id": prod, "almacen_id": alm, "cantidad": "10"})
            pedido = c.post("/api/pedidos/", json={"cliente_id": cli, "almacen_id": alm, "latitud": -12.1,
                                                   "longitud": -77.03, "direccion_entrega": "Av. Larco 345",
                                                   "lineas": [{"producto_id": prod, "cantidad": "1"}]}).json()
            [tid] = _flota(api, headers, 1)
            ruta = c.post("/api/rutas/", json={"transportista_id": tid, "fecha": pedido["fecha_entrega"]}).json()["id"]
            c.post(f"/api/rutas/{ruta}/asignar/", json={"pedidos": [pedido["id"]]}).raise_for_status()
            c.put(f"/api/pedidos/{pedido['id']}/estado/", json={"estado": "EN_RUTA"}).raise_for_status()
        url = api.replace("http://", "ws://") + f"/ws/seguimiento/{pedido['codigo_seguimiento']}"

        async def correr() -> tuple[list[float], list[float]]:
            conexiones = [await connect(url, open_timeout=60) for _ in range(int(suscriptores))]
            for ws in conexiones:
                await ws.recv()  # the snapshot
            todas, ultimas = [], []
            async with httpx.AsyncClient(base_url=api, headers=headers, timeout=30) as c:
                for i in range(int(rondas)):
                    inicio = time.perf_counter()
                    (await c.post("/api/tracking/actualizar/", json=_fix(tid, i))).raise_for_status()

                    async def recibir(ws: Any, inicio: float = inicio) -> float:
                        await ws.recv()
                        return (time.perf_counter() - inicio) * 1000

                    llegadas = await asyncio.gather(*(recibir(ws) for ws in conexiones))
                    todas += llegadas
                    ultimas.append(max(llegadas))
                    await asyncio.sleep(0.5)
            for ws in conexiones:
                await ws.close()
            return todas, ultimas

        todas, ultimas = asyncio.run(correr())
        print(f"websocket: {int(suscriptores)} subscribers, {int(rondas)} fixes: POST → message at each subscriber "
              f"{_percentiles(todas)}; until the last subscriber p50 {statistics.median(ultimas):.0f} ms, "
              f"max {max(ultimas):.0f} ms")
    finally:
        server.terminate()
        server.wait(timeout=30)
        pg.stop()


if __name__ == "__main__":
    modo = sys.argv[1] if len(sys.argv) > 1 else "optimizador"
    argumentos = [float(a) for a in sys.argv[2:]]
    {"optimizador": optimizador, "gps": gps, "websocket": websocket}[modo](*argumentos)
