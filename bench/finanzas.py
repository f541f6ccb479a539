"""Benchmark of module 6: the ledger (libro mayor) of one account and month at 1M journal lines, the trial
balance of a month with 100,000 entries, and PLE generation for that month (seconds, peak memory).

    PYTHONPATH=. .venv/bin/python bench/finanzas.py 500000          # BENCH_SIN_PLE=1: ledger and trial balance only

Starts its own embedded PostgreSQL (fsync on), migrates, seeds the PCGE, then bulk-loads N balanced entries of
two lines each (N = 500,000 → 1M lines): 100,000 in the measured month, the rest spread over the previous 11.
The bulk load runs with the tables' own triggers disabled by their owner (the per-row balance checks: they are
what the tests exercise; here only the read paths are timed). Every query is the API's own.
"""

import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import date
from pathlib import Path

from cryptography.fernet import Fernet

os.environ.setdefault("SECRET_KEY", "bench-secret-key-not-for-production-0123456789")
os.environ.setdefault("ENCRYPTION_KEY", Fernet.generate_key().decode())
os.environ.setdefault("STORAGE_DIR", tempfile.mkdtemp(prefix="bench-fin-storage-"))

from sqlalchemy import text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from core.db import make_engine  # noqa: E402
from core.embedded import EmbeddedPostgres, free_port  # noqa: E402
from core.migrate import upgrade  # noqa: E402

MES = date(2026, 6, 1)
PERIODO = f"{MES:%Y%m}"
EN_EL_MES = int(os.environ.get("BENCH_EN_EL_MES", "100000"))


def poblar(session: Session, total: int) -> None:
    from services.seed import seed_demo_company, seed_roles

    seed_roles(session)
    seed_demo_company(session, "admin@bench.pe", "bench-password-123")
    session.commit()
    for tabla in ("asientos_contables", "lineas_asiento"):  # the owner may (a superuser is not needed)
        session.execute(text(f"ALTER TABLE {tabla} DISABLE TRIGGER USER"))
    hojas = session.execute(text("SELECT array_agg(id ORDER BY codigo) FROM cuentas_contables "
                                 "WHERE acepta_movimiento")).scalar_one()
    centro = session.execute(text("SELECT id FROM centros_costo LIMIT 1")).scalar_one()
    # Entry g: in the measured month for g <= EN_EL_MES, else over the 11 months before it.
    session.execute(text("""
        INSERT INTO asientos_contables (id, fecha, periodo, cuo, descripcion, centro_costo_id, referencia_tipo,
                                        referencia_id, origen, moneda, tipo_cambio, estado)
        SELECT g, f, to_char(f, 'YYYYMM'), g::text, 'Asiento ' || g, :c, 'MANUAL', '', 'MANUAL', 'PEN', 1,
               'CONTABILIZADO'
        FROM (SELECT g, CASE WHEN g <= :m THEN CAST(:mes AS date) + (g % 28)
                             ELSE CAST(:mes AS date) - 1 - (g % 330) END AS f
              FROM generate_series(1, :n) g) s
    """), {"c": centro, "m": EN_EL_MES, "mes": MES, "n": total})
    session.execute(text("""
        INSERT INTO lineas_asiento (asiento_id, numero, fecha, cuenta_id, centro_costo_id, debe, haber, descripcion)
        SELECT a.id, n, a.fecha, (CAST(:h AS int[]))[1 + (a.id * 31 + n * 17) % cardinality(CAST(:h AS int[]))], :c,
               CASE WHEN n = 1 THEN 100 + a.id % 900 ELSE 0 END, CASE WHEN n = 2 THEN 100 + a.id % 900 ELSE 0 END, ''
        FROM asientos_contables a CROSS JOIN generate_series(1, 2) n
    """), {"h": hojas, "c": centro})
    session.execute(text("SELECT setval(pg_get_serial_sequence('asientos_contables', 'id'), :n)"), {"n": total})
    for tabla in ("asientos_contables", "lineas_asiento"):
        session.execute(text(f"ALTER TABLE {tabla} ENABLE TRIGGER USER"))
    session.commit()
    # What autovacuum does after a load: statistics and the visibility map index-only scans rely on.
    with session.get_bind().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def cerrar_meses_anteriores(session: Session) -> None:
    """What a year of monthly closes leaves: the 11 months before the measured one CERRADO, with their sums."""
    from services.finanzas import libros

    for n in range(1, 12):
        mes = date(MES.year - (MES.month - n <= 0), (MES.month - n - 1) % 12 + 1, 1)
        session.execute(text("INSERT INTO periodos_tributarios (anio, mes, estado) VALUES (:a, :m, 'CERRADO')"),
                        {"a": mes.year, "m": mes.month})
        libros.guardar_saldos_mensuales(session, f"{mes:%Y%m}")
    session.commit()
    with session.get_bind().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE saldos_mensuales"))


