"""Benchmark of bank reconciliation (issue 14): accuracy on the labelled data set (and on held-out sets the
matcher was never tuned on) beside the naive matcher, then speed: 5,000 bank lines against 20,000 open system
rows, in memory and through PostgreSQL (`sugerir`: load, match, store), and the suggestion list of one account.

    PYTHONPATH=. .venv/bin/python bench/conciliacion.py [--sin-bd | --solo-bd]

The database part starts its own embedded PostgreSQL (fsync on), migrates and seeds it.
"""

import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from cryptography.fernet import Fernet

os.environ.setdefault("SECRET_KEY", "bench-secret-key-not-for-production-0123456789")
os.environ.setdefault("ENCRYPTION_KEY", Fernet.generate_key().decode())
os.environ.setdefault("STORAGE_DIR", tempfile.mkdtemp(prefix="bench-conc-storage-"))

from sqlalchemy import text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from services.finanzas.motor import Documento, Linea, Motor, Operacion  # noqa: E402
from tests.finanzas.datos_conciliacion import evaluar, generar  # noqa: E402

D = Decimal
INICIO = date(2026, 5, 1)
SILABAS = ["AN", "DI", "NOR", "SUR", "TEX", "MAR", "CO", "LI", "MA", "PE", "RU", "SAN", "TA", "VE", "QUI", "LLA"]
GIROS = ["DISTRIBUIDORA", "COMERCIAL", "INVERSIONES", "TRANSPORTES", "CORPORACION", "SERVICIOS", "INDUSTRIAS"]


def informe(titulo: str, i: evaluar.Informe, n: evaluar.Informe) -> None:
    print(f"{titulo}: {i.lineas} lines — top suggestion right {i.exactitud:.1%}, without ITF/fees/interest "
          f"{i.exactitud_sin_bancarias:.1%}, link precision {i.precision:.1%} ({i.enlaces_correctos}/{i.enlaces}) "
          f"| naive: {n.exactitud:.1%}, without ITF/fees {n.exactitud_sin_bancarias:.1%}, precision {n.precision:.1%}")


def exactitud() -> None:
    i, n = evaluar.evaluar(evaluar.motor()), evaluar.evaluar(evaluar.ingenuo(), indulgente=True)
    informe("data set (tests/finanzas/datos_conciliacion)", i, n)
    print(f"  {'case':28} {'ours':>9} {'naive':>9}")
    for caso in sorted(i.por_caso):
        (a, t), (b, _) = i.por_caso[caso], n.por_caso[caso]
        print(f"  {caso:28} {a:>4}/{t:<4} {b:>4}/{t:<4}")
    for semilla in (11, 12, 13):
        carpeta = Path(tempfile.mkdtemp(prefix="bench-conc-"))
        generar.main(semilla, carpeta)
        informe(f"held-out set, seed {semilla}", evaluar.evaluar(evaluar.motor(carpeta), carpeta=carpeta),
                evaluar.evaluar(evaluar.ingenuo(carpeta), indulgente=True, carpeta=carpeta))


def sintetico(rng: random.Random, filas: int = 20_000, lineas: int = 5_000) -> tuple[list, list, list[Linea]]:
    """20,000 open rows (16,000 recorded collections/payments of 2,000 parties, 4,000 open documents) and 5,000
    bank lines over two months: 60 % pay a recorded operation (name cut), 25 % ITF/fees, 15 % nothing."""
    partes = [(f"20{rng.randint(10**8, 7 * 10**8)}", f"{rng.choice(GIROS)} " + " ".join(
        "".join(rng.sample(SILABAS, 3)) for _ in range(2)) + " S.A.C.") for _ in range(2000)]
    ops, docs = [], []
    for k in range(int(filas * 0.8)):
        doc, nombre = rng.choice(partes)
        tipo = "COBRO" if k % 4 else "PAGO"
        ops.append(Operacion(f"OP-{k}", (k,), tipo, D(rng.randint(1000, 900000)) / 100, "PEN",
                             INICIO + timedelta(days=rng.randint(0, 60)), "TRANSFERENCIA", "", doc, nombre,
                             (f"F001-{k}",)))
    for k in range(filas - len(ops)):
        doc, nombre = rng.choice(partes)
        docs.append(Documento(k, "CXC", f"F002-{k}", doc, nombre, D(rng.randint(1000, 900000)) / 100, "PEN",
                              INICIO - timedelta(days=20), INICIO + timedelta(days=rng.randint(0, 60))))
    bancarias = ["ITF", "COM.MANT.CTA", "PORTES", "COMISION TRANSF.INTERBANC"]
    resultado = []
    for k, op in enumerate(rng.sample(ops, int(lineas * 0.6))):
        signo = 1 if op.tipo == "COBRO" else -1
        resultado.append(Linea(k, op.fecha + timedelta(days=rng.randint(0, 2)),
                               f"TRANSF. DE {op.parte_nombre[:rng.randint(14, 30)]}", signo * op.monto))
    while len(resultado) < lineas:
        k = len(resultado)
        fecha = INICIO + timedelta(days=rng.randint(0, 60))
        if k % 8 < 5:
            resultado.append(Linea(k, fecha, rng.choice(bancarias), -D(rng.randint(5, 2500)) / 100))
        else:
            resultado.append(Linea(k, fecha, "DEPOSITO EN EFECTIVO", D(rng.randint(1000, 900000)) / 100))
    return ops, docs, resultado


