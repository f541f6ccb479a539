"""Profile of `POST /api/ventas/` in process: statements per sale and where the time goes (issue 13).

    PYTHONPATH=. .venv/bin/python bench/finanzas_ventas_perfil.py [N_VENTAS] [--sin-asiento] [--top 25]

One embedded PostgreSQL seeded as bench/finanzas_ventas.py's (60 costed products, an open register), the app
in this process behind FastAPI's TestClient, N sequential 3-line cash sales (after 20 to warm the caches).
Every statement the sale's connection sends is counted (a SQLAlchemy `before_cursor_execute` listener: an
executemany counts once, as it is one round trip with insertmanyvalues), grouped by its first words, and the
sales run under cProfile: the cumulative time of services.ventas.registrar and of the module-6 postings.
`--sin-asiento` switches the postings off as bench/sin_asiento does, for the difference.
"""

import cProfile
import pstats
import re
import sys
import time
from collections import Counter

from fastapi.testclient import TestClient
from sqlalchemy import event

from bench.ventas import _venta, bench_database, preparar

FUNCIONES = ("services/ventas.py:.*\\(registrar\\)", "contabilizar.py:.*\\(contabilizar_comprobante\\)",
             "contabilizar.py:.*\\(contabilizar_venta\\)", "asientos.py:.*\\(registrar\\)",
             "contabilizar.py:.*\\(costo_de_salida\\)")


def _clave(sql: str) -> str:
    palabras = re.sub(r"\s+", " ", sql).strip().split(" ")
    return " ".join(palabras[:6])[:90]


def main(n: int, sin_asiento: bool, top: int) -> None:
    with bench_database("bench-finanzas-perfil-"):
        if sin_asiento:
            import services.finanzas as finanzas

            finanzas.contabilizar_comprobante = finanzas.contabilizar_venta = lambda *_a, **_k: None
        import services.ventas as ventas
        from api.main import create_app
        from core.db import get_engine

        perfil = cProfile.Profile()
        registrar = ventas.registrar

        def perfilado(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202 - the endpoint runs in a worker thread
            return perfil.runcall(registrar, *args, **kwargs) if contando else registrar(*args, **kwargs)

        ventas.registrar = perfilado

        sentencias: Counter[str] = Counter()
        contando = False

        def contar(_conn, _cursor, sql, _params, _context, _executemany) -> None:  # noqa: ANN001
            if contando:
                sentencias[_clave(sql)] += 1

        event.listen(get_engine(), "before_cursor_execute", contar)
        with TestClient(create_app()) as c:
            headers, productos = preparar(c)
            for _ in range(20):
                c.post("/api/ventas/", headers=headers, json=_venta(productos, None)).raise_for_status()
            contando = True
            inicio = time.perf_counter()
            for _ in range(n):
                c.post("/api/ventas/", headers=headers, json=_venta(productos, None)).raise_for_status()
            total = time.perf_counter() - inicio
            contando = False
    print(f"{n} sales {'without' if sin_asiento else 'with'} the entry: {1000 * total / n:.1f} ms per POST "
          f"under the profiler; {sum(sentencias.values()) / n:.1f} statements per sale")
    for sql, veces in sentencias.most_common(top):
        print(f"  {veces / n:5.2f}  {sql}")
    stats = pstats.Stats(perfil)
    for patron in FUNCIONES:
        for (archivo, linea, nombre), (_cc, nc, _tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
            if re.search(patron, f"{archivo}:{linea}({nombre})"):
                print(f"  {nombre:28s} {nc / n:4.1f} calls/sale  {1000 * ct / n:6.1f} ms/sale")


if __name__ == "__main__":
    args = sys.argv[1:]
    numeros = [int(a) for i, a in enumerate(args) if a.isdigit() and (i == 0 or args[i - 1] != "--top")]
    main(numeros[0] if numeros else 100, "--sin-asiento" in args,
         int(args[args.index("--top") + 1]) if "--top" in args else 25)
