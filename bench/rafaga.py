"""Benchmark: bursts of simultaneous requests against a real uvicorn server.

    PYTHONPATH=. .venv/bin/python bench/rafaga.py [--sizes 100,300]

Same stack as bench/ventas.py (own embedded PostgreSQL with fsync on, seeded company, 60 products with
stock, an open register, `erp api` with one worker on a free loopback port, no Temporal). For each size N it
opens N keep-alive connections first, then fires N requests at once at
  GET /api/productos/, POST /api/notas-venta/ and POST /api/ventas/
and reports how many were answered (2xx), refused with 503 (+ Retry-After), anything else, and unanswered
(no response within 120 s), with p50/p99 of all answers. Every creation carries an Idempotency-Key.
"""

import asyncio
import statistics
import sys
import time
import uuid
from collections import Counter

import httpx

from bench.ventas import _venta, bench_database, running_api

CLIENT_TIMEOUT_S = 120
NOTA = {"customer_rut": "76086428-5", "customer_razon_social": "Constructora Andes SpA",
        "items": [{"description": "Hormigón H30", "quantity": "2", "unit_price": "100000"}]}


def _peticiones(productos: list[int]) -> dict[str, tuple[str, str, object]]:
    return {"GET /api/productos/": ("GET", "/api/productos/", None),
            "POST /api/notas-venta/": ("POST", "/api/notas-venta/", NOTA),
            "POST /api/ventas/": ("POST", "/api/ventas/", None)}


async def _burst(api: str, headers: dict[str, str], productos: list[int], method: str, path: str,
                 body: object, n: int) -> dict:
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    async with httpx.AsyncClient(base_url=api, timeout=CLIENT_TIMEOUT_S, limits=limits) as client:
        await asyncio.gather(*(client.get("/docs") for _ in range(n)))  # n open connections, like n terminals

        async def one() -> tuple[str, float]:
            started = time.perf_counter()
            payload = body if body is not None or method == "GET" else _venta(productos, None)
            h = headers if method == "GET" else headers | {"Idempotency-Key": str(uuid.uuid4())}
            try:
                res = await client.request(method, path, headers=h, json=payload)
                outcome = "2xx" if res.is_success else str(res.status_code)
                if res.status_code == 503 and "retry-after" not in res.headers:
                    outcome = "503 without Retry-After"
            except httpx.TimeoutException:
                outcome = "unanswered"
            except httpx.TransportError as exc:  # the server dropped the connection: no answer either
                outcome = f"unanswered ({type(exc).__name__})"
            return outcome, time.perf_counter() - started

        results = await asyncio.gather(*(one() for _ in range(n)))
    times = sorted(t for o, t in results if not o.startswith("unanswered")) or [float("nan")]
    q = statistics.quantiles(times, n=100) if len(times) > 1 else times * 99
    return {"outcomes": Counter(o for o, _ in results), "p50": q[49], "p99": q[98], "max": times[-1]}


def main(sizes: list[int]) -> None:
    with bench_database("bench-rafaga-") as (_, url), running_api(url, 1) as (api, headers, productos):
        for n in sizes:
            for name, (method, path, body) in _peticiones(productos).items():
                r = asyncio.run(_burst(api, headers, productos, method, path, body, n))
                print(f"N={n} {name}: {dict(r['outcomes'])}; p50 {r['p50']:.2f} s, p99 {r['p99']:.2f} s, "
                      f"max {r['max']:.2f} s", flush=True)

if __name__ == "__main__":
    args = sys.argv[1:]
    main([int(s) for s in args[args.index("--sizes") + 1].split(",")] if "--sizes" in args else [100, 300])
