"""Bank reconciliation workflow: a large statement parsed, stored and matched in the background."""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.conciliacion import procesar_extracto
    from core.temporal import ESTADO
    from workflows.entradas import ImportacionExtractoEntrada

RETRY = RetryPolicy(initial_interval=timedelta(seconds=2), backoff_coefficient=2.0,
                    maximum_interval=timedelta(minutes=1), maximum_attempts=5)


@workflow.defn(name="ImportarExtracto")
class ImportarExtracto:
    """Id `extracto-<importacion_id>`. The activity commits each batch of lines (progress on the import row)
    and is idempotent: a retry after a crash inserts only the lines not stored yet (fingerprints)."""

    @workflow.run
    async def run(self, datos: ImportacionExtractoEntrada) -> str:
        estado = await workflow.execute_activity(procesar_extracto, datos, start_to_close_timeout=timedelta(minutes=10),
                                                 retry_policy=RETRY)
        workflow.upsert_search_attributes([ESTADO.value_set(estado)])
        return estado


WORKFLOWS = [ImportarExtracto]
SCHEDULES: list = []
