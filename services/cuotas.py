"""Credit instalments (cuotas): the one rule for sales, quotes, orders and comprobantes.

SUNAT (since 2021) wants a deferred payment declared as Crédito with the pending amount and every instalment
(amount and due date, after the issue date); the instalments add up to the pending amount (rule 3319). When the
caller gives none, the default is one instalment for the whole pending amount at the customer's días de crédito.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from pydantic import Field

from core.errors import FieldError, ValidationError
from core.schemas import Entrada, Fecha

MAX_CUOTAS = 999  # Cuota001..Cuota999
FormaPagoIn = Literal["Contado", "Credito"]


class CuotaIn(Entrada):
    monto: Decimal = Field(gt=0, max_digits=14, decimal_places=2)
    fecha_vencimiento: Fecha


@dataclass(frozen=True)
class Cuota:
    monto: Decimal
    fecha_vencimiento: date

    def json(self) -> dict[str, str]:
        return {"monto": f"{self.monto:.2f}", "fecha_vencimiento": self.fecha_vencimiento.isoformat()}


def plan(cuotas: list[CuotaIn] | None, pendiente: Decimal, emision: date, dias_credito: int,
         campo: str = "cuotas") -> list[Cuota]:
    """The instalments of `pendiente`, checked: each due after `emision`, their sum equal to `pendiente`.
    Without `cuotas`, one instalment at `dias_credito` days. Raises ValidationError naming the field."""
    if pendiente <= 0:
        raise ValidationError("No queda monto pendiente de pago: use forma de pago Contado", field=campo)
    if cuotas is None:
        if dias_credito <= 0:
            raise ValidationError("Indique las cuotas (monto y fecha de vencimiento): el cliente no tiene días de "
                                  "crédito", field=campo)
        return [Cuota(pendiente, emision + timedelta(days=dias_credito))]
    if not cuotas:
        raise ValidationError("Una venta al crédito necesita al menos una cuota", field=campo)
    if len(cuotas) > MAX_CUOTAS:
        raise ValidationError(f"Máximo {MAX_CUOTAS} cuotas", field=campo)
    errores = [FieldError(f"{campo}.{i}.fecha_vencimiento", "La cuota debe vencer después de la fecha de emisión "
                                                              f"({emision.isoformat()})")
               for i, c in enumerate(cuotas) if c.fecha_vencimiento <= emision]
    suma = sum((c.monto for c in cuotas), Decimal("0"))
    if suma != pendiente:
        errores.append(FieldError(campo, f"La suma de las cuotas ({suma:.2f}) debe ser igual al monto neto "
                                         f"pendiente de pago ({pendiente:.2f})"))
    if errores:
        raise ValidationError(errores[0].message, errors=errores)
    return [Cuota(c.monto, c.fecha_vencimiento) for c in cuotas]


def sin_cuotas(forma_pago: FormaPagoIn, cuotas: list[CuotaIn] | None, campo: str = "cuotas") -> None:
    """Instalments only go with Crédito."""
    if forma_pago == "Contado" and cuotas:
        raise ValidationError("Las cuotas solo corresponden a la forma de pago Crédito", field=campo)
