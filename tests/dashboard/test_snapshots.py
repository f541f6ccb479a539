"""Module 8 "snapshots_kpi se actualiza cada 10 minutos": the schedule is declared (every 10 minutes, Lima) and
registered by the real worker, and triggering it runs the workflow that writes a fresh, timestamped snapshot of
every group — announced to the dashboard's subscribers."""

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text

from core.db import session_scope
from core.tiempo_real import difusor
from services.dashboard.eventos import tema_snapshot
from tests.dashboard.fixtures import Tablero

pytest_plugins = ["tests.dashboard.fixtures"]


def _corridas() -> dict[str, datetime]:
    with session_scope() as s:
        return dict(s.execute(text("SELECT grupo, max(calculado_en) FROM snapshots_kpi GROUP BY grupo")).all())


async def test_the_schedule_runs_the_refresh_every_10_minutes(con_ventas: Tablero, worker, temporal_client):
    handle = temporal_client.get_schedule_handle("snapshots-kpi")
    for _ in range(100):  # the worker registers its schedules as it starts
        try:
            desc = await handle.describe()
            break
        except Exception:  # noqa: BLE001 - not created yet
            await asyncio.sleep(0.1)
    import worker as erp_worker

    assert [d.cron for d in erp_worker.schedules() if d.id == "snapshots-kpi"] == ["*/10 * * * *"]
    assert desc.schedule.spec.time_zone_name == "America/Lima"
    proximas = [t.astimezone(ZoneInfo("America/Lima")) for t in desc.info.next_action_times[:2]]
    assert proximas[0].minute % 10 == 0 and proximas[1] - proximas[0] == timedelta(minutes=10)
    assert desc.schedule.action.workflow == "RefrescarSnapshotsKpi"

    assert _corridas() == {}
    antes = datetime.now(UTC)
    async with difusor().suscripcion(tema_snapshot("ventas"), tema_snapshot("financiero")) as cola:
        await handle.trigger()
        avisos = [await asyncio.wait_for(cola.get(), 60), await asyncio.wait_for(cola.get(), 10)]
    assert {a["grupo"] for a in avisos} == {"ventas", "financiero"}
    for _ in range(100):
        corridas = _corridas()
        if len(corridas) == 4:
            break
        await asyncio.sleep(0.1)
    assert set(corridas) == {"ventas", "inventario", "financiero", "logistica"}
    assert all(antes <= momento <= datetime.now(UTC) for momento in corridas.values())
    assert (await asyncio.to_thread(con_ventas.kpis, "ventas"))["totales"]["dia"]["total"] == "94.40"
