"""What every automatic entry reads before it posts — the posting configuration (cuentas_operacion), the
postable accounts, the active cost centres and the branches' ones, the closed tax periods — kept once per API
process instead of read by every sale.

Correct across processes: a statement trigger on each of those tables (migration 0025) gives the row of
`finanzas_configuracion_version` a new value from a sequence in the editing transaction, so the value changes
when, and only when, an edit commits (a rolled-back edit's value is never seen; a value is never reused). Each
transaction reads that value once (one indexed single-row read) and uses the process's copy only if it was
loaded under the same value: an edit committed by any process is seen by the next transaction, exactly as if
the configuration were read in the transaction itself. The copy is read *after* the value, so an edit that
commits in between makes the copy newer than its label, never older, and the next transaction reloads it.

The database still re-checks every line (account, cost centre, date) and every entry's period, so not even a
defect here could store a line on an inactive account or in a closed month."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlmodel import Session

from models.finanzas import CentroCosto, CuentaContable, CuentaOperacion

_VERSION = text("SELECT version FROM finanzas_configuracion_version")
_CLAVE = "finanzas_configuracion"


@dataclass(frozen=True)
class Configuracion:
    version: int | None  # None: the version row is missing (tables just truncated): never reused
    cuentas_operacion: dict[str, int]  # clave -> cuenta_id
    imputables: frozenset[int]  # active leaf accounts
    centros_activos: frozenset[int]
    centro_general: int | None
    centros_sucursal: dict[int, tuple[int, bool]]  # sucursal_id -> (centro id, activo)
    periodos_cerrados: frozenset[str]  # AAAAMM


_en_proceso: Configuracion | None = None


def _leer(session: Session, version: int | None) -> Configuracion:
    centros = session.execute(select(CentroCosto.id, CentroCosto.activo, CentroCosto.predeterminado,
                                     CentroCosto.sucursal_id).order_by(CentroCosto.id)).all()
    cerrados = session.execute(text("SELECT anio, mes FROM periodos_tributarios WHERE estado = 'CERRADO'")).all()
    return Configuracion(
        version=version,
        cuentas_operacion=dict(session.execute(select(CuentaOperacion.clave, CuentaOperacion.cuenta_id)).all()),
        imputables=frozenset(session.execute(select(CuentaContable.id).where(
            CuentaContable.activo.is_(True), CuentaContable.acepta_movimiento.is_(True))).scalars()),
        centros_activos=frozenset(c.id for c in centros if c.activo),
        centro_general=next((c.id for c in centros if c.predeterminado and c.activo), None),
        centros_sucursal={c.sucursal_id: (c.id, c.activo) for c in centros if c.sucursal_id is not None},
        periodos_cerrados=frozenset(f"{anio:04d}{mes:02d}" for anio, mes in cerrados))


def vigente(session: Session) -> Configuracion:
    """The configuration as this transaction sees it: checked once per transaction (not per session: a
    session that commits and goes on sees the edits committed meanwhile)."""
    global _en_proceso
    session.connection()  # begin the transaction, so it has an identity
    transaccion = session.get_transaction()
    guardada: tuple[Any, Configuracion] | None = session.info.get(_CLAVE)
    if guardada is not None and guardada[0] is transaccion:
        return guardada[1]
    version = session.execute(_VERSION).scalar_one_or_none()
    actual = _en_proceso
    if actual is None or version is None or actual.version != version:
        actual = _leer(session, version)
        _en_proceso = actual
    session.info[_CLAVE] = (transaccion, actual)
    return actual

