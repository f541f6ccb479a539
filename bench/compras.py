"""Benchmarks of module 5: the three-way match of a 200-line invoice against an OC with 5 partial receptions
(p50/p95 of `services.compras.facturas.conciliar`, the endpoint's whole transaction), and the 07:00 proposal run
over N product-warehouse rows with 10 % under their minimum, at several N.

    PYTHONPATH=. .venv/bin/python bench/compras.py 5000,20000,40000

Starts its own embedded PostgreSQL (fsync on), migrates and seeds. The match's data goes through the services
(OC, approval, 5 receptions with their stock movements and entries, the invoice); the proposal runs' purchase
history and stock rows are bulk-loaded with SQL (50 suppliers, every product bought from one or two of them).
"""

import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from cryptography.fernet import Fernet

os.environ.setdefault("SECRET_KEY", "bench-secret-key-not-for-production-0123456789")
os.environ.setdefault("ENCRYPTION_KEY", Fernet.generate_key().decode())

from sqlalchemy import text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from core.db import get_engine, reset_engine, session_scope  # noqa: E402
from core.embedded import EmbeddedPostgres, free_port  # noqa: E402
from core.migrate import upgrade  # noqa: E402

LINEAS = 200


def _preparar() -> tuple[int, int]:
    from services.seed import seed_demo_company, seed_roles

    with session_scope() as s:
        seed_roles(s)
        seed_demo_company(s, "admin@bench.pe", "bench-password-123")
    with session_scope() as s:
        sucursal = s.execute(text("SELECT id FROM sucursales LIMIT 1")).scalar_one()
        almacen = s.execute(text("INSERT INTO almacenes (nombre, tipo, sucursal_id, predeterminado, activo, created_at)"
                                 " VALUES ('Bench', 'PRINCIPAL', :s, true, true, now()) RETURNING id"),
                            {"s": sucursal}).scalar_one()
        usuario = s.execute(text("SELECT id FROM usuarios LIMIT 1")).scalar_one()
    return almacen, usuario


def _productos(s: Session, n: int, prefijo: str) -> list[int]:
    return list(s.execute(text("""
        INSERT INTO productos (sku, nombre, descripcion, precio, precio_incluye_igv, afectacion_igv, unidad_medida,
                               permite_venta_sin_stock, trazabilidad, bolsa_plastica, activo, created_at)
        SELECT :p || g, 'Producto ' || g, '', 10, true, '10', 'NIU', false, false, false, true, now()
        FROM generate_series(1, :n) g RETURNING id"""), {"p": prefijo, "n": n}).scalars())


def bench_conciliacion(almacen: int, usuario: int, repeticiones: int = 60) -> tuple[float, float]:
    from services.compras import facturas, ordenes, proveedores, recepciones

    with Session(get_engine(), expire_on_commit=False) as s:
        proveedor = proveedores.crear(s, proveedores.ProveedorIn(ruc="20100066603", razon_social="BENCH SAC"))
        productos = _productos(s, LINEAS, "M")
        s.commit()
        oc = ordenes.crear(s, usuario, ordenes.OrdenIn(
            proveedor_id=proveedor.id, almacen_destino_id=almacen,
            lineas=[{"producto_id": p, "cantidad": "10", "precio_unitario": "2.00"} for p in productos]))
        ordenes.enviar(s, oc.id)
        detalle = ordenes.detalle(s, oc.id)
        for _ in range(5):
            recepciones.registrar(s, usuario, recepciones.RecepcionIn(orden_id=oc.id, lineas=[
                {"detalle_orden_id": d.id, "cantidad_recibida": "2"} for d in detalle]))
        lineas = [{"detalle_orden_id": d.id, "cantidad": "10", "precio_unitario": "2.00", "base": "20.00",
                   "igv": "3.60", "total": "23.60"} for d in detalle]
        factura = facturas.registrar(s, usuario, facturas.FacturaIn(
            orden_id=oc.id, ruc_proveedor="20100066603", numero_factura="F001-1", fecha_emision=ordenes.hoy(),
            monto_base=Decimal("4000.00"), igv=Decimal("720.00"), total=Decimal("4720.00"), lineas=lineas))
        tiempos = []
        for _ in range(repeticiones):
            s.execute(text("UPDATE facturas_proveedor SET estado = 'REGISTRADA' WHERE id = :i"), {"i": factura.id})
            s.commit()
            s.expire_all()
            t0 = time.perf_counter()
            assert facturas.conciliar(s, factura.id).estado == "CONCILIADA"
            tiempos.append((time.perf_counter() - t0) * 1000)
    tiempos.sort()
    return statistics.median(tiempos), tiempos[int(len(tiempos) * 0.95) - 1]