def medir_mayor(session: Session, cuentas: list[str]) -> list[float]:
    from services.finanzas import libros

    tiempos = []
    for i in range(300):
        t = time.perf_counter()
        libros.mayor(session, PERIODO, cuentas[i % len(cuentas)], None, 50, 0)
        tiempos.append((time.perf_counter() - t) * 1000)
    return tiempos


def medir_pagina_profunda(session: Session, cuentas: list[str]) -> tuple[list[float], list[float]]:
    """A page of 50 from the middle of each account's month: by OFFSET, and by the cursor the page before it
    handed out (what a client walking the book sends)."""
    from services.finanzas import libros

    por_offset, por_cursor = [], []
    for i in range(100):
        cuenta = cuentas[i % len(cuentas)]
        mitad = libros.mayor(session, PERIODO, cuenta, None, 1, 0)[2] // 2
        cursor = libros.mayor(session, PERIODO, cuenta, None, 50, max(0, mitad - 50))[3]
        t = time.perf_counter()
        libros.mayor(session, PERIODO, cuenta, None, 50, mitad)
        por_offset.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        libros.mayor(session, PERIODO, cuenta, None, 50, 0, cursor)
        por_cursor.append((time.perf_counter() - t) * 1000)
    return por_offset, por_cursor


def percentiles(tiempos: list[float]) -> tuple[float, float]:
    q = statistics.quantiles(tiempos, n=100)
    return q[49], q[94]


def main(total: int) -> None:
    from services.finanzas import cierre, libros, ple

    tmp = Path(tempfile.mkdtemp(prefix="bench-fin-"))
    tmp.chmod(0o755)
    server = EmbeddedPostgres(tmp / "data", port=free_port())
    url = server.start()
    try:
        upgrade(url)
        engine = make_engine(url)
        with Session(engine) as s:
            inicio = time.perf_counter()
            poblar(s, total)
            lineas = s.execute(text("SELECT count(*) FROM lineas_asiento")).scalar_one()
            print(f"loaded {lineas:,} lines in {time.perf_counter() - inicio:.1f} s")
            cuentas = s.execute(text("SELECT c.codigo FROM lineas_asiento l JOIN cuentas_contables c "
                                     "ON c.id = l.cuenta_id GROUP BY c.codigo")).scalars().all()
            por_cuenta = lineas // len(cuentas)
            for estado in ("no month closed", "the 11 months before it closed"):
                if estado != "no month closed":
                    cerrar_meses_anteriores(s)
                p50, p95 = percentiles(medir_mayor(s, cuentas))
                print(f"ledger (one account, one month, first page of 50, with opening and running balance), "
                      f"{estado}: p50 {p50:.1f} ms, p95 {p95:.1f} ms ({len(cuentas)} accounts, "
                      f"≈{por_cuenta:,} lines each)")
            por_offset, por_cursor = medir_pagina_profunda(s, cuentas)
            for nombre, tiempos in (("OFFSET", por_offset), ("cursor", por_cursor)):
                p50, p95 = percentiles(tiempos)
                print(f"ledger page of 50 from the middle of the month by {nombre}: p50 {p50:.1f} ms, p95 {p95:.1f} ms")
            tiempos = []
            for _ in range(5):
                t = time.perf_counter()
                libros.balance_comprobacion(s, PERIODO)
                tiempos.append(time.perf_counter() - t)
            print(f"trial balance of a month with {EN_EL_MES:,} entries: median {statistics.median(tiempos):.2f} s")
            if os.environ.get("BENCH_SIN_PLE"):
                return
            t = time.perf_counter()
            archivos = ple.generar_archivos(s, PERIODO)
            segundos = time.perf_counter() - t
            tracemalloc.start()  # a second run under tracemalloc (it slows Python down): peak memory only
            ple.generar_archivos(s, PERIODO)
            pico = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            tamanos = {n[21:27]: f"{len(d) / 2**20:.1f} MiB" for n, d in archivos.items()}
            print(f"PLE of that month (5 books): {segundos:.1f} s, peak Python memory {pico / 2**20:.0f} MiB, "
                  f"sizes {tamanos}")
            t = time.perf_counter()
            cierre.generar_ple(s, PERIODO)
            print(f"generar-ple (books + zip + store): {time.perf_counter() - t:.1f} s")
        engine.dispose()
    finally:
        server.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500_000)
