"""Activities of module 6's workflows (each idempotent)."""

from temporalio import activity

from core.db import session_scope
from services.finanzas import cartera


@activity.defn(name="marcar_cartera_vencida")
def marcar_cartera_vencida() -> int:
    with session_scope() as session:
        return cartera.marcar_vencidas(session)


@activity.defn(name="revaluar_mes_anterior")
def revaluar_mes_anterior() -> int | None:
    with session_scope() as session:
        return cartera.revaluar(session, cartera.periodo_anterior())


ACTIVITIES = [marcar_cartera_vencida, revaluar_mes_anterior]
