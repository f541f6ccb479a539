"""Books a contador reads on screen: the journal (diario) and the ledger (mayor) of a period, the trial balance
(balance de comprobación). The ledger of one account and month reads the (cuenta_id, fecha, id) index only, and
its opening balance the closed months' sums (saldos_mensuales) plus the open months' lines."""

import base64
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import text
from sqlmodel import Session

from core.errors import ValidationError
from core.schemas import INT8_MAX
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


_CC = "(CAST(:cc AS integer) IS NULL OR centro_costo_id = :cc)"
_LINEAS = f"FROM lineas_asiento WHERE cuenta_id = :c AND {_CC}"
_CLAVE = "(fecha, asiento_id, id)"  # the books' order: date, entry, line (the ledger index's columns)
# One page after the cursor (limit + 1 rows: the extra one says whether a next page exists); the running balance
# starts from the period's lines before the page's first row, so it is right however the page was reached.
_MAYOR = """
    WITH pagina AS (
        SELECT id, fecha, asiento_id, numero, centro_costo_id, debe, haber {lineas}
          AND fecha >= :inicio AND fecha < :fin {despues}
        ORDER BY fecha, asiento_id, id OFFSET :offset LIMIT :limit + 1),
    cabecera AS (
        SELECT {inicial} AS inicial,
               (SELECT count(*) {lineas} AND fecha >= :inicio AND fecha < :fin) AS total,
               (SELECT coalesce(sum(debe - haber), 0) {lineas} AND fecha >= :inicio AND {clave} <
                   (SELECT fecha, asiento_id, id FROM pagina ORDER BY fecha, asiento_id, id LIMIT 1)) AS previo)
    SELECT c.inicial, c.total, c.previo, p.*, a.cuo, a.descripcion,
           sum(p.debe - p.haber) OVER (ORDER BY p.fecha, p.asiento_id, p.id) AS acumulado
    FROM cabecera c LEFT JOIN pagina p ON true LEFT JOIN asientos_contables a ON a.id = p.asiento_id
    ORDER BY p.fecha, p.asiento_id, p.id
"""


@dataclass(frozen=True)
class Cursor:
    """Where a page of a book ended: (fecha, asiento, línea) of its last row, bound to the query it came from
    (`ambito`: period, account, cost centre), opaque to the client (URL-safe base64)."""

    fecha: date
    asiento_id: int
    linea_id: int
    ambito: str

    def codificar(self) -> str:
        crudo = f"{self.fecha.isoformat()}|{self.asiento_id}|{self.linea_id}|{self.ambito}"
        return base64.urlsafe_b64encode(crudo.encode()).decode().rstrip("=")

    @classmethod
    def leer(cls, token: str | None, ambito: str) -> "Cursor | None":
        if token is None:
            return None
        try:
            crudo = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            fecha, asiento, linea, suyo = crudo.split("|", 3)
            cursor = cls(date.fromisoformat(fecha), int(asiento), int(linea), suyo)
            if not (0 <= cursor.asiento_id <= INT8_MAX and 0 <= cursor.linea_id <= INT8_MAX):
                raise ValueError("fuera de rango")
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValidationError("Cursor inválido: use el `siguiente` de la página anterior", field="cursor") from exc
        if cursor.ambito != ambito:
            raise ValidationError("El cursor es de otra consulta (periodo, cuenta o centro de costo)", field="cursor")
        return cursor


def _ambito(*partes: object) -> str:
    return ":".join("" if p is None else str(p) for p in partes)


_CERRADOS = text("SELECT to_char(make_date(anio, mes, 1), 'YYYYMM') FROM periodos_tributarios "
                 "WHERE estado = 'CERRADO' AND make_date(anio, mes, 1) < :inicio ORDER BY 1")


def _sin_cerrar(cerrados: list[str], inicio: date) -> list[tuple[date | None, date]]:
    """The stretches [desde, hasta) before `inicio` that no closed month covers (None: since the beginning)."""
    rangos: list[tuple[date | None, date]] = []
    desde: date | None = None
    for periodo in cerrados:
        a, b = validar_periodo(periodo)
        if desde is None or a > desde:
            rangos.append((desde, a))
        desde = b
    if desde is None or desde < inicio:
        rangos.append((desde, inicio))
    return rangos


def _saldo_inicial(session: Session, inicio: date) -> tuple[str, dict]:
    """SQL of an account's balance before `inicio`: the closed months' sums (saldos_mensuales) plus the lines
    of the months still open, each stretch an index-only range scan."""
    cerrados = list(session.execute(_CERRADOS, {"inicio": inicio}).scalars())
    partes, params = [], {"cerrados": cerrados}
    if cerrados:
        partes.append(f"(SELECT coalesce(sum(debe - haber), 0) FROM saldos_mensuales WHERE cuenta_id = :c AND {_CC} "
                      "AND periodo = ANY(CAST(:cerrados AS text[])))")
    for i, (desde, hasta) in enumerate(_sin_cerrar(cerrados, inicio)):
        rango = f"fecha < :hasta{i}" + (f" AND fecha >= :desde{i}" if desde else "")
        partes.append(f"(SELECT coalesce(sum(debe - haber), 0) {_LINEAS} AND {rango})")
        params |= {f"hasta{i}": hasta, f"desde{i}": desde}
    return " + ".join(partes), params


