"""Benchmark: SUNAT electronic invoicing.

    PYTHONPATH=. .venv/bin/python bench/facturacion.py [N_EMISIONES] [N_FIRMAS] [--sandbox-ligero]

`--sandbox-ligero` starts the sandbox with --sin-xsd --sin-firma (it still parses, stores and signs its CDR),
to see the ERP's own ceiling rather than the sandbox's checks (≈ 96 ms per document in one process).

1. build + sign: UBL 2.1 XML of a 3-line factura built and signed (demo PFX), single thread, per second.
2. end to end: N facturas issued by 8 threads through `services.facturacion.emitir` (commit → outbox →
   EmitirComprobante on the real worker → XML signed and stored → sendBill to the local SUNAT sandbox, which
   checks XSD and signature → CDR stored → ACEPTADO → PDF), latency from commit to ACEPTADO and throughput.

Everything runs on this machine: embedded PostgreSQL (fsync on), Temporal dev server, the SOAP sandbox and
the worker share the CPUs; the sandbox runs in its own process (SUNAT is remote in production).
"""

import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

from core import audit
from core.db import reset_engine, session_scope
from core.embedded import EmbeddedPostgres, free_port, start_temporal_dev_server, wait_for_port
from core.migrate import upgrade
from tests.conftest import BackgroundWorker, set_env  # the same "real worker in a thread" harness as the tests


def _datos(i: int):  # noqa: ANN202
    from services.facturacion import ClienteDatos, DatosEmision, LineaDatos

    lineas = [LineaDatos(f"P{j}", f"Producto {i}-{j}", Decimal(j + 1), Decimal("12.50")) for j in range(3)]
    return DatosEmision(ClienteDatos("6", "20100047218", "CLIENTE DEMO S.A.C."), lineas)


def firmas_por_segundo(n: int) -> float:
    from integrations.sunat.ubl import construir_xml
    from services import facturacion, facturacion_sunat

    with session_scope() as s:
        pfx, password = facturacion_sunat.certificado(s)
    with session_scope() as s:  # a document built from real rows, then rolled back
        documento = facturacion.documento_sunat(s, facturacion.registrar_emision(s, _datos(0)))
        s.rollback()
    inicio = time.perf_counter()
    for i in range(n):
        documento.numero = i + 1
        facturacion_sunat.firma.firmar_xml(construir_xml(documento), pfx, password)
    return n / (time.perf_counter() - inicio)


def _emitir(i: int) -> tuple[int, float]:
    from services import facturacion

    with session_scope() as s:
        c = facturacion.emitir(s, _datos(i))
    return c.id, time.perf_counter()


def _emitir_a_ritmo(n: int, por_segundo: float, desde: int) -> dict[int, float]:
    emitidos = {}
    for i in range(n):
        cid, t = _emitir(desde + i)
        emitidos[cid] = t
        time.sleep(max(0.0, 1 / por_segundo - (time.perf_counter() - t)))
    return emitidos


def _esperar_pdfs(ids: list[int]) -> None:
    from sqlalchemy import text

    while True:
        with session_scope() as s:
            if not s.execute(text("SELECT count(*) FROM comprobantes WHERE pdf_path IS NULL AND id = ANY(:ids)"),
                             {"ids": ids}).scalar():
                return
        time.sleep(0.05)


def _vigilar(aceptados: dict[int, float], parar: threading.Event) -> None:
    """Record when each comprobante is first seen ACEPTADO (polling every 20 ms, concurrently with emission)."""
    from sqlalchemy import text

    while not parar.is_set():
        with session_scope() as s:
            filas = s.execute(text("SELECT id FROM comprobantes WHERE estado_sunat = 'ACEPTADO'")).scalars().all()
        ahora = time.perf_counter()
        for cid in filas:
            aceptados.setdefault(cid, ahora)
        time.sleep(0.02)