def velocidad_memoria() -> None:
    ops, docs, lineas = sintetico(random.Random(7))
    tiempos = []
    for _ in range(3):
        t = time.perf_counter()
        resultados = Motor(ops, docs).conciliar(lineas)
        tiempos.append(time.perf_counter() - t)
    con = sum(1 for r in resultados if r.mejor is not None)
    print(f"matcher in memory, {len(lineas):,} lines vs {len(ops) + len(docs):,} open rows: median "
          f"{statistics.median(tiempos):.2f} s (runs {', '.join(f'{x:.2f}' for x in tiempos)}), "
          f"{con:,} lines with a top suggestion")


def velocidad_bd() -> None:
    from bench.ventas import bench_database
    from core.db import make_engine
    from services.finanzas import conciliacion

    ops, docs, lineas = sintetico(random.Random(7))
    with bench_database("bench-conc-") as (owner_url, url):  # migrated, seeded; the API's restricted role
        engine = make_engine(url)
        with Session(engine) as s:
            t = time.perf_counter()
            cuenta_id = cargar(s, ops, docs, lineas)
            print(f"loaded {len(ops):,} pagos_cobros (+ their receivables/payables), {len(docs):,} open documents "
                  f"and {len(lineas):,} movimientos_bancarios in {time.perf_counter() - t:.1f} s")
            tiempos = []
            for _ in range(3):
                t = time.perf_counter()
                con = conciliacion.sugerir(s, cuenta_id)
                s.commit()
                tiempos.append(time.perf_counter() - t)
            print(f"sugerir (read open rows from PostgreSQL, match, store suggestions), {len(lineas):,} lines vs "
                  f"{len(ops) + len(docs):,} rows: median {statistics.median(tiempos):.2f} s "
                  f"(runs {', '.join(f'{x:.2f}' for x in tiempos)}), {con:,} with a top suggestion")
            with make_engine(owner_url).connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))  # what autovacuum does after a load
            medidas = []
            for k in range(200):
                t = time.perf_counter()
                conciliacion.listar(s, cuenta_id, None, None, k % 4 == 0, D("0.5") if k % 2 else None, False,
                                    50, 0)
                medidas.append((time.perf_counter() - t) * 1000)
            q = statistics.quantiles(medidas, n=100)
            print(f"suggestion list of the account (first page of 50, filters varied): p50 {q[49]:.1f} ms, "
                  f"p95 {q[94]:.1f} ms")
            importar_grande(s)


