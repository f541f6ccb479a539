"""Activities of module 6's workflows (each idempotent)."""

from temporalio import activity

from core.db import session_scope
from services.finanzas import cartera


@activity.defn(name="marcar_cartera_vencida")
def marcar_cartera_vencida() -> int:
    with session_scope() as session:
        return cartera.marcar_vencidas(session)


ACTIVITIES = [marcar_cartera_vencida]
