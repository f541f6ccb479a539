"""Module 8 dashboard: /api/dashboard/kpis/{ventas,inventario,financiero,logistica}/ (the latest snapshot,
cut to the user's scope), /api/dashboard/configuracion/ (the user's widgets), /ws/dashboard/ (live events)
and /dashboard (a minimal page that shows them)."""

import asyncio
import contextlib
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Literal

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from fastapi.responses import HTMLResponse
from pydantic import Field

from api.deps import Allowed, SessionDep
from api.paginas import pagina
from core import tiempo_real
from core.db import session_scope
from core.errors import Forbidden, Unauthorized
from core.schemas import Id, Salida
from services.auth import AuthUser, authenticate
from services.dashboard import acceso, consulta, widgets
from services.dashboard.acceso import PERMISO_GRUPO, PERMISO_TABLERO

router = APIRouter(tags=["dashboard"])
SUBPROTOCOLO = "erp.bearer"  # new WebSocket(url, ["erp.bearer", token]): the token never rides in the URL
ESPERA_TOKEN_S = 10


class Cabecera(Salida):
    calculado_en: datetime | None = Field(description="when the snapshot read was computed (null: never yet)")
    fecha: date | None = Field(description="the business date (America/Lima) of that snapshot")


class PeriodoOut(Salida):
    total: Decimal
    ventas: int
    ticket_promedio: Decimal


class VentasHoyOut(PeriodoOut):
    fecha: date


class PeriodosOut(Salida):
    dia: PeriodoOut
    semana: PeriodoOut
    mes: PeriodoOut


class VentasSucursalOut(PeriodosOut):
    sucursal_id: int


class TopProductoOut(Salida):
    sucursal_id: int | None = Field(description="null: the ranking of all branches (ADMIN)")
    producto_id: int
    nombre: str
    total: Decimal
    cantidad: Decimal


class MetodoPagoOut(Salida):
    metodo: str
    total: Decimal
    pagos: int


class VentasKpiOut(Cabecera):
    """Sales KPIs: `hoy` is live (read from the sales table); the rest is the latest snapshot (≤ 10 min old)."""

    model_config = {"json_schema_extra": {"examples": [{
        "calculado_en": "2026-12-01T15:00:00Z", "fecha": "2026-12-01",
        "hoy": {"fecha": "2026-12-01", "total": "1180.00", "ventas": 12, "ticket_promedio": "98.33"},
        "totales": {p: {"total": "5900.00", "ventas": 60, "ticket_promedio": "98.33"}
                    for p in ("dia", "semana", "mes")},
        "por_sucursal": [], "top_productos": [], "por_metodo_pago": [
            {"metodo": "EFECTIVO", "total": "4000.00", "pagos": 40}]}]}}

    hoy: VentasHoyOut
    totales: PeriodosOut
    por_sucursal: list[VentasSucursalOut]
    top_productos: list[TopProductoOut]
    por_metodo_pago: list[MetodoPagoOut]


class InventarioAlmacenOut(Salida):
    almacen_id: int
    valor_stock: Decimal = Field(description="stock at the warehouse's weighted average cost, PEN")
    items_con_stock: int
    items_bajo_minimo: int
    lotes_por_vencer: int = Field(description="lots with stock expiring within 30 days")
    unidades_por_vencer: Decimal
    lotes_vencidos: int
    unidades_vencidas: Decimal
    rotacion: Decimal = Field(description="units out (sales, exits, losses) in the last 30 days / units on hand")
    salidas_periodo: Decimal


class ItemBajoMinimoOut(Salida):
    almacen_id: int
    producto_id: int
    nombre: str
    stock_actual: Decimal
    stock_minimo: Decimal


class InventarioKpiOut(Cabecera):
    valor_stock: Decimal
    items_bajo_minimo: int
    lotes_por_vencer: int
    lotes_vencidos: int
    por_almacen: list[InventarioAlmacenOut]
    bajo_minimo: list[ItemBajoMinimoOut] = Field(description="up to 20 per warehouse, least covered first")


class TramoOut(Salida):
    tramo: str = Field(description="por_vencer, 0_30, 31_60, 61_90, mas_90 (days past due)")
    saldo: Decimal = Field(description="open balance in PEN at book value")
    documentos: int


class SumaOut(Salida):
    monto: Decimal
    operaciones: int


class CuentaCajaOut(Salida):
    cuenta: str
    nombre: str
    saldo: Decimal


class FinancieroKpiOut(Cabecera):
    cuentas_por_cobrar: list[TramoOut]
    cuentas_por_pagar: list[TramoOut]
    cobranzas_mes: SumaOut
    pagos_mes: SumaOut
    posicion_caja: list[CuentaCajaOut] = Field(description="ledger balance of each PCGE 10x account")
    caja_total: Decimal


class PedidosEstadoOut(Salida):
    estado: str
    pedidos: int
    total: Decimal


class EntregasTransportistaOut(Salida):
    transportista_id: int
    nombre: str
    entregas: int


class LogisticaKpiOut(Cabecera):
    pedidos_por_estado: list[PedidosEstadoOut]
    entregas_mes: int
    entregas_a_tiempo: int
    porcentaje_a_tiempo: Decimal | None
    por_transportista: list[EntregasTransportistaOut]


class WidgetOut(Salida):
    widget: str
    posicion: int
    tamano: Literal["S", "M", "L"]


