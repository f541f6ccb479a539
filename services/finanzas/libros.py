"""Books a contador reads on screen: the journal (diario) and the ledger (mayor) of a period, the trial balance
(balance de comprobación). The ledger of one account and month reads the (cuenta_id, fecha, id) index only."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import text
from sqlmodel import Session

from services.finanzas import plan
from services.finanzas.asientos import CERO
from services.finanzas.ple import validar_periodo


@dataclass
class MovimientoMayor:
    fecha: date
    asiento_id: int
    cuo: str
    numero: int
    descripcion: str
    centro_costo_id: int
    debe: Decimal
    haber: Decimal
    saldo: Decimal  # running balance (debit positive), from the opening balance


_SALDO_INICIAL = text("""
    SELECT coalesce(sum(debe - haber), 0) FROM lineas_asiento
    WHERE cuenta_id = :c AND fecha < :inicio AND (CAST(:cc AS integer) IS NULL OR centro_costo_id = :cc)
""")
_MOVIMIENTOS = text("""
    WITH pagina AS (
        SELECT l.id, l.fecha, l.asiento_id, l.numero, l.centro_costo_id, l.debe, l.haber,
               sum(l.debe - l.haber) OVER (ORDER BY l.fecha, l.id) AS acumulado, count(*) OVER () AS total
        FROM lineas_asiento l
        WHERE l.cuenta_id = :c AND l.fecha >= :inicio AND l.fecha < :fin
          AND (CAST(:cc AS integer) IS NULL OR l.centro_costo_id = :cc)
        ORDER BY l.fecha, l.id LIMIT :limit OFFSET :offset)
    SELECT p.*, a.cuo, a.descripcion FROM pagina p JOIN asientos_contables a ON a.id = p.asiento_id
    ORDER BY p.fecha, p.id
""")


def mayor(session: Session, periodo: str, codigo: str, centro_costo_id: int | None, limit: int,
          offset: int) -> tuple[Decimal, list[MovimientoMayor], int]:
    """(saldo inicial, movimientos with running balance, total lines) of one account in a period."""
    inicio, fin = validar_periodo(periodo)
    cuenta = plan.cuenta_por_codigo(session, codigo, "cuenta")
    params = {"c": cuenta.id, "inicio": inicio, "fin": fin, "cc": centro_costo_id, "limit": limit, "offset": offset}
    inicial = Decimal(session.execute(_SALDO_INICIAL, params).scalar_one())
    filas = session.execute(_MOVIMIENTOS, params).all()
    movimientos = [MovimientoMayor(f.fecha, f.asiento_id, f.cuo, f.numero, f.descripcion, f.centro_costo_id,
                                   f.debe, f.haber, inicial + f.acumulado) for f in filas]
    return inicial, movimientos, filas[0].total if filas else 0


def diario(session: Session, periodo: str, centro_costo_id: int | None, limit: int,
           offset: int) -> tuple[list[int], int]:
    """Entry ids of the period in CUO order (the API renders each with its lines)."""
    inicio, fin = validar_periodo(periodo)
    filtro = "AND EXISTS (SELECT 1 FROM lineas_asiento l WHERE l.asiento_id = a.id AND l.centro_costo_id = :cc)" \
        if centro_costo_id else ""
    params = {"i": inicio, "f": fin, "cc": centro_costo_id, "limit": limit, "offset": offset}
    donde = f"FROM asientos_contables a WHERE fecha >= :i AND fecha < :f {filtro}"
    total = session.execute(text(f"SELECT count(*) {donde}"), params).scalar_one()
    ids = session.execute(text(f"SELECT id {donde} ORDER BY id LIMIT :limit OFFSET :offset"), params).scalars()
    return list(ids), total


@dataclass
class FilaBalance:
    cuenta: str
    nombre: str
    saldo_inicial: Decimal
    debe: Decimal
    haber: Decimal
    saldo_final: Decimal  # debit positive


def balance_comprobacion(session: Session, periodo: str) -> list[FilaBalance]:
    """Every account with a balance or movement: opening balance, the period's sums, closing balance."""
    inicio, fin = validar_periodo(periodo)
    filas = session.execute(text("""
        SELECT c.codigo, c.nombre,
               coalesce(sum(l.debe - l.haber) FILTER (WHERE l.fecha < :i), 0) AS inicial,
               coalesce(sum(l.debe) FILTER (WHERE l.fecha >= :i), 0) AS debe,
               coalesce(sum(l.haber) FILTER (WHERE l.fecha >= :i), 0) AS haber
        FROM lineas_asiento l JOIN cuentas_contables c ON c.id = l.cuenta_id
        WHERE l.fecha < :f GROUP BY c.codigo, c.nombre ORDER BY c.codigo"""), {"i": inicio, "f": fin})
    return [FilaBalance(f.codigo, f.nombre, f.inicial, f.debe, f.haber, f.inicial + f.debe - f.haber)
            for f in filas if f.inicial or f.debe or f.haber]


def totales(filas: list[FilaBalance]) -> tuple[Decimal, Decimal]:
    return sum((f.debe for f in filas), CERO), sum((f.haber for f in filas), CERO)
