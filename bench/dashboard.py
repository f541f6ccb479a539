"""Benchmark of module 8: the KPI endpoints' latency through the API and the 10-minute refresh's duration,
with N sales and M stock movements in the database (targets: p95 < 20 ms, refresh < 5 s at 1M / 5M).

    PYTHONPATH=. .venv/bin/python bench/dashboard.py 1000000 5000000     # the full size
    PYTHONPATH=. .venv/bin/python bench/dashboard.py 200000 1000000      # a scaled run

Starts its own embedded PostgreSQL (fsync on), migrates, seeds, then generates everything with set-based SQL
(generate_series): 5 branches with a warehouse each, 2,000 products with stock, a minimum and an average cost
in every warehouse, N sales over the last 365 days (2 lines and 1 payment each), M stock movements over the
same year, N/20 receivables, N/50 payables, N/40 collections and N/5 cash journal entries. Then it times
`services.dashboard.kpis.refrescar` (each group's INSERT … SELECT, 3 runs) and each KPI endpoint through
`erp api` (1 process) on loopback: 300 sequential requests after 20 warm-ups, as the admin (all branches),
next to an authenticated endpoint that reads nothing (the framework's and authentication's own cost).
"""

import asyncio
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

import httpx
import psycopg

from bench.ventas import bench_database, running_api

SUCURSALES, PRODUCTOS = 5, 2000
REPETICIONES, CALENTAMIENTO = 300, 20
ENDPOINTS = [f"/api/dashboard/kpis/{g}/" for g in ("ventas", "inventario", "financiero", "logistica")]
# The same client on an authenticated endpoint that reads nothing (a static catalog): what authentication,
# routing and serialisation cost on this machine at this load, for comparison.
LINEA_BASE = "/api/ventas/metodos-pago/"


def _paso(conn: psycopg.Connection, nombre: str, sql: str, params: dict | None = None) -> None:
    inicio = time.perf_counter()
    filas = conn.execute(sql, params).rowcount
    print(f"  {nombre}: {filas} rows in {time.perf_counter() - inicio:.1f} s", flush=True)


