"""Benchmark: `POST /api/ventas/` throughput and latency against a real uvicorn server.

    PYTHONPATH=. .venv/bin/python bench/ventas.py [N_VENTAS] [--workers 1,2]

Starts its own embedded PostgreSQL (fsync on), migrates, seeds a company, a branch warehouse, 60 products
with plenty of stock and an open cash register, then serves the API with uvicorn (`erp api --workers W`) on a
free loopback port. A bounded asyncio load generator (httpx, concurrency 32, N sales or 60 s, loopback only)
runs two scenarios:
  A. 3-line sales over many products;
  B. every sale contains the same hot product (plus two others): all of them update one stock row.
Each sale is one transaction: venta, 3 lines, payment, 3 stock UPDATEs, 3 movements, audit rows, the boleta's
gapless number from the locked `series` row, the comprobante rows and the outbox row. No Temporal worker runs:
sending the comprobante is not part of the sale's latency. After each run the script checks that stock and
movements add up and that boleta numbers are 1..N without gaps.
"""

import asyncio
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import httpx
import psycopg
from cryptography.fernet import Fernet

from core.embedded import EmbeddedPostgres, free_port, wait_for_port
from core.migrate import upgrade

CONCURRENCY = 32
TIME_LIMIT_S = 60
PRODUCTOS = 60
PRECIO = Decimal("11.80")
COSTO = Decimal("6.50")


def _seed(owner_url: str, url: str) -> None:
    os.environ["DATABASE_URL"] = url
    # The bench's database is its own and thrown away: fresh keys when the shell has none (no .env needed).
    os.environ.setdefault("ENCRYPTION_KEY", Fernet.generate_key().decode())
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(32))
    from core import audit
    from core.db import reset_engine, session_scope
    from core.settings import get_settings
    from services.seed import seed_demo_company, seed_roles

    get_settings.cache_clear()
    reset_engine()
    upgrade(owner_url, url)
    audit.install()
    with session_scope() as s:
        seed_roles(s)
        seed_demo_company(s, "admin@bench.pe", "bench-password-123")


def _serve(url: str, port: int, workers: int) -> subprocess.Popen:
    env = dict(os.environ, DATABASE_URL=url, TEMPORAL_ADDRESS="127.0.0.1:1", LOG_LEVEL="WARNING")
    proc = subprocess.Popen([sys.executable, "-m", "cli", "api", "--port", str(port), "--workers", str(workers)],
                            env=env)
    wait_for_port(port, timeout=60)
    return proc


def _prepare(api: str) -> tuple[dict[str, str], list[int]]:
    with httpx.Client(base_url=api, timeout=30) as c:
        return preparar(c)


def preparar(c: httpx.Client) -> tuple[dict[str, str], list[int]]:
    """The bench's shop on first use (a default warehouse, an open register, 60 products with plenty of
    stock), through the API: (admin headers, product ids)."""
    token = c.post("/api/auth/login/", json={"email": "admin@bench.pe", "password": "bench-password-123"})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    almacenes = c.get("/api/almacenes/", headers=headers).json()["items"]
    if not almacenes:
        almacen = c.post("/api/almacenes/", headers=headers,
                         json={"nombre": "Tienda", "sucursal_id": 1, "predeterminado": True}).json()["id"]
        c.post("/api/cajas/abrir/", headers=headers, json={"monto_apertura": "100.00"}).raise_for_status()
        for i in range(PRODUCTOS):
            pid = c.post("/api/productos/", headers=headers, json={
                "sku": f"B{i:03d}", "nombre": f"Producto {i}", "precio": str(PRECIO)}).json()["id"]
            c.post("/api/inventario/entrada/", headers=headers, json={
                "producto_id": pid, "almacen_id": almacen, "cantidad": "1000000",
                "costo_unitario": str(COSTO)}).raise_for_status()  # costed: every sale posts its cost (6911/20111)
    productos = [p["id"] for p in c.get("/api/productos/", headers=headers).json()["items"]]
    return headers, productos


def _venta(productos: list[int], hot: int | None) -> dict:
    elegidos = random.sample([p for p in productos if p != hot], 3 if hot is None else 2)
    lineas = [{"producto_id": p, "cantidad": "1"} for p in ([hot] if hot else []) + elegidos]
    return {"lineas": lineas, "formas_pago": [{"metodo": "EFECTIVO", "monto": str(PRECIO * 3)}]}


