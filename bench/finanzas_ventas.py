"""Benchmark: what the automatic journal entry costs `POST /api/ventas/` (issue 13).

    PYTHONPATH=. .venv/bin/python bench/finanzas_ventas.py [N_VENTAS] [--rondas 2] [--workers 1]

One embedded PostgreSQL and the load of bench/ventas.py (3-line cash sales over 60 products, concurrency 32,
loopback), in alternating rounds on the same database: the API server as shipped (each sale posts the
comprobante's entry — 1212 D · 40111 H · 70111 H — and the sale's entry — cash 101 D · 1212 H, cost of sales
6911 D · 20111 H — in its transaction), then the same server with those two postings switched off
(bench/sin_asiento/sitecustomize.py, loaded only on this script's PYTHONPATH). Alternating rounds keeps the
machine's changing load (other processes) from favouring one side. After each round it checks stock, gapless
boleta numbers, and that the entries grew by 2 per sale (with) or not at all (without), all balanced.
"""

import asyncio
import os
import statistics
import sys
from pathlib import Path

import psycopg

from bench.ventas import _check, _load, bench_database, running_api

SIN_ASIENTO = str(Path(__file__).parent / "sin_asiento")


def _asientos(url: str) -> tuple[int, int]:
    """(the sales' entries, entries whose lines do not balance)."""
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        total = conn.execute("SELECT count(*) FROM asientos_contables "  # the sales' (not the costed entries')
                             "WHERE referencia_tipo IN ('VENTA', 'COMPROBANTE')").fetchone()[0]
        descuadrados = conn.execute("SELECT count(*) FROM (SELECT asiento_id FROM lineas_asiento GROUP BY 1 "
                                    "HAVING sum(debe) <> sum(haber)) d").fetchone()[0]
    return total, descuadrados


def _ronda(url: str, workers: int, n: int, con_asiento: bool) -> dict:
    previo = os.environ.get("PYTHONPATH", "")
    if not con_asiento:
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (SIN_ASIENTO, previo) if p)
        os.environ["BENCH_SIN_ASIENTO"] = "1"
    try:
        antes, _ = _asientos(url)
        with running_api(url, workers) as (api, headers, productos):
            r = asyncio.run(_load(api, headers, productos, n, None))
        despues, descuadrados = _asientos(url)
    finally:
        os.environ["PYTHONPATH"] = previo
        os.environ.pop("BENCH_SIN_ASIENTO", None)
    esperado = 2 * r["ok"] if con_asiento else 0
    assert despues - antes == esperado and descuadrados == 0, (despues - antes, esperado, descuadrados)
    r["check"] = f"{_check(url)}; entries +{despues - antes}, all balanced"
    return r


def main(n: int, rondas: int, workers: int) -> None:
    resultados: dict[bool, list[dict]] = {True: [], False: []}
    with bench_database("bench-finanzas-ventas-") as (_, url):
        for i in range(rondas):
            for con_asiento in (False, True):
                r = _ronda(url, workers, n, con_asiento)
                resultados[con_asiento].append(r)
                print(f"round {i + 1} {'with' if con_asiento else 'without'} the entry, workers={workers}: "
                      f"{r['ok']} sales in {r['s']:.1f} s = {r['per_s']:.1f}/s; p50 {r['p50']:.0f} ms, "
                      f"p95 {r['p95']:.0f} ms, p99 {r['p99']:.0f} ms; errors {r['errors']}\n    {r['check']}",
                      flush=True)
                print(f"    load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    for con_asiento, rs in resultados.items():
        lado = "with" if con_asiento else "without"
        por_s, p50, p99 = (statistics.median(r[k] for r in rs) for k in ("per_s", "p50", "p99"))
        print(f"{lado}: median of rounds {por_s:.1f} sales/s, p50 {p50:.0f} ms, p99 {p99:.0f} ms")

if __name__ == "__main__":
    args = sys.argv[1:]

    def opcion(nombre: str, defecto: int) -> int:
        return int(args[args.index(nombre) + 1]) if nombre in args else defecto

    numeros = [int(a) for i, a in enumerate(args) if a.isdigit() and (i == 0 or not args[i - 1].startswith("--"))]
    main(numeros[0] if numeros else 1000, opcion("--rondas", 2), opcion("--workers", 1))