def poblar(owner_url: str, ventas: int, movimientos: int) -> None:
    with psycopg.connect(owner_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute("INSERT INTO sucursales (nombre, direccion, codigo_establecimiento, activo, created_at) "
                     f"SELECT 'Sucursal ' || g, '', lpad(g::text, 4, '0'), true, now() "
                     f"FROM generate_series(2, {SUCURSALES}) g")
        sucursales = [r[0] for r in conn.execute("SELECT id FROM sucursales ORDER BY id")]
        conn.execute("INSERT INTO almacenes (nombre, tipo, sucursal_id, predeterminado, activo, created_at, "
                     "direccion, ubigeo) SELECT 'Almacén ' || s, 'SUCURSAL', s, true, true, now(), '', '' "
                     "FROM unnest(%s::int[]) s", (sucursales,))
        almacenes = [r[0] for r in conn.execute("SELECT id FROM almacenes ORDER BY sucursal_id")]
        conn.execute("INSERT INTO cajas (sucursal_id, usuario_id, estado, monto_apertura, fecha_apertura) "
                     "SELECT s, 1, 'CERRADA', 0, now() FROM unnest(%s::int[]) s", (sucursales,))
        cajas = [r[0] for r in conn.execute("SELECT id FROM cajas ORDER BY sucursal_id")]
        _paso(conn, "productos", f"""
            INSERT INTO productos (sku, nombre, descripcion, precio, precio_incluye_igv, afectacion_igv, unidad_medida,
                                   permite_venta_sin_stock, trazabilidad, bolsa_plastica, activo, created_at, peso_kg,
                                   volumen_m3)
            SELECT 'SKU' || g, 'Producto ' || g, '', 11.80, true, '10', 'NIU', false, false, false, true, now(), 1, 0
            FROM generate_series(1, {PRODUCTOS}) g""")
        producto0 = conn.execute("SELECT min(id) FROM productos").fetchone()[0]
        _paso(conn, "productos_almacen", """
            INSERT INTO productos_almacen (producto_id, almacen_id, stock_actual, stock_minimo, stock_maximo,
                                           stock_seguridad, stock_reservado)
            SELECT p.id, a, (p.id * 7 + a * 13) %% 500, 20, 400, 0, 0
            FROM productos p CROSS JOIN unnest(%(a)s::int[]) a""", {"a": almacenes})
        _paso(conn, "costos_promedio", """
            INSERT INTO costos_promedio (producto_id, almacen_id, cantidad, costo_unitario, updated_at)
            SELECT producto_id, almacen_id, stock_actual, 1 + producto_id % 50, now() FROM productos_almacen""")
        params = {"n": ventas, "s": sucursales, "a": almacenes, "c": cajas, "p0": producto0, "np": PRODUCTOS}
        _paso(conn, "ventas", """
            INSERT INTO ventas (cliente_id, usuario_id, sucursal_id, almacen_id, caja_id, fecha, tipo_comprobante,
                                subtotal, descuento, igv, icbper, total, descuentos_cargos, estado, modo_emision,
                                metodo_pago)
            SELECT NULL, 1, (%(s)s::int[])[1 + g %% 5], (%(a)s::int[])[1 + g %% 5], (%(c)s::int[])[1 + g %% 5],
                   now() - (g::float8 / %(n)s) * interval '365 days', '03', 20.00 * (1 + g %% 3), 0,
                   3.60 * (1 + g %% 3), 0, 23.60 * (1 + g %% 3), '[]', 'registrada', 'POS',
                   (ARRAY['EFECTIVO','TARJETA','YAPE','PLIN'])[1 + g %% 4]
            FROM generate_series(1, %(n)s) g""", params)
        _paso(conn, "detalle_venta", """
            INSERT INTO detalle_venta (venta_id, producto_id, cantidad, precio_unitario, precio_incluye_igv,
                                       valor_unitario, afectacion_igv, descuento, subtotal, igv, icbper, total,
                                       alerta_stock)
            SELECT v.id, %(p0)s + (v.id * 31 + n * 17) %% %(np)s, 1, v.total / 2, true, v.subtotal / 2, '10', 0,
                   v.subtotal / 2, v.igv / 2, 0, v.total / 2, false
            FROM ventas v CROSS JOIN generate_series(1, 2) n""", params)
        _paso(conn, "formas_pago", """
            INSERT INTO formas_pago (venta_id, metodo, monto, referencia, confirmado)
            SELECT id, metodo_pago, total, '', true FROM ventas""")
        _paso(conn, "movimientos_stock", """
            INSERT INTO movimientos_stock (created_at, producto_id, almacen_id, tipo_movimiento, cantidad, motivo,
                                           referencia_doc)
            SELECT now() - (g::float8 / %(m)s) * interval '365 days', %(p0)s + g %% %(np)s, (%(a)s::int[])[1 + g %% 5],
                   (ARRAY['ENTRADA','SALIDA','VENTA','VENTA'])[1 + g %% 4],
                   CASE WHEN g %% 4 = 0 THEN 5 ELSE -1 END, '', 'bench-' || g
            FROM generate_series(1, %(m)s) g""", params | {"m": movimientos})
        _finanzas(conn, ventas)
        _paso(conn, "VACUUM ANALYZE", "VACUUM ANALYZE")


def _finanzas(conn: psycopg.Connection, ventas: int) -> None:
    for tabla, extra_cols, extra_vals, n in (
            ("cuentas_por_cobrar", "cliente_numero_doc, cliente_razon_social, comprobante_id",
             "'20100066603', 'Cliente ' || g, g", ventas // 20),
            ("cuentas_por_pagar", "proveedor_ruc, proveedor_razon_social, tipo_documento, base_imponible, igv",
             "'20512345678', 'Proveedor ' || g, '01', 0, 0", ventas // 50)):
        _paso(conn, tabla, f"""
            INSERT INTO {tabla} ({extra_cols}, documento, cuota, moneda, tipo_cambio, monto_total, monto_pagado, saldo,
                                 saldo_pen, fecha_emision, fecha_vencimiento, estado, created_at)
            SELECT {extra_vals}, 'F001-' || g, 1, 'PEN', 1, 100 + g % 900, 0, 100 + g % 900, 100 + g % 900,
                   current_date - 200, current_date - 150 + g % 240, 'PENDIENTE', now()
            FROM generate_series(1, {n}) g""")
    _paso(conn, "pagos_cobros", f"""
        INSERT INTO pagos_cobros (operacion, tipo, cuenta_cobrar_id, monto, monto_aplicado, metodo_pago, moneda,
                                  tipo_cambio, diferencia_cambio, referencia, fecha, conciliado, created_at)
        SELECT 'COB-' || id, 'COBRO', id, 10, 10, 'TRANSFERENCIA', 'PEN', 1, 0, '', current_date - id % 60, false, now()
        FROM cuentas_por_cobrar WHERE id % 2 = 0 LIMIT {ventas // 40}""")
    caja, ingreso = (conn.execute("SELECT id FROM cuentas_contables WHERE codigo = %s", (c,)).fetchone()[0]
                     for c in ("101", "70111"))
    centro = conn.execute("SELECT id FROM centros_costo LIMIT 1").fetchone()
    if centro is None:
        centro = conn.execute("INSERT INTO centros_costo (codigo, nombre, sucursal_id) VALUES ('CC-BENCH', "
                              "'Bench', NULL) RETURNING id").fetchone()
    for tabla in ("asientos_contables", "lineas_asiento"):  # bulk load without the per-row balance triggers
        conn.execute(f"ALTER TABLE {tabla} DISABLE TRIGGER USER")
    _paso(conn, "asientos_contables", f"""
        INSERT INTO asientos_contables (fecha, periodo, cuo, descripcion, centro_costo_id, referencia_tipo,
                                        referencia_id, origen, moneda, tipo_cambio, estado, created_at)
        SELECT current_date - g % 365, to_char(current_date - g % 365, 'YYYYMM'), 'B' || g, 'Venta', {centro[0]},
               'VENTA', '', 'AUTOMATICO', 'PEN', 1, 'CONTABILIZADO', now()
        FROM generate_series(1, {ventas // 5}) g""")
    _paso(conn, "lineas_asiento", f"""
        INSERT INTO lineas_asiento (asiento_id, numero, fecha, cuenta_id, centro_costo_id, debe, haber, descripcion)
        SELECT a.id, n, a.fecha, CASE n WHEN 1 THEN {caja} ELSE {ingreso} END, {centro[0]},
               CASE n WHEN 1 THEN 23.60 ELSE 0 END, CASE n WHEN 2 THEN 23.60 ELSE 0 END, ''
        FROM asientos_contables a CROSS JOIN generate_series(1, 2) n""")
    for tabla in ("asientos_contables", "lineas_asiento"):
        conn.execute(f"ALTER TABLE {tabla} ENABLE TRIGGER USER")


def refrescos(veces: int = 3) -> list[dict[str, float]]:
    """Each run as of now, then as of the last hour of the previous month: a full 31-day month window (the
    month-to-date KPIs' worst case; today may be early in the month)."""
    from core.db import session_scope
    from services.dashboard import kpis

    fin_de_mes = datetime.now(UTC).replace(day=1, hour=4, minute=0) - timedelta(hours=1)  # 23:00 Lima
    corridas = []
    for ahora, nombre in [(None, "now")] * veces + [(fin_de_mes, "month end")] * veces:
        with session_scope() as s:
            inicio = time.perf_counter()
            hechos = kpis.refrescar(s, ahora=ahora)
            total = (time.perf_counter() - inicio) * 1000
        corridas.append({r.grupo: r.ms for r in hechos} | {"total": total})
        print(f"  refresh as of {nombre} (ms):", {k: round(v) for k, v in corridas[-1].items()}, flush=True)
    return corridas


def en_proceso(n: int = 200) -> None:
    """The two reads behind GET …/ventas/ in-process (no HTTP, no auth), and the live query's plan."""
    from sqlalchemy import text

    from core.db import session_scope
    from services.dashboard import consulta
    from services.dashboard.kpis import parametros

    with session_scope() as s:
        for nombre, leer in (("latest snapshot", lambda: consulta.ultimo(s, "ventas")),
                             ("today so far (all branches)", lambda: consulta.ventas_hoy(s, None)),
                             ("today so far (one branch)", lambda: consulta.ventas_hoy(s, [1]))):
            tiempos = []
            for _ in range(n):
                inicio = time.perf_counter()
                leer()
                tiempos.append((time.perf_counter() - inicio) * 1000)
            q = statistics.quantiles(tiempos, n=100)
            print(f"  in-process {nombre}: p50 {q[49]:.2f} ms, p95 {q[94]:.2f} ms", flush=True)
        plan = s.execute(text("EXPLAIN (ANALYZE, BUFFERS) SELECT coalesce(sum(total), 0), count(*) FROM ventas "
                              "WHERE fecha >= :desde AND estado = 'registrada' AND sucursal_id = ANY(:s)"),
                         {"desde": parametros()["desde_dia"], "s": [1]}).scalars()
        print("   ", "\n    ".join(plan), flush=True)


async def latencias(api: str, headers: dict[str, str]) -> dict[str, tuple[float, float, float]]:
    resultado = {}
    async with httpx.AsyncClient(base_url=api, headers=headers, timeout=30) as c:
        for ruta in [LINEA_BASE, *ENDPOINTS]:
            tiempos = []
            for i in range(CALENTAMIENTO + REPETICIONES):
                inicio = time.perf_counter()
                res = await c.get(ruta)
                res.raise_for_status()
                if i >= CALENTAMIENTO:
                    tiempos.append((time.perf_counter() - inicio) * 1000)
            q = statistics.quantiles(tiempos, n=100)
            resultado[ruta] = (q[49], q[94], q[98])
            print(f"  GET {ruta}: p50 {q[49]:.1f} ms, p95 {q[94]:.1f} ms, p99 {q[98]:.1f} ms "
                  f"({len(res.content)} bytes)", flush=True)
    return resultado


def main(ventas: int, movimientos: int) -> None:
    print(f"{platform.node()} {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; "
          f"load average {os.getloadavg()}", flush=True)
    with bench_database("bench-dashboard-") as (owner_url, url):
        inicio = time.perf_counter()
        poblar(owner_url, ventas, movimientos)
        print(f"generated {ventas} sales, {movimientos} movements in {time.perf_counter() - inicio:.0f} s", flush=True)
        corridas = refrescos()
        en_proceso()
        with running_api(url, 1) as (api, headers, _):
            asyncio.run(latencias(api, headers))
        mejor = min(c["total"] for c in corridas)
        print(f"refresh: best {mejor:.0f} ms, worst {max(c['total'] for c in corridas):.0f} ms; "
              f"load average {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    numeros = [int(a) for a in sys.argv[1:] if a.isdigit()]
    main(numeros[0] if numeros else 1_000_000, numeros[1] if len(numeros) > 1 else 5_000_000)
