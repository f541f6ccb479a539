"""Transactional outbox: ask for a workflow start (or signal) inside a business transaction.

A service calls `request_workflow(session, ...)` in the same DB transaction as its business rows.
The relay (run by the worker) claims undelivered rows with a short lease, delivers them to
Temporal, and marks them delivered. Delivery is at-least-once; starts are exactly-once because the
workflow id is the business key and a duplicate start is refused by Temporal and treated as done.
Signals are delivered at-least-once, so signal handlers must be idempotent (carry a request id).
"""

import asyncio
import dataclasses
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from sqlalchemy import BigInteger, Column, DateTime, Index, text
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlmodel import Field, Session, SQLModel
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from core.db import session_scope
from core.settings import get_settings
from core.temporal import typed_search_attributes

log = logging.getLogger(__name__)
CHANNEL = "outbox"
LEASE = timedelta(seconds=30)
MAX_BACKOFF = timedelta(minutes=5)


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "available_at", postgresql_where=text("delivered_at IS NULL")),)

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    dedupe_key: str = Field(max_length=200, unique=True)
    kind: str = Field(max_length=10)  # start | signal | update
    workflow: str = Field(max_length=100)  # workflow type (start) or signal name (signal)
    workflow_id: str = Field(max_length=200)
    task_queue: str = Field(max_length=100)
    payload: dict[str, Any] | None = Field(default=None, sa_type=JSONB)
    search_attributes: dict[str, Any] | None = Field(default=None, sa_type=JSONB)
    attempts: int = 0
    last_error: str | None = None
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC), sa_type=DateTime(timezone=True))
    available_at: datetime = Field(default_factory=lambda: datetime.now(UTC), sa_type=DateTime(timezone=True))
    delivered_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


def request_workflow(
    session: Session, workflow: str, workflow_id: str, payload: Any = None,
    search_attributes: dict[str, Any] | None = None, task_queue: str | None = None,
) -> None:
    """Start `workflow` with id `workflow_id` once this transaction commits. Idempotent per id. `payload` is the
    workflow's input dataclass (workflows/entradas.py), stored as JSON."""
    _insert(session, f"start:{workflow_id}", "start", workflow, workflow_id, payload, search_attributes,
            task_queue)


def request_signal(session: Session, workflow_id: str, signal: str, payload: Any, dedupe_key: str) -> None:
    """Signal a running workflow once this transaction commits."""
    _insert(session, f"signal:{workflow_id}:{signal}:{dedupe_key}", "signal", signal, workflow_id, payload,
            None, None)


def request_update(session: Session, workflow_id: str, update: str, payload: Any, dedupe_key: str) -> None:
    """Send a workflow update once this transaction commits. Its validator may reject it (a redelivered or
    stale update): a rejected update leaves no trace in the workflow's history and counts as delivered."""
    _insert(session, f"update:{workflow_id}:{update}:{dedupe_key}", "update", update, workflow_id, payload,
            None, None)


def _insert(session: Session, dedupe_key: str, kind: str, workflow: str, workflow_id: str,
            payload: Any, search_attributes: dict[str, Any] | None, task_queue: str | None) -> None:
    if dataclasses.is_dataclass(payload):  # the one place a payload becomes JSON; Temporal's converter undoes it
        payload = dataclasses.asdict(payload)
    stmt = insert(OutboxMessage.__table__).values(
        dedupe_key=dedupe_key, kind=kind, workflow=workflow, workflow_id=workflow_id,
        task_queue=task_queue or get_settings().temporal_task_queue, payload=payload,
        search_attributes=search_attributes, attempts=0,
    ).on_conflict_do_nothing(index_elements=["dedupe_key"])
    session.connection().execute(stmt)


CLAIM_SQL = text("""
    UPDATE outbox SET available_at = now() + :lease, attempts = attempts + 1
    WHERE id IN (
        SELECT id FROM outbox WHERE delivered_at IS NULL AND available_at <= now()
        ORDER BY id LIMIT :batch FOR UPDATE SKIP LOCKED)
    RETURNING id, kind, workflow, workflow_id, task_queue, payload, search_attributes, attempts
""")


