"""Reading the books in tests: the entries a document caused and account balances, straight from the API/DB."""

from collections import defaultdict
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import text

from core.db import session_scope


def lineas(client: TestClient, headers: dict, referencia_tipo: str, referencia_id: object) -> dict[str, tuple]:
    """cuenta -> (Σdebe, Σhaber) over the entries of one source document."""
    res = client.get(f"/api/finanzas/asientos/?referencia_tipo={referencia_tipo}&referencia_id={referencia_id}",
                     headers=headers)
    assert res.status_code == 200, res.text
    sumas: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for asiento in res.json()["items"]:
        for linea in asiento["lineas"]:
            sumas[linea["cuenta"]][0] += Decimal(linea["debe"])
            sumas[linea["cuenta"]][1] += Decimal(linea["haber"])
    return {cuenta: (d, h) for cuenta, (d, h) in sumas.items()}


def saldo(codigo: str) -> Decimal:
    """Debit balance (Σdebe − Σhaber) of one account over every entry."""
    with session_scope() as s:
        return s.execute(text(
            "SELECT coalesce(sum(l.debe - l.haber), 0) FROM lineas_asiento l "
            "JOIN cuentas_contables c ON c.id = l.cuenta_id WHERE c.codigo = :c"), {"c": codigo}).scalar_one()


def d(valor: str) -> Decimal:
    return Decimal(valor)