def bench_propuestas(almacen: int, filas: int, ronda: int) -> tuple[float, int, int]:
    """`filas` product-warehouse rows (4 warehouses), 10 % at or under their minimum; seconds, OCs, lines."""
    from services.compras import planificacion

    with session_scope() as s:
        s.execute(text("UPDATE productos_almacen SET stock_minimo = 0, stock_actual = 1"))  # earlier rounds
        sucursal = s.execute(text("SELECT id FROM sucursales LIMIT 1")).scalar_one()
        almacenes = [almacen] + list(s.execute(text(
            "INSERT INTO almacenes (nombre, tipo, sucursal_id, predeterminado, activo, created_at) "
            "SELECT 'Bench ' || :r || '-' || g, 'SUCURSAL', :s, false, true, now() FROM generate_series(1, 3) g "
            "RETURNING id"), {"r": ronda, "s": sucursal}).scalars())
        productos = _productos(s, filas // 4, f"R{ronda}-")
        proveedores = list(s.execute(text(
            "INSERT INTO proveedores (ruc, razon_social, direccion, contacto, telefono, email, condicion_pago, "
            "dias_credito, limite_credito, activo, created_at) SELECT '2070000' || lpad((:r * 100 + g)::text, 4, '0'),"
            " 'PROV ' || g, '', '', '', '', 'CONTADO', 0, 0, true, now() FROM generate_series(1, 50) g "
            "RETURNING id"), {"r": ronda}).scalars())
        # history: one closed OC per supplier with the products it sells (each product from 1 or 2 suppliers)
        s.execute(text("""
            INSERT INTO ordenes_compra (proveedor_id, estado, fecha_creacion, almacen_destino_id, moneda, tipo_cambio,
                                        total, total_pen, notas, nivel_aprobacion, envio, comentario_aprobacion)
            SELECT p, 'CERRADA', now() - interval '10 days', :a, 'PEN', 1, 0, 0, '', 0, 1, ''
            FROM unnest(CAST(:prov AS int[])) p"""), {"a": almacen, "prov": proveedores})
        s.execute(text("""
            INSERT INTO detalle_orden_compra (orden_id, producto_id, cantidad, precio_unitario, subtotal,
                                              cantidad_recibida, cantidad_cancelada)
            SELECT o.id, x.producto, 10, 5 + (x.i % 7), 50, 10, 0
            FROM (SELECT producto, i FROM unnest(CAST(:prods AS int[])) WITH ORDINALITY AS u(producto, i)) x
            JOIN LATERAL (SELECT unnest(ARRAY[x.i % 50, (x.i * 7) % 50]) AS k) sel ON true
            JOIN ordenes_compra o ON o.proveedor_id = (CAST(:prov AS int[]))[sel.k + 1]
            GROUP BY o.id, x.producto, x.i"""), {"prods": productos, "prov": proveedores})
        s.execute(text("""
            INSERT INTO productos_almacen (producto_id, almacen_id, stock_actual, stock_minimo, stock_maximo,
                                           stock_seguridad)
            SELECT p, a, CASE WHEN (p + a) % 10 = 0 THEN 2 ELSE 50 END, 5, 40, 0
            FROM unnest(CAST(:prods AS int[])) p CROSS JOIN unnest(CAST(:alm AS int[])) a
            ON CONFLICT (producto_id, almacen_id) DO UPDATE SET stock_actual = EXCLUDED.stock_actual,
                stock_minimo = 5, stock_maximo = 40"""), {"prods": productos, "alm": almacenes})
        s.execute(text("ANALYZE"))
    with Session(get_engine(), expire_on_commit=False) as s:
        t0 = time.perf_counter()
        creadas = planificacion.generar_propuestas(s, planificacion.hoy_lima() + timedelta(days=ronda))
        segundos = time.perf_counter() - t0
        lineas = s.execute(text("SELECT count(*) FROM detalle_orden_compra WHERE orden_id = ANY(:i)"),
                           {"i": creadas}).scalar_one()
    return segundos, len(creadas), lineas


def main() -> None:
    tamanos = [int(x) for x in (sys.argv[1] if len(sys.argv) > 1 else "5000,20000").split(",")]
    data = Path(tempfile.mkdtemp(prefix="bench-compras-"))
    data.chmod(0o755)
    pg = EmbeddedPostgres(data / "pg", port=free_port())
    url = pg.start()
    os.environ["DATABASE_URL"] = url
    from core.settings import get_settings

    get_settings.cache_clear()
    reset_engine()
    try:
        upgrade(url)
        almacen, usuario = _preparar()
        p50, p95 = bench_conciliacion(almacen, usuario)
        print(f"three-way match, {LINEAS} lines, 5 receptions: p50 {p50:.1f} ms, p95 {p95:.1f} ms")
        for ronda, filas in enumerate(tamanos, start=1):
            segundos, ocs, lineas = bench_propuestas(almacen, filas, ronda)
            print(f"proposals over {filas} product-warehouse rows ({filas // 10} under minimum): {segundos:.2f} s, "
                  f"{ocs} OCs, {lineas} lines")
    finally:
        reset_engine()
        pg.stop()


if __name__ == "__main__":
    main()
