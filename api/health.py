"""Liveness and readiness: is the database reachable, is Temporal reachable.

/health never waits behind business requests: it is async (no worker thread), exempt from admission
control, and opens its own short-lived connection instead of checking one out of the shared pool."""

import asyncio

import psycopg
from fastapi import APIRouter
from fastapi.responses import JSONResponse

from core.db import get_engine
from core.settings import get_settings

router = APIRouter(tags=["health"])
TIMEOUT_S = 3


def _dsn() -> str:
    url = get_engine().url.set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


async def _db_ok() -> bool:
    try:
        async with asyncio.timeout(TIMEOUT_S):
            async with await psycopg.AsyncConnection.connect(_dsn(), connect_timeout=TIMEOUT_S,
                                                             autocommit=True) as conn:
                await conn.execute("SELECT 1")
        return True
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return False


async def _temporal_ok() -> bool:
    from core.temporal import connect

    try:
        client = await asyncio.wait_for(connect(get_settings().temporal_address), timeout=TIMEOUT_S)
        await asyncio.wait_for(client.service_client.check_health(), timeout=TIMEOUT_S)
        return True
    except Exception:  # noqa: BLE001
        return False


@router.get("/health")
async def health() -> JSONResponse:
    db, temporal = await asyncio.gather(_db_ok(), _temporal_ok())
    body = {"status": "ok" if db and temporal else "degraded", "database": db, "temporal": temporal}
    return JSONResponse(status_code=200 if db and temporal else 503, content=body)
