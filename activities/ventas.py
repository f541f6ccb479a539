"""Activities of module 1's workflows."""

from temporalio import activity

from core.db import session_scope
from services import cotizaciones


@activity.defn(name="vencer_cotizaciones")
def vencer_cotizaciones() -> int:
    """One set-based UPDATE; running it twice changes nothing more (idempotent)."""
    with session_scope() as session:
        return cotizaciones.vencer(session)


ACTIVITIES = [vencer_cotizaciones]
