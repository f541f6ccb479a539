"""Benchmark of module 8's exports: the kardex report read from PostgreSQL and written as xlsx or PDF by the
export activity's own code (`exportaciones.archivo`, as the admin), wall time, file size and the process's
peak RSS for each size. Each measurement runs in a fresh process so its peak RSS is its own.

    PYTHONPATH=. .venv/bin/python bench/reportes.py 10000,100000 1000,2000

Starts its own embedded PostgreSQL (fsync on), migrates, seeds, then writes one product per size with exactly
that many stock movements (generate_series, one day) so each export's filter selects N rows.
"""

import json
import os
import platform
import resource
import subprocess
import sys
import time

import psycopg

from bench.ventas import bench_database

DIA = "2026-11-02"


def poblar(owner_url: str, tamanos: list[int]) -> dict[int, int]:
    """One product per size with `n` movements on DIA (Lima): {n: producto_id}."""
    productos = {}
    with psycopg.connect(owner_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        almacen = conn.execute("""
            INSERT INTO almacenes (nombre, tipo, sucursal_id, predeterminado, activo, created_at, direccion, ubigeo)
            SELECT 'Almacén central', 'SUCURSAL', min(id), true, true, now(), '', '' FROM sucursales
            RETURNING id""").fetchone()[0]
        for n in sorted(set(tamanos)):
            producto = conn.execute("""
                INSERT INTO productos (sku, nombre, descripcion, precio, precio_incluye_igv, afectacion_igv,
                                       unidad_medida, permite_venta_sin_stock, trazabilidad, bolsa_plastica, activo,
                                       created_at, peso_kg, volumen_m3)
                VALUES (%s, %s, '', 11.80, true, '10', 'NIU', false, false, false, true, now(), 1, 0)
                RETURNING id""", (f"SKU-{n}", f"Producto de {n} movimientos")).fetchone()[0]
            conn.execute("""
                INSERT INTO movimientos_stock (created_at, producto_id, almacen_id, tipo_movimiento, cantidad, motivo,
                                               referencia_doc)
                SELECT %(dia)s::timestamptz + interval '6 hours' + g * interval '1 second' * 0.5, %(p)s, %(a)s,
                       'VENTA', -(1 + g %% 7), 'Venta en tienda', 'B001-' || lpad(g::text, 8, '0')
                FROM generate_series(1, %(n)s) g""", {"dia": f"{DIA} 00:00-05", "p": producto, "a": almacen, "n": n})
            productos[n] = producto
        conn.execute("ANALYZE movimientos_stock")
    return productos


def uno(url: str, formato: str, producto: int) -> dict:
    """One export in this process: wall and CPU seconds, bytes, rows, and the peak RSS over the one after the
    imports (CPU time says more than wall time on a shared, loaded machine)."""
    os.environ["DATABASE_URL"] = url
    from core.db import session_scope
    from services.reportes import exportaciones

    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with session_scope() as s:
        user = exportaciones.usuario(s, 1)
        inicio, cpu = time.perf_counter(), time.process_time()
        contenido, _, filas = exportaciones.archivo(s, user, "kardex", {"desde": DIA, "hasta": DIA,
                                                                         "producto_id": producto}, formato)
        segundos, cpu = time.perf_counter() - inicio, time.process_time() - cpu
    pico = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"s": segundos, "cpu": cpu, "mb": len(contenido) / 1e6, "filas": filas, "base_mib": base / 1024,
            "pico_mib": pico / 1024}


def main(xlsx: list[int], pdf: list[int]) -> None:
    carga = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"# {platform.node()} · {platform.processor() or platform.machine()} · {os.cpu_count()} cores · "
          f"load {carga} · {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    with bench_database("bench-reportes-") as (owner_url, url):
        productos = poblar(owner_url, xlsx + pdf)
        for formato, tamanos in (("xlsx", xlsx), ("pdf", pdf)):
            for n in tamanos:
                salida = subprocess.run([sys.executable, __file__, "--uno", url, formato, str(productos[n])],
                                        check=True, capture_output=True, text=True,
                                        env=dict(os.environ, PYTHONPATH=os.getcwd())).stdout
                r = json.loads(salida.strip().splitlines()[-1])
                print(f"{formato:4} {n:>7} rows  {r['s']:7.2f} s (CPU {r['cpu']:6.2f} s)  {r['mb']:6.2f} MB  "
                      f"peak RSS {r['pico_mib']:6.0f} MiB "
                      f"(+{r['pico_mib'] - r['base_mib']:.0f} over the imports)  load {os.getloadavg()[0]:.2f}",
                      flush=True)
                assert r["filas"] == n, r


if __name__ == "__main__":
    if sys.argv[1:2] == ["--uno"]:
        print(json.dumps(uno(sys.argv[2], sys.argv[3], int(sys.argv[4]))))
    else:
        main([int(n) for n in (sys.argv[1] if len(sys.argv) > 1 else "10000,100000").split(",")],
             [int(n) for n in (sys.argv[2] if len(sys.argv) > 2 else "1000,2000").split(",") if n])
