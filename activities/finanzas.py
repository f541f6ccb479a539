"""Activities of module 6's workflows (each idempotent)."""

from datetime import date

from temporalio import activity

from core.db import session_scope
from services.finanzas import cartera
from workflows.entradas import CargaTipoCambio, TipoCambioCargado


@activity.defn(name="marcar_cartera_vencida")
def marcar_cartera_vencida() -> int:
    with session_scope() as session:
        return cartera.marcar_vencidas(session)


@activity.defn(name="revaluar_mes_anterior")
def revaluar_mes_anterior() -> int | None:
    with session_scope() as session:
        return cartera.revaluar(session, cartera.periodo_anterior())


@activity.defn(name="cargar_tipo_cambio_sunat")
def cargar_tipo_cambio_sunat(entrada: CargaTipoCambio) -> TipoCambioCargado:
    """Idempotent (an upsert per published day); SUNAT down raises TipoCambioNoDisponible and is retried."""
    with session_scope() as session:
        fecha = date.fromisoformat(entrada.fecha) if entrada.fecha else cartera.hoy()
        tc = cartera.cargar_tipo_cambio_sunat(session, fecha)
        return TipoCambioCargado(str(fecha), str(tc.fecha), str(tc.compra), str(tc.venta))


ACTIVITIES = [marcar_cartera_vencida, revaluar_mes_anterior, cargar_tipo_cambio_sunat]
