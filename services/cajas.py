"""Cash registers (module 1): open with a float, close with a count per payment method (arqueo)."""

from datetime import UTC, datetime
from decimal import Decimal

from pydantic import Field, field_validator
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from core.errors import Conflict, ValidationError
from core.schemas import Entrada
from models.ventas import METODOS_PAGO, ArqueoCaja, Caja
from services.auth import AuthUser

Monto = Field(ge=0, max_digits=14, decimal_places=2)


class AperturaIn(Entrada):
    monto_apertura: Decimal = Monto


class CierreIn(Entrada):
    # What the cashier counted, per payment method: {"EFECTIVO": "520.50", "YAPE": "80.00"}.
    conteo: dict[str, Decimal] = Field(default_factory=dict)

    @field_validator("conteo")
    @classmethod
    def _metodos(cls, v: dict[str, Decimal]) -> dict[str, Decimal]:
        for metodo, monto in v.items():
            if metodo not in METODOS_PAGO or METODOS_PAGO[metodo][2]:
                raise ValueError(f"{metodo!r} no es un método de pago que se cuente en caja")
            if monto < 0 or monto != monto.quantize(Decimal("0.01")):
                raise ValueError(f"monto de {metodo} inválido (>= 0, dos decimales)")
        return v


def abrir(session: Session, user: AuthUser, datos: AperturaIn) -> Caja:
    if user.sucursal_id is None:
        raise ValidationError("El usuario no tiene sucursal asignada", field="sucursal")
    if session.execute(select(Caja.id).where(Caja.usuario_id == user.id, Caja.estado == "ABIERTA")).first():
        raise Conflict("Ya tiene una caja abierta", field="caja")
    caja = Caja(sucursal_id=user.sucursal_id, usuario_id=user.id, monto_apertura=datos.monto_apertura)
    session.add(caja)
    try:
        session.commit()
    except IntegrityError as exc:  # a concurrent open won the partial unique index
        session.rollback()
        raise Conflict("Ya tiene una caja abierta", field="caja") from exc
    return caja


_ESPERADO = text("""
    SELECT fp.metodo, sum(fp.monto) AS monto FROM formas_pago fp JOIN ventas v ON v.id = fp.venta_id
    WHERE v.caja_id = :caja AND v.estado = 'registrada' AND fp.metodo <> 'CREDITO'
    GROUP BY fp.metodo
""")


def esperado_por_metodo(session: Session, caja: Caja) -> dict[str, Decimal]:
    """Expected takings: the float plus cash sales in EFECTIVO, the sales' totals for every other method."""
    esperado = {row.metodo: row.monto for row in session.execute(_ESPERADO, {"caja": caja.id})}
    esperado["EFECTIVO"] = esperado.get("EFECTIVO", Decimal("0")) + caja.monto_apertura
    return esperado


def cerrar(session: Session, user: AuthUser, datos: CierreIn) -> dict:
    caja = session.execute(select(Caja).where(Caja.usuario_id == user.id, Caja.estado == "ABIERTA")
                           .with_for_update()).scalar_one_or_none()  # waits for sales in flight
    if caja is None:
        raise Conflict("No tiene una caja abierta", field="caja")
    esperado = esperado_por_metodo(session, caja)
    arqueo = []
    for metodo in sorted(esperado.keys() | datos.conteo.keys()):
        esp, contado = esperado.get(metodo, Decimal("0")), datos.conteo.get(metodo, Decimal("0"))
        arqueo.append(ArqueoCaja(caja_id=caja.id, metodo=metodo, monto_esperado=esp, monto_contado=contado,
                                 diferencia=contado - esp))
    session.add_all(arqueo)
    caja.estado, caja.fecha_cierre = "CERRADA", datetime.now(UTC)
    caja.monto_cierre = sum((a.monto_contado for a in arqueo), Decimal("0"))
    caja.diferencia = sum((a.diferencia for a in arqueo), Decimal("0"))
    session.add(caja)
    session.commit()
    return caja.model_dump() | {"arqueo": [a.model_dump() for a in arqueo]}
