"""The Temporal worker: every workflow, activity and schedule of the ERP, plus the outbox relay."""

import asyncio
import contextlib
import importlib
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker

from core import audit
from core.outbox import run_relay
from core.schedules import ScheduleDef, ensure_schedules
from core.settings import get_settings
from core.temporal import ensure_search_attributes

log = logging.getLogger("worker")

# Grouped by business process; each workflows module exposes WORKFLOWS (and SCHEDULES),
# each activities module exposes ACTIVITIES.
PROCESSES = ["sistema", "facturacion", "notas_venta", "ventas", "inventario", "finanzas"]
PROCESSES += ["compras"]  # module 5
PROCESSES += ["distribucion"]  # module 4
PROCESSES += ["whatsapp"]  # module 7
PROCESSES += ["conciliacion"]  # bank reconciliation (issue 14)
PROCESSES += ["dashboard"]  # module 8: KPI snapshots


def _collect(package: str, attr: str) -> list[Any]:
    found: list[Any] = []
    for name in PROCESSES:
        module = importlib.import_module(f"{package}.{name}")
        found.extend(getattr(module, attr, []))
    return found


def workflows() -> list[type]:
    return _collect("workflows", "WORKFLOWS")


def activities() -> list[Any]:
    return _collect("activities", "ACTIVITIES")


def schedules() -> list[ScheduleDef]:
    return _collect("workflows", "SCHEDULES")


def build_worker(client: Client, task_queue: str, executor: ThreadPoolExecutor) -> Worker:
    return Worker(client, task_queue=task_queue, workflows=workflows(), activities=activities(),
                  activity_executor=executor, max_concurrent_activities=32)


async def prepare(client: Client, task_queue: str) -> None:
    """Search attributes and schedules are declared in code and (re)applied on every start."""
    await ensure_search_attributes(client)
    await ensure_schedules(client, schedules(), task_queue)


async def run(client: Client, stop: asyncio.Event | None = None) -> None:
    settings = get_settings()
    audit.install()
    await prepare(client, settings.temporal_task_queue)
    with ThreadPoolExecutor(max_workers=32, thread_name_prefix="activity") as executor:
        worker = build_worker(client, settings.temporal_task_queue, executor)
        relay = asyncio.create_task(run_relay(client, settings.database_url))
        try:
            async with worker:
                log.info("worker running", extra={"task_queue": settings.temporal_task_queue})
                await (stop or asyncio.Event()).wait()
                # Stop delivering before the worker drains its activities: a stopping worker must not start
                # new workflows (another worker's relay delivers them).
                await _cancel(relay)
        finally:
            await _cancel(relay)


async def _cancel(task: asyncio.Task) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
