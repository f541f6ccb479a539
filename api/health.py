"""Liveness and readiness: is the database reachable, is Temporal reachable."""

import asyncio

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import Field
from sqlalchemy import text

from core.db import get_engine
from core.schemas import Salida
from core.settings import get_settings

router = APIRouter(tags=["health"])


class HealthOut(Salida):
    status: str = Field(description="ok when both dependencies answer, degraded otherwise", examples=["ok"])
    database: bool
    temporal: bool


def _db_ok() -> bool:
    try:
        with get_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return False


async def _temporal_ok() -> bool:
    from core.temporal import connect

    try:
        client = await asyncio.wait_for(connect(get_settings().temporal_address), timeout=3)
        await asyncio.wait_for(client.service_client.check_health(), timeout=3)
        return True
    except Exception:  # noqa: BLE001
        return False


@router.get("/health", response_model=HealthOut, responses={
    503: {"model": HealthOut, "description": "database or Temporal unreachable"}})
async def health() -> JSONResponse:
    db, temporal = await asyncio.to_thread(_db_ok), await _temporal_ok()
    body = {"status": "ok" if db and temporal else "degraded", "database": db, "temporal": temporal}
    return JSONResponse(status_code=200 if db and temporal else 503, content=body)
