"""Benchmark: the movement-history query (one product, a date range, first page) at 1M and 5M rows.

    .venv/bin/python bench/movimientos.py 1000000 5000000

Starts its own embedded PostgreSQL (fsync on), migrates, fills `movimientos_stock` with generate_series
over 24 months and 2,000 products, then times the first page of GET /api/inventario/movimientos/'s SQL.
"""

import statistics
import sys
import tempfile
import time
from pathlib import Path

import psycopg

from core.embedded import EmbeddedPostgres, free_port
from core.migrate import upgrade
from services.inventario import _MOVIMIENTOS

PRODUCTOS, ALMACENES = 2000, 4
# The API's query for one product and the last 90 days (the API binds the Lima day bounds instead of now()).
SQL = _MOVIMIENTOS.format(where="m.producto_id = %(producto)s AND m.created_at >= now() - interval '90 days' "
                                "AND m.created_at < now()").replace(":limit", "50")


def poblar(conn: psycopg.Connection, total: int, ya: int) -> None:
    conn.execute(f"""
        INSERT INTO movimientos_stock (created_at, producto_id, almacen_id, tipo_movimiento, cantidad, motivo,
                                       referencia_doc)
        SELECT now() - (random() * interval '720 days'), 1 + (g % {PRODUCTOS}), 1 + (g % {ALMACENES}),
               (ARRAY['ENTRADA','SALIDA','VENTA','AJUSTE'])[1 + g % 4], 1 + g % 7, '', 'bench-' || g
        FROM generate_series({ya + 1}, {total}) g
    """)
    conn.execute("ANALYZE movimientos_stock")


def preparar(conn: psycopg.Connection) -> None:
    conn.execute("INSERT INTO sucursales (nombre, direccion, codigo_establecimiento, activo) "
                 "VALUES ('B', '', '0000', true)")
    conn.execute(f"""INSERT INTO almacenes (nombre, tipo, sucursal_id, predeterminado, activo)
                     SELECT 'A' || g, 'PRINCIPAL', 1, false, true FROM generate_series(1, {ALMACENES}) g""")
    conn.execute(f"""INSERT INTO productos (sku, nombre, descripcion, precio, precio_incluye_igv, afectacion_igv,
                        unidad_medida, permite_venta_sin_stock, trazabilidad, activo)
                     SELECT 'SKU' || g, 'P' || g, '', 1, true, '10', 'NIU', false, false, true
                     FROM generate_series(1, {PRODUCTOS}) g""")


def medir(conn: psycopg.Connection, n: int = 200) -> tuple[float, float, str]:
    tiempos = []
    for i in range(n):
        start = time.perf_counter()
        conn.execute(SQL, {"producto": 1 + (i * 37) % PRODUCTOS}).fetchall()
        tiempos.append((time.perf_counter() - start) * 1000)
    plan = "\n".join(r[0] for r in conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + SQL, {"producto": 42}))
    q = statistics.quantiles(tiempos, n=100)
    return q[49], q[94], plan


def main(tamanos: list[int]) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-mov-"))
    tmp.chmod(0o755)
    pg = EmbeddedPostgres(tmp / "data", port=free_port())
    url = pg.start()
    try:
        upgrade(url)
        with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
            preparar(conn)
            ya = 0
            for total in tamanos:
                start = time.perf_counter()
                poblar(conn, total, ya)
                ya = total
                p50, p95, plan = medir(conn)
                print(f"## {total:,} movimientos (carga {time.perf_counter() - start:.0f} s): "
                      f"p50 {p50:.2f} ms, p95 {p95:.2f} ms\n{plan}\n")
    finally:
        pg.stop()


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1_000_000, 5_000_000])