async def _load(api: str, headers: dict[str, str], productos: list[int], n: int, hot: int | None) -> dict:
    latencies: list[float] = []
    errors: dict[int, int] = {}
    pending = iter(range(n))
    deadline = time.monotonic() + TIME_LIMIT_S

    async def user(client: httpx.AsyncClient) -> None:
        for _ in pending:
            if time.monotonic() > deadline:
                return
            started = time.perf_counter()
            res = await client.post("/api/ventas/", headers=headers, json=_venta(productos, hot))
            if res.status_code == 201:
                latencies.append(time.perf_counter() - started)
            else:
                errors[res.status_code] = errors.get(res.status_code, 0) + 1

    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=api, timeout=60, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(user(client) for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
    q = statistics.quantiles(latencies, n=100)
    return {"ok": len(latencies), "errors": errors, "s": elapsed, "per_s": len(latencies) / elapsed,
            "p50": q[49] * 1000, "p95": q[94] * 1000, "p99": q[98] * 1000}


def _check(url: str) -> str:
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as conn:
        ventas = conn.execute("SELECT count(*) FROM ventas").fetchone()[0]
        vendidos = conn.execute("SELECT -coalesce(sum(cantidad), 0) FROM movimientos_stock "
                                "WHERE tipo_movimiento = 'VENTA'").fetchone()[0]
        stock = conn.execute("SELECT sum(stock_actual) FROM productos_almacen").fetchone()[0]
        numeros = conn.execute("SELECT count(*), min(numero), max(numero) FROM comprobantes "
                               "WHERE serie = 'B001'").fetchone()
    esperado = PRODUCTOS * 1_000_000 - vendidos
    assert stock == esperado, f"stock {stock} != {esperado}"
    assert vendidos == 3 * ventas, f"{vendidos} units moved for {ventas} 3-line sales"
    assert numeros == (ventas, 1, ventas), f"boleta numbers {numeros} for {ventas} sales"
    return f"checked: {ventas} sales, {vendidos} units moved, stock adds up, B001 numbered 1..{ventas} with no gaps"


@contextmanager
def bench_database(prefix: str) -> Iterator[tuple[str, str]]:
    """A seeded embedded PostgreSQL for one benchmark run: (owner url, restricted app url)."""
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    tmp.chmod(0o755)
    pg = EmbeddedPostgres(tmp / "pg", port=free_port())
    owner_url, url = pg.start(), pg.app_url  # the API runs as the restricted role, as in production
    try:
        _seed(owner_url, url)
        yield owner_url, url
    finally:
        pg.stop()


@contextmanager
def running_api(url: str, workers: int) -> Iterator[tuple[str, dict[str, str], list[int]]]:
    """`erp api` with `workers` processes on a free port: (base url, admin headers, product ids)."""
    port = free_port()
    server = _serve(url, port, workers)
    api = f"http://127.0.0.1:{port}"
    try:
        yield (api, *_prepare(api))
    finally:
        server.terminate()
        server.wait(timeout=30)


def main(n: int, workers_list: list[int]) -> None:
    with bench_database("bench-ventas-") as (_, url):
        for workers in workers_list:
            with running_api(url, workers) as (api, headers, productos):
                for name, hot in (("A: 3 lines, many products", None), ("B: one hot product", productos[0])):
                    r = asyncio.run(_load(api, headers, productos, n, hot))
                    print(f"workers={workers} {name}: {r['ok']} sales in {r['s']:.1f} s = {r['per_s']:.0f}/s; "
                          f"p50 {r['p50']:.0f} ms, p95 {r['p95']:.0f} ms, p99 {r['p99']:.0f} ms; errors {r['errors']}",
                          flush=True)
                    print("   ", _check(url), flush=True)

if __name__ == "__main__":
    args = sys.argv[1:]
    workers = [int(w) for w in args[args.index("--workers") + 1].split(",")] if "--workers" in args else [1, 2]
    numbers = [int(a) for a in args if a.isdigit()]
    main(numbers[0] if numbers else 2000, workers)
