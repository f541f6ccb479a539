"""Benchmark: a 1,000-recipient WhatsApp campaign against the local Meta stand-in, and `POST /api/ventas/`
latency beside it.

    PYTHONPATH=. .venv/bin/python bench/whatsapp.py [RECIPIENTS] [--rate 20]

Starts an embedded PostgreSQL, a Temporal dev server, the Meta Cloud API stand-in (integrations.whatsapp.sandbox,
statuses sent/delivered/read as signed webhooks to the API), the API (uvicorn, own process) and the worker
(own process). Measures `POST /api/ventas/` p50/p99 alone (bench/ventas.py's load, 300 sales), then runs the
campaign (template approved by Meta's webhook, 1,000 opted-in clients) and the same sale load during it.
Reports the campaign's wall time, the highest count of messages Meta received in any one second (must not
exceed --rate) and the highest count of unique recipients in any rolling 24 h (must not exceed the tier).
"""

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psycopg

from bench.ventas import _load, _prepare, _seed
from core.embedded import EmbeddedPostgres, free_port, start_temporal_dev_server, wait_for_port
from integrations.whatsapp.sandbox import Cuenta, MetaSandbox

VENTAS = 300
CUENTA = Cuenta("100000000000001", "200000000000001", "bench-token-123", "bench-app-secret-123")


def max_por_segundo(instantes: list[float]) -> int:
    """The most instants in any one-second window (a sliding window over the sorted times)."""
    instantes, mayor, j = sorted(instantes), 0, 0
    for i, t in enumerate(instantes):
        while t - instantes[j] >= 1.0:
            j += 1
        mayor = max(mayor, i - j + 1)
    return mayor