def extremo_a_extremo(n: int, por_segundo: float | None = None, desde: int = 0) -> dict:
    """A burst of `n` from 8 threads, or `n` at a steady `por_segundo` (latency without queueing)."""
    aceptados: dict[int, float] = {}
    parar = threading.Event()
    vigia = threading.Thread(target=_vigilar, args=(aceptados, parar), daemon=True)
    vigia.start()
    inicio = time.perf_counter()
    if por_segundo:
        emitidos = _emitir_a_ritmo(n, por_segundo, desde)
    else:
        with ThreadPoolExecutor(max_workers=8) as pool:
            emitidos = dict(pool.map(_emitir, range(desde, desde + n)))
    while not all(cid in aceptados for cid in emitidos):
        if time.perf_counter() - inicio > 600:
            raise RuntimeError("not all accepted after 10 min")
        time.sleep(0.05)
    fin_aceptados = max(aceptados[cid] for cid in emitidos)
    _esperar_pdfs(list(emitidos))  # the PDFs and e-mails still being produced are part of the work
    con_pdf = time.perf_counter() - inicio
    parar.set()
    vigia.join()
    latencias = sorted((aceptados[cid] - t) * 1000 for cid, t in emitidos.items())
    q = statistics.quantiles(latencias, n=100)
    total = fin_aceptados - inicio
    return {"n": n, "segundos": total, "por_segundo": n / total, "p50_ms": q[49], "p99_ms": q[98],
            "con_pdf": n / con_pdf}


def main(n_emisiones: int, n_firmas: int, ligero: bool) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-facturacion-"))
    tmp.chmod(0o755)
    pg = EmbeddedPostgres(tmp / "pg", port=free_port())
    owner_url, url = pg.start(), pg.app_url  # the worker runs as the restricted role, as in production
    temporal_port = free_port()
    temporal = start_temporal_dev_server(None, temporal_port, None)
    sunat_port = free_port()
    sandbox = subprocess.Popen([sys.executable, "-m", "integrations.sunat.sandbox", "--port", str(sunat_port),
                                "--control-port", str(free_port()), "--data-dir", str(tmp / "sandbox")]
                               + (["--sin-xsd", "--sin-firma"] if ligero else []))
    wait_for_port(sunat_port)
    try:
        set_env(DATABASE_URL=url, STORAGE_DIR=str(tmp / "storage"), TEMPORAL_ADDRESS=f"127.0.0.1:{temporal_port}",
                SUNAT_SANDBOX_PORT=str(sunat_port))
        reset_engine()
        upgrade(owner_url, url)
        audit.install()
        from services.seed import seed_demo_company, seed_roles

        with session_scope() as s:
            seed_roles(s)
            seed_demo_company(s, "admin@bench.pe", "bench-password-123")
        print(f"build + sign: {firmas_por_segundo(n_firmas):.1f} documents/s ({n_firmas} documents, 1 thread)")
        worker = BackgroundWorker(f"127.0.0.1:{temporal_port}").start()
        try:
            r = extremo_a_extremo(n_emisiones)
            print(f"end to end, burst: {r['n']} facturas in {r['segundos']:.1f} s = {r['por_segundo']:.1f}/s "
                  f"ACEPTADO ({r['con_pdf']:.1f}/s with the PDF stored); commit → ACEPTADO p50 {r['p50_ms']:.0f} ms, "
                  f"p99 {r['p99_ms']:.0f} ms")
            r = extremo_a_extremo(max(n_emisiones // 4, 10), por_segundo=2, desde=n_emisiones)
            print(f"end to end, steady 2/s: {r['n']} facturas; commit → ACEPTADO p50 {r['p50_ms']:.0f} ms, "
                  f"p99 {r['p99_ms']:.0f} ms")
        finally:
            worker.stop()
    finally:
        sandbox.terminate()
        temporal.terminate()
        reset_engine()
        pg.stop()


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:] if a.isdigit()]
    main(args[0] if args else 200, args[1] if len(args) > 1 else 200, "--sandbox-ligero" in sys.argv)
