"""Transactional outbox: a start requested in a committed transaction happens exactly once, even
if the process dies right after the commit or in the middle of delivering it."""

import asyncio
import os
from zoneinfo import ZoneInfo

from sqlalchemy import text
from temporalio.client import WorkflowExecutionStatus

from core import outbox
from core.db import session_scope


def _pending() -> list:
    with session_scope() as s:
        return s.execute(text("SELECT id, attempts, delivered_at FROM outbox ORDER BY id")).all()


async def _executions(client, workflow_id: str) -> list:
    return [w async for w in client.list_workflows(f"WorkflowId = '{workflow_id}'")]


def test_rolled_back_transaction_requests_nothing(db):
    try:
        with session_scope() as s:
            outbox.request_workflow(s, "MantenimientoSeguridad", "mant-rollback")
            raise RuntimeError("business rule failed after the request")
    except RuntimeError:
        pass
    assert _pending() == []


def test_requesting_the_same_workflow_twice_is_one_message(db):
    for _ in range(2):
        with session_scope() as s:
            outbox.request_workflow(s, "MantenimientoSeguridad", "mant-twice")
    assert len(_pending()) == 1


async def test_crash_after_commit_and_mid_delivery_still_starts_once(db, temporal_client):
    # The API committed the business transaction and died before any relay ran.
    with session_scope() as s:
        outbox.request_workflow(s, "MantenimientoSeguridad", "mant-crash", search_attributes={"Estado": "X"})

    # A relay claims the message and starts the workflow, then dies before marking it delivered.
    [row] = await asyncio.to_thread(outbox.claim)
    await outbox.deliver(temporal_client, row)
    assert _pending()[0].delivered_at is None

    # The lease expires; a new relay redelivers: Temporal refuses the twin, the message is marked done.
    with session_scope() as s:
        s.execute(text("UPDATE outbox SET available_at = now()"))
    assert await outbox.relay_once(temporal_client) == 1
    [msg] = _pending()
    assert msg.delivered_at is not None and msg.attempts == 2
    await asyncio.sleep(1.5)  # visibility is eventually consistent on the dev server
    assert len(await _executions(temporal_client, "mant-crash")) == 1


async def test_running_worker_delivers_and_the_workflow_completes(worker, temporal_client):
    with session_scope() as s:
        outbox.request_workflow(s, "MantenimientoSeguridad", "mant-e2e")
    handle = temporal_client.get_workflow_handle("mant-e2e")
    for _ in range(100):
        try:
            if (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED:
                break
        except Exception:  # noqa: BLE001 - not started yet
            pass
        await asyncio.sleep(0.1)
    assert await handle.result() == 0
    assert _pending()[0].delivered_at is not None


async def test_worker_declares_schedules_in_lima_time(worker, temporal_client):
    import worker as erp_worker

    for _ in range(50):
        ids = [s.id async for s in await temporal_client.list_schedules()]
        if ids:
            break
        await asyncio.sleep(0.1)
    for defn in erp_worker.schedules():
        desc = await temporal_client.get_schedule_handle(defn.id).describe()
        assert desc.schedule.spec.time_zone_name == defn.timezone
        minute, hour = defn.cron.split()[:2]
        next_run = desc.info.next_action_times[0].astimezone(ZoneInfo(defn.timezone))
        if minute.isdigit() and hour.isdigit():  # daily jobs: the next run is at that Lima wall-clock time
            assert (next_run.hour, next_run.minute) == (int(hour), int(minute)), defn.id
    # Restarting the worker updates instead of failing or duplicating.
    await erp_worker.prepare(temporal_client, "erp-test")
    assert sorted([s.id async for s in await temporal_client.list_schedules()]) == sorted(
        d.id for d in erp_worker.schedules())


async def test_a_relay_stopped_while_an_update_is_in_flight_stops(db, temporal_client):
    # A workflow no worker runs: an update to it waits until someone gives up.
    await temporal_client.start_workflow("MantenimientoSeguridad", id="mant-sin-worker", task_queue="nadie")
    with session_scope() as s:
        outbox.request_update(s, "mant-sin-worker", "cualquiera", None, "1")
    relay = asyncio.create_task(outbox.run_relay(temporal_client, os.environ["DATABASE_URL"]))
    while not _pending()[0].attempts:  # claimed: the update call is in flight
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)
    relay.cancel()
    done, _ = await asyncio.wait({relay}, timeout=5)
    assert done == {relay} and relay.cancelled()
    assert _pending()[0].delivered_at is None  # redelivered later, by the next relay