def importar_grande(s: Session, n: int = 20_000) -> None:
    """The workflow's activity on a 20,000-line BCP export: parse, store in committed batches, match."""
    from models.conciliacion import ImportacionExtracto
    from services.finanzas import conciliacion

    rng = random.Random(3)
    filas = ["Movimientos de la cuenta", "Cuenta:;193-0000002-0-02", "",
             "Fecha;Fecha valuta;Descripción operación;Monto;Saldo;Operación - Número"]
    for k in range(n):
        f = INICIO + timedelta(days=60 - k * 60 // n)
        filas.append(f"{f:%d/%m/%Y};{f:%d/%m/%Y};TRAN.CTAS.TERC.BM {rng.choice(GIROS)} {k};"
                     f"{rng.randint(-90000, 90000) / 100 or 1:,.2f};;{k:08d}")
    contenido = "\r\n".join(filas).encode("cp1252")
    cuenta_id = s.execute(text("INSERT INTO cuentas_bancarias (banco, numero, cci, moneda, descripcion, "
                               "auto_confirmar, umbral_auto, activo) VALUES ('BCP', '193-0000002-0-02', '', 'PEN', "
                               "'bench', false, 0.95, true) RETURNING id")).scalar_one()
    importacion = ImportacionExtracto(cuenta_id=cuenta_id, archivo="grande.csv", contenido=contenido)
    s.add(importacion)
    s.commit()
    t = time.perf_counter()
    estado = conciliacion.procesar_importacion(s, importacion.id)
    print(f"background import of a {len(contenido) / 2**20:.1f} MiB, {n:,}-line BCP export (parse, fingerprint, "
          f"store in batches of {conciliacion.LOTE:,} with progress, then match against the open rows): "
          f"{time.perf_counter() - t:.1f} s, {estado}")


def cargar(s: Session, ops: list[Operacion], docs: list[Documento], lineas: list[Linea]) -> int:
    cuenta_id = s.execute(text("INSERT INTO cuentas_bancarias (banco, numero, cci, moneda, descripcion, "
                               "auto_confirmar, umbral_auto, activo) VALUES ('BCP', '193-0000001-0-01', '', 'PEN', "
                               "'bench', false, 0.95, true) RETURNING id")).scalar_one()
    cxc = [{"id": i + 1, "doc": o.parte_doc, "nombre": o.parte_nombre, "documento": o.documentos[0],
            "monto": o.monto, "f": o.fecha} for i, o in enumerate(ops) if o.tipo == "COBRO"]
    cxp = [{"id": i + 1, "doc": o.parte_doc, "nombre": o.parte_nombre, "documento": o.documentos[0],
            "monto": o.monto, "f": o.fecha} for i, o in enumerate(ops) if o.tipo == "PAGO"]
    s.execute(text("INSERT INTO cuentas_por_cobrar (id, cliente_numero_doc, cliente_razon_social, comprobante_id, "
                   "documento, cuota, moneda, tipo_cambio, monto_total, monto_pagado, saldo, saldo_pen, "
                   "fecha_emision, fecha_vencimiento, estado) VALUES (:id, :doc, :nombre, :id, :documento, 1, "
                   "'PEN', 1, :monto, :monto, 0, 0, :f, :f, 'PAGADA')"), cxc)
    s.execute(text("INSERT INTO cuentas_por_pagar (id, proveedor_ruc, proveedor_razon_social, tipo_documento, "
                   "documento, cuota, moneda, tipo_cambio, base_imponible, igv, monto_total, monto_pagado, saldo, "
                   "saldo_pen, fecha_emision, fecha_vencimiento, estado) VALUES (:id, left(:doc, 11), :nombre, "
                   "'01', :documento, 1, 'PEN', 1, :monto, 0, :monto, :monto, 0, 0, :f, :f, 'PAGADA')"), cxp)
    abiertos = [{"id": 10**6 + d.id, "doc": d.parte_doc, "nombre": d.parte_nombre, "documento": d.documento,
                 "monto": d.saldo, "f": d.fecha_emision, "v": d.fecha_vencimiento} for d in docs]
    s.execute(text("INSERT INTO cuentas_por_cobrar (id, cliente_numero_doc, cliente_razon_social, comprobante_id, "
                   "documento, cuota, moneda, tipo_cambio, monto_total, monto_pagado, saldo, saldo_pen, "
                   "fecha_emision, fecha_vencimiento, estado) VALUES (:id, :doc, :nombre, :id, :documento, 1, "
                   "'PEN', 1, :monto, 0, :monto, :monto, :f, :v, 'PENDIENTE')"), abiertos)
    pagos = [{"op": o.clave, "tipo": o.tipo, "cxc": i + 1 if o.tipo == "COBRO" else None,
              "cxp": i + 1 if o.tipo == "PAGO" else None, "monto": o.monto, "f": o.fecha} for i, o in enumerate(ops)]
    s.execute(text("INSERT INTO pagos_cobros (operacion, tipo, cuenta_cobrar_id, cuenta_pagar_id, monto, "
                   "monto_aplicado, metodo_pago, moneda, tipo_cambio, diferencia_cambio, referencia, fecha) VALUES "
                   "(:op, :tipo, :cxc, :cxp, :monto, :monto, 'TRANSFERENCIA', 'PEN', 1, 0, '', :f)"), pagos)
    movimientos = [{"c": cuenta_id, "f": li.fecha, "d": li.descripcion, "m": li.monto,
                    "t": "ABONO" if li.monto > 0 else "CARGO", "h": f"h{li.id}"} for li in lineas]
    s.execute(text("INSERT INTO movimientos_bancarios (cuenta_id, fecha, descripcion, monto, tipo, referencia, "
                   "huella, conciliado, clase, ambiguo) VALUES (:c, :f, :d, :m, :t, '', :h, false, '', false)"),
              movimientos)
    s.commit()
    return cuenta_id


if __name__ == "__main__":
    print(f"{date.today()} · {os.cpu_count()} CPUs · Python {sys.version.split()[0]}")
    if "--solo-bd" not in sys.argv:
        exactitud()
        velocidad_memoria()
    if "--sin-bd" not in sys.argv:
        velocidad_bd()
