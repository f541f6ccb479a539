"""Housekeeping workflows of the foundation."""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.sistema import purgar_tokens_expirados
    from core.schedules import ScheduleDef

DEFAULT_RETRY = RetryPolicy(initial_interval=timedelta(seconds=2), backoff_coefficient=2.0,
                            maximum_interval=timedelta(minutes=2), maximum_attempts=10)


@workflow.defn(name="MantenimientoSeguridad")
class MantenimientoSeguridad:
    """Daily: forget revoked tokens that have expired anyway, and old login attempts."""

    @workflow.run
    async def run(self) -> int:
        return await workflow.execute_activity(
            purgar_tokens_expirados, start_to_close_timeout=timedelta(minutes=5), retry_policy=DEFAULT_RETRY)


WORKFLOWS = [MantenimientoSeguridad]
SCHEDULES = [
    ScheduleDef("mantenimiento-seguridad", "MantenimientoSeguridad", "30 3 * * *",
                "Purga diaria de tokens revocados expirados e intentos de login (03:30 Lima)"),
]