class ConfiguracionOut(Salida):
    model_config = {"json_schema_extra": {"examples": [{
        "rol": "GERENTE_VENTAS", "grupos": ["ventas"], "personalizado": False,
        "widgets": [{"widget": "ventas_hoy", "posicion": 0, "tamano": "M"}]}]}}

    rol: str
    grupos: list[str] = Field(description="the KPI groups this user may read")
    personalizado: bool = Field(description="false: the default layout (nothing saved yet)")
    widgets: list[WidgetOut]


@router.get("/api/dashboard/kpis/ventas/", response_model=VentasKpiOut)
def kpis_ventas(session: SessionDep, user: Allowed(*PERMISO_GRUPO["ventas"]),
                sucursal_id: Id | None = None) -> dict[str, Any]:
    """ADMIN: every branch; anyone else: their branches (403 for another's `sucursal_id`)."""
    return consulta.kpis_ventas(session, user, sucursal_id)


@router.get("/api/dashboard/kpis/inventario/", response_model=InventarioKpiOut)
def kpis_inventario(session: SessionDep, user: Allowed(*PERMISO_GRUPO["inventario"]),
                    almacen_id: Id | None = None) -> dict[str, Any]:
    """ADMIN: every warehouse; anyone else: the warehouses assigned to them (403 for another's)."""
    return consulta.kpis_inventario(session, user, almacen_id)


@router.get("/api/dashboard/kpis/financiero/", response_model=FinancieroKpiOut)
def kpis_financiero(session: SessionDep, _: Allowed(*PERMISO_GRUPO["financiero"])) -> dict[str, Any]:
    return consulta.kpis_financiero(session)


@router.get("/api/dashboard/kpis/logistica/", response_model=LogisticaKpiOut)
def kpis_logistica(session: SessionDep, _: Allowed(*PERMISO_GRUPO["logistica"])) -> dict[str, Any]:
    return consulta.kpis_logistica(session)


@router.get("/api/dashboard/configuracion/", response_model=ConfiguracionOut)
def ver_configuracion(session: SessionDep, user: Allowed(*PERMISO_TABLERO)) -> dict[str, Any]:
    return widgets.obtener(session, user)


@router.put("/api/dashboard/configuracion/", response_model=ConfiguracionOut)
def guardar_configuracion(datos: widgets.ConfiguracionIn, session: SessionDep,
                          user: Allowed(*PERMISO_TABLERO)) -> dict[str, Any]:
    """Replace the user's layout (403 naming the widget whose KPIs the role may not read)."""
    return widgets.guardar(session, user, datos)


@router.get("/dashboard", response_class=HTMLResponse, include_in_schema=False)
def pagina_dashboard() -> HTMLResponse:
    """A minimal live dashboard: a login form, today's sales and a feed of the WebSocket's events."""
    return HTMLResponse(pagina("dashboard.html"))


def _conectar(token: str) -> tuple[AuthUser, list[str], list[str]]:
    with session_scope() as session:
        user = authenticate(session, token, PERMISO_TABLERO)
        return user, acceso.grupos_visibles(session, user), acceso.temas(session, user)


async def _token(websocket: WebSocket) -> str | None:
    """From `Sec-WebSocket-Protocol: erp.bearer, <jwt>` (answered with erp.bearer only), else from the first
    message, `{"token": "<jwt>"}` or the bare token. Never from the query string (it ends up in logs)."""
    ofrecidos = websocket.scope.get("subprotocols") or []
    if SUBPROTOCOLO in ofrecidos:
        await websocket.accept(subprotocol=SUBPROTOCOLO)
        resto = [p for p in ofrecidos if p != SUBPROTOCOLO]
        return resto[0] if resto else None
    await websocket.accept()
    try:
        texto = await asyncio.wait_for(websocket.receive_text(), ESPERA_TOKEN_S)
    except (TimeoutError, KeyError, RuntimeError, WebSocketDisconnect):
        return None
    try:
        cuerpo = json.loads(texto)
    except ValueError:
        return texto.strip() or None
    return cuerpo.get("token") if isinstance(cuerpo, dict) else None


@router.websocket("/ws/dashboard/")
async def ws_dashboard(websocket: WebSocket) -> None:
    """Live dashboard events (`venta`, `alerta_stock`, `snapshot`) of the user's KPI groups and scope, through
    PostgreSQL NOTIFY. Closes 4401 for a missing, bad or expired token, 4403 without dashboard:ver."""
    token = await _token(websocket)
    if not token:
        with contextlib.suppress(RuntimeError, OSError):  # the client may already be gone
            await websocket.close(code=4401, reason="token requerido")
        return
    try:
        user, grupos, temas = await asyncio.to_thread(_conectar, token)
    except Unauthorized:
        await websocket.close(code=4401, reason="token invalido o expirado")
        return
    except Forbidden:
        await websocket.close(code=4403, reason="sin permiso dashboard:ver")
        return
    restante = (user.exp - datetime.now(UTC)).total_seconds()
    async with tiempo_real.difusor().suscripcion(*temas) as cola:
        await websocket.send_json({"tipo": "conectado", "rol": user.rol, "grupos": grupos})
        try:
            async with asyncio.timeout(max(restante, 0)):
                await tiempo_real.reenviar(websocket, cola, lambda datos: datos)
        except TimeoutError:
            await websocket.close(code=4401, reason="token expirado")