def mayor(session: Session, periodo: str, codigo: str, centro_costo_id: int | None, limit: int, offset: int,
          cursor: str | None = None) -> tuple[Decimal, list[MovimientoMayor], int, str | None]:
    """(saldo inicial, movimientos with running balance, total lines, cursor of the next page) of one account in
    a period, in (fecha, asiento, línea) order: one statement, keyset on the ledger index (no OFFSET scan when
    walked by cursor)."""
    inicio, fin = validar_periodo(periodo)
    cuenta = plan.cuenta_por_codigo(session, codigo, "cuenta")
    ambito = _ambito("mayor", periodo, cuenta.id, centro_costo_id)
    desde = Cursor.leer(cursor, ambito)
    inicial_sql, params = _saldo_inicial(session, inicio)
    params |= {"c": cuenta.id, "inicio": inicio, "fin": fin, "cc": centro_costo_id, "limit": limit, "offset": offset}
    despues = ""
    if desde is not None:
        despues = f"AND {_CLAVE} > (:cf, :ca, :cl)"
        params |= {"cf": desde.fecha, "ca": desde.asiento_id, "cl": desde.linea_id}
    sql = _MAYOR.format(lineas=_LINEAS, inicial=inicial_sql, despues=despues, clave=_CLAVE)
    filas = session.execute(text(sql), params).all()
    inicial = Decimal(filas[0].inicial)
    previo = inicial + filas[0].previo
    movimientos = [MovimientoMayor(f.fecha, f.asiento_id, f.cuo, f.numero, f.descripcion, f.centro_costo_id,
                                   f.debe, f.haber, previo + f.acumulado) for f in filas if f.id is not None]
    siguiente = None
    if len(movimientos) > limit:
        ultima = filas[limit - 1]
        siguiente = Cursor(ultima.fecha, ultima.asiento_id, ultima.id, ambito).codificar()
    return inicial, movimientos[:limit], filas[0].total, siguiente


def guardar_saldos_mensuales(session: Session, periodo: str) -> None:
    """The close: the month's sums per account and cost centre (the month cannot change while closed)."""
    inicio, fin = validar_periodo(periodo)
    session.execute(text("""
        INSERT INTO saldos_mensuales (periodo, cuenta_id, centro_costo_id, debe, haber)
        SELECT :p, cuenta_id, centro_costo_id, sum(debe), sum(haber) FROM lineas_asiento
        WHERE fecha >= :i AND fecha < :f GROUP BY cuenta_id, centro_costo_id"""), {"p": periodo, "i": inicio, "f": fin})


def borrar_saldos_mensuales(session: Session, periodo: str) -> None:
    """A reopening: the month may change again, its ledgers read its lines."""
    session.execute(text("DELETE FROM saldos_mensuales WHERE periodo = :p"), {"p": periodo})


def diario(session: Session, periodo: str, centro_costo_id: int | None, limit: int, offset: int,
           cursor: str | None = None) -> tuple[list[int], int, str | None]:
    """Entry ids of the period in (fecha, asiento) order (the API renders each with its lines), the total and
    the cursor of the next page (keyset on ix_asientos_fecha_id)."""
    inicio, fin = validar_periodo(periodo)
    ambito = _ambito("diario", periodo, centro_costo_id)
    desde = Cursor.leer(cursor, ambito)
    filtro = "AND EXISTS (SELECT 1 FROM lineas_asiento l WHERE l.asiento_id = a.id AND l.centro_costo_id = :cc)" \
        if centro_costo_id else ""
    params = {"i": inicio, "f": fin, "cc": centro_costo_id, "limit": limit, "offset": offset}
    donde = f"FROM asientos_contables a WHERE fecha >= :i AND fecha < :f {filtro}"
    total = session.execute(text(f"SELECT count(*) {donde}"), params).scalar_one()
    despues = ""
    if desde is not None:
        despues = "AND (fecha, id) > (:cf, :ca)"
        params |= {"cf": desde.fecha, "ca": desde.asiento_id}
    filas = session.execute(text(f"SELECT id, fecha {donde} {despues} ORDER BY fecha, id "
                                 "OFFSET :offset LIMIT :limit + 1"), params).all()
    siguiente = None
    if len(filas) > limit:
        ultima = filas[limit - 1]
        siguiente = Cursor(ultima.fecha, ultima.id, 0, ambito).codificar()
    return [f.id for f in filas[:limit]], total, siguiente


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
