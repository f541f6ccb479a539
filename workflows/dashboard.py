"""Module 8: the KPI snapshots are recomputed every 10 minutes (America/Lima) by a schedule declared here."""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.dashboard import refrescar_snapshots_kpi
    from core.schedules import ScheduleDef
    from workflows.entradas import RefrescoKpis

# A database blip is retried; the next run is 10 minutes away anyway, so not for long.
RETRY = RetryPolicy(initial_interval=timedelta(seconds=2), backoff_coefficient=2.0,
                    maximum_interval=timedelta(seconds=30), maximum_attempts=5,
                    non_retryable_error_types=["ValueError"])


@workflow.defn(name="RefrescarSnapshotsKpi")
class RefrescarSnapshotsKpi:
    @workflow.run
    async def run(self, datos: RefrescoKpis | None = None) -> int:
        return await workflow.execute_activity(refrescar_snapshots_kpi, datos or RefrescoKpis(),
                                               start_to_close_timeout=timedelta(minutes=5), retry_policy=RETRY)


WORKFLOWS = [RefrescarSnapshotsKpi]
SCHEDULES = [ScheduleDef("snapshots-kpi", "RefrescarSnapshotsKpi", "*/10 * * * *",
                         "Recalcula snapshots_kpi: ventas, inventario, finanzas, logística (cada 10 min, Lima)")]
