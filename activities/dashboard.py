"""Activities of module 8's workflows (each idempotent: a rerun only writes a newer snapshot)."""

from temporalio import activity

from core.db import session_scope
from models.dashboard import GRUPOS_KPI
from services.dashboard import kpis
from workflows.entradas import RefrescoKpis


@activity.defn(name="refrescar_snapshots_kpi")
def refrescar_snapshots_kpi(entrada: RefrescoKpis) -> int:
    """Each KPI group's new snapshot in its own transaction; returns the rows written."""
    desconocidos = set(entrada.grupos) - set(GRUPOS_KPI)
    if desconocidos:
        raise ValueError(f"grupos de KPI desconocidos: {sorted(desconocidos)}")
    with session_scope() as session:
        hechos = kpis.refrescar(session, tuple(entrada.grupos) or GRUPOS_KPI)
    for r in hechos:
        activity.logger.info("snapshot %s: %d rows in %.0f ms", r.grupo, r.filas, r.ms)
    return sum(r.filas for r in hechos)


ACTIVITIES = [refrescar_snapshots_kpi]
