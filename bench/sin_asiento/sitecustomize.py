"""Only for bench/finanzas_ventas.py: on its PYTHONPATH, every process of the API server it starts (uvicorn's
workers included) runs this first. With BENCH_SIN_ASIENTO=1, the module-6 postings a sale makes in its
transaction (the comprobante's entry and the sale's collection/cost entry) become no-ops, so the same server
code measures the sale without its automatic entry. Never on a real server's path."""

import os

if os.environ.get("BENCH_SIN_ASIENTO") == "1":
    import services.finanzas as finanzas

    def _sin_asiento(*_args: object, **_kwargs: object) -> None:
        return None

    finanzas.contabilizar_comprobante = _sin_asiento
    finanzas.contabilizar_venta = _sin_asiento