def _clientes(owner_url: str, n: int) -> None:
    with psycopg.connect(owner_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute("""
            INSERT INTO clientes (tipo_doc, numero_doc, razon_social, direccion, email, telefono, categoria,
                                  limite_credito, dias_credito, pais, tags, activo, created_at)
            SELECT '1', lpad(g::text, 8, '0'), 'Cliente ' || g, '', '', '9' || lpad(g::text, 8, '0'), 'CAMPANA',
                   0, 0, 'PE', '{}', true, now() FROM generate_series(1, %s) g""", (n,))
        conn.execute("""
            INSERT INTO wa_contactos (cliente_id, wa_id, opt_in, opt_in_fecha, opt_in_medio, opt_in_evidencia,
                                      opt_in_fuente, opt_out_motivo)
            SELECT id, '51' || telefono, true, now(), 'TIENDA', 'Acepto mensajes', 'bench', '' FROM clientes
            WHERE categoria = 'CAMPANA'""")


def _esperar(condicion, segundos: float) -> object:  # noqa: ANN001
    limite = time.monotonic() + segundos
    while time.monotonic() < limite:
        if valor := condicion():
            return valor
        time.sleep(0.2)
    raise TimeoutError(f"not within {segundos} s")


def main(n: int, rate: float) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-whatsapp-"))
    tmp.chmod(0o755)
    pg = EmbeddedPostgres(tmp / "pg", port=free_port())
    owner_url, url = pg.start(), pg.app_url
    temporal_port, api_port = free_port(), free_port()
    temporal = start_temporal_dev_server(None, temporal_port, None)
    api = f"http://127.0.0.1:{api_port}"
    meta = MetaSandbox(webhook_url=f"{api}/api/whatsapp/webhook/").start()
    meta.registrar(Cuenta(**vars(CUENTA)))
    procs: list[subprocess.Popen] = []
    try:
        _seed(owner_url, url)
        env = dict(os.environ, DATABASE_URL=url, TEMPORAL_ADDRESS=f"127.0.0.1:{temporal_port}", LOG_LEVEL="WARNING",
                   WHATSAPP_GRAPH_URL=meta.url, WHATSAPP_MENSAJES_POR_SEGUNDO=str(rate))
        env.pop("DATABASE_OWNER_URL", None)
        procs.append(subprocess.Popen([sys.executable, "-m", "cli", "api", "--port", str(api_port)], env=env))
        procs.append(subprocess.Popen([sys.executable, "-m", "cli", "worker"], env=env))
        wait_for_port(api_port, timeout=60)
        headers, productos = _prepare(api)
        solo = asyncio.run(_load(api, headers, productos, VENTAS, None))

        with httpx.Client(base_url=api, headers=headers, timeout=30) as c:
            c.post("/api/whatsapp/cuentas/", json={
                "phone_number_id": CUENTA.phone_number_id, "business_account_id": CUENTA.waba_id,
                "token": CUENTA.token, "app_secret": CUENTA.app_secret, "nombre_display": "Bench",
                "tier": "TIER_2K"}).raise_for_status()
            p = c.post("/api/whatsapp/plantillas/", json={"nombre": "bench", "categoria": "MARKETING",
                                                         "texto": "Hola {{1}}", "ejemplos": ["Ana"]}).json()
            meta.decidir(p["meta_template_id"], "APPROVED")
            _esperar(lambda: c.get("/api/whatsapp/plantillas/?estado=APPROVED").json()["total"], 60)
            _clientes(owner_url, n)
            camp = c.post("/api/whatsapp/campanas/", json={"nombre": "bench", "plantilla_id": p["id"],
                                                           "parametros": ["razon_social"],
                                                           "segmento": {"categoria": "CAMPANA"}}).json()
            inicio = time.monotonic()
            antes = time.perf_counter()
            c.post(f"/api/whatsapp/campanas/{camp['id']}/ejecutar/").raise_for_status()
            ejecutar_ms = (time.perf_counter() - antes) * 1000
            _esperar(lambda: meta.intentos > 0, 60)
            durante = asyncio.run(_load(api, headers, productos, VENTAS, None))
            final = _esperar(lambda: (e := c.get(f"/api/whatsapp/campanas/{camp['id']}/").json())["estado"]
                             == "FINALIZADA" and e, 3600)
            wall = time.monotonic() - inicio
        with psycopg.connect(owner_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
            rolling = conn.execute("""
                SELECT max((SELECT count(DISTINCT o.numero_destino) FROM wa_mensajes o
                            WHERE o.aceptado_at > m.aceptado_at - interval '24 hours'
                              AND o.aceptado_at <= m.aceptado_at))
                FROM wa_mensajes m WHERE m.aceptado_at IS NOT NULL""").fetchone()[0]
        destinos = [e.to for e in meta.enviados]
        print(f"campaign: {final['enviados']} accepted, {final['fallidos']} failed, {final['entregados']} delivered, "
              f"{final['leidos']} read; wall {wall:.1f} s at --rate {rate}/s (ideal {n / rate:.1f} s); "
              f"ejecutar answered in {ejecutar_ms:.0f} ms", flush=True)
        print(f"Meta received {len(destinos)} messages, {len(set(destinos))} unique recipients; highest in one "
              f"second {max_por_segundo([e.at for e in meta.enviados])} (limit {rate:g}); highest unique in a "
              f"rolling 24 h {rolling} (TIER_2K: 2000)", flush=True)
        for nombre, r in (("alone", solo), ("during the campaign", durante)):
            print(f"POST /api/ventas/ {nombre}: {r['ok']} sales, p50 {r['p50']:.0f} ms, p99 {r['p99']:.0f} ms, "
                  f"{r['per_s']:.0f}/s; errors {r['errors']}", flush=True)
    finally:
        for proc in reversed(procs):
            proc.terminate()
            proc.wait(timeout=60)
        meta.stop()
        temporal.terminate()
        temporal.wait(timeout=30)
        pg.stop()


if __name__ == "__main__":
    args = sys.argv[1:]
    rate = float(args[args.index("--rate") + 1]) if "--rate" in args else 20.0
    numeros = [int(a) for a in args if a.isdigit() and (not args.index(a) or args[args.index(a) - 1] != "--rate")]
    main(numeros[0] if numeros else 1000, rate)
