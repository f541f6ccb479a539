"""Benchmark of module 8's file generation (no database): a kardex-shaped table of N rows (date-time, text,
quantity, money columns) written as xlsx and as PDF, seconds and bytes per size. The export activity's time is
this plus the report's own query.

    PYTHONPATH=. .venv/bin/python bench/reportes.py 10000,100000 1000,5000
"""

import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from models.configuracion import Configuracion
from services.reportes import archivos
from services.reportes.catalogo import REPORTES, Tabla

EMPRESA = Configuracion(ruc="20100066603", razon_social="JSOLUCIONES DEMO S.A.C.", nombre_comercial="JSoluciones")


def tabla(n: int) -> Tabla:
    inicio = datetime(2026, 11, 1, 13, tzinfo=UTC)
    filas = [(inicio + timedelta(minutes=i), f"SKU-{i % 500:04d} Producto {i % 500}", "Almacén central", "VENTA",
              Decimal(-(i % 7 + 1)), "Venta en tienda", f"B001-{i:08d}") for i in range(n)]
    return Tabla("Kardex (movimientos de stock)", list(REPORTES["kardex"].columnas), filas, "desde: 2026-11-01")


def medir(formato: str, n: int) -> None:
    t = tabla(n)
    inicio = time.perf_counter()
    contenido = archivos.generar(t, formato, EMPRESA, datetime.now(UTC))
    print(f"{formato:4} {n:>7} rows  {time.perf_counter() - inicio:7.2f} s  {len(contenido) / 1e6:6.2f} MB", flush=True)


if __name__ == "__main__":
    xlsx = [int(n) for n in (sys.argv[1] if len(sys.argv) > 1 else "10000,100000").split(",")]
    pdf = [int(n) for n in (sys.argv[2] if len(sys.argv) > 2 else "1000,5000").split(",")]
    for n in xlsx:
        medir("xlsx", n)
    for n in pdf:
        medir("pdf", n)