def claim(batch: int = 50) -> list[Any]:
    """Take a lease on up to `batch` undelivered messages, oldest first (committed at once)."""
    with session_scope() as session:
        rows = session.connection().execute(CLAIM_SQL, {"lease": LEASE, "batch": batch}).all()
    return sorted(rows, key=lambda r: r.id)


def _mark(ids_ok: list[int], failures: dict[int, tuple[str, int]]) -> None:
    with session_scope() as session:
        conn = session.connection()
        if ids_ok:
            conn.execute(text("UPDATE outbox SET delivered_at = now(), last_error = NULL WHERE id = ANY(:ids)"),
                         {"ids": ids_ok})
        for msg_id, (error, attempts) in failures.items():
            delay = min(MAX_BACKOFF, timedelta(seconds=2 ** min(attempts, 10)))
            conn.execute(text("UPDATE outbox SET last_error = :e, available_at = now() + :d WHERE id = :id"),
                         {"e": error[:2000], "d": delay, "id": msg_id})


async def deliver(client: Client, row: Any) -> None:
    if row.kind == "start":
        try:
            args = [] if row.payload is None else [row.payload]
            await client.start_workflow(
                row.workflow, args=args, id=row.workflow_id, task_queue=row.task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                search_attributes=typed_search_attributes(row.search_attributes or {}),
            )
        except WorkflowAlreadyStartedError:
            log.info("workflow %s already started; outbox message %s is a redelivery", row.workflow_id, row.id)
    else:
        handle = client.get_workflow_handle(row.workflow_id)
        try:
            if row.kind == "update":
                await handle.execute_update(row.workflow, row.payload)
            else:
                await handle.signal(row.workflow, row.payload)
        except WorkflowUpdateFailedError as exc:
            log.info("update %s to %s rejected: %s", row.workflow, row.workflow_id, exc.cause)
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
            desc = await handle.describe()
            if desc.status == WorkflowExecutionStatus.RUNNING:
                raise
            log.warning("signal %s to closed workflow %s dropped", row.workflow, row.workflow_id)


def _stop_if_cancelled(exc: Exception) -> None:
    """The SDK reports a cancelled update call as `WorkflowUpdateRPCTimeoutOrCancelledError`, an ordinary
    exception: a relay being stopped while an update is in flight must stop, not log it and deliver on (a
    worker stopped right after an update used to hang until its caller gave up)."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError from exc


async def relay_once(client: Client, batch: int = 50) -> int:
    """Deliver one batch; returns how many messages were delivered."""
    rows = await asyncio.to_thread(claim, batch)
    ok: list[int] = []
    failures: dict[int, tuple[str, int]] = {}
    for row in rows:
        try:
            await deliver(client, row)
            ok.append(row.id)
        except Exception as exc:  # noqa: BLE001 - any failure is retried with backoff
            _stop_if_cancelled(exc)
            log.warning("outbox message %s failed: %s", row.id, exc)
            failures[row.id] = (repr(exc), row.attempts)
    if rows:
        await asyncio.to_thread(_mark, ok, failures)
    return len(ok)


async def run_relay(client: Client, database_url: str, idle_wait: float = 1.0) -> None:
    """Deliver forever: woken by NOTIFY on insert, and polling as a fallback."""
    from core.db import normalize_url

    dsn = normalize_url(database_url).replace("postgresql+psycopg://", "postgresql://")
    while True:  # a lost LISTEN connection (database restart) is reopened, never the end of delivery
        try:
            await _deliver_while_listening(client, dsn, idle_wait)
        except (psycopg.Error, OSError):
            log.exception("outbox listener connection lost; reconnecting")
            await asyncio.sleep(idle_wait)


async def _deliver_while_listening(client: Client, dsn: str, idle_wait: float) -> None:
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as listener:
        await listener.execute(f"LISTEN {CHANNEL}")
        while True:
            try:
                delivered = await relay_once(client)
            except Exception as exc:  # noqa: BLE001 - the relay must survive DB blips
                _stop_if_cancelled(exc)
                log.exception("outbox relay iteration failed")
                delivered = 0
            if delivered == 0:
                async for _ in listener.notifies(timeout=idle_wait, stop_after=1):
                    pass
