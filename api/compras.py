"""Module 5 compras y proveedores: /api/proveedores/ and /api/compras/ (purchase orders and their approval,
receptions, supplier invoices)."""

from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from pydantic import Field
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.contrato import errores
from api.deps import Allowed, SessionDep, client_ip
from api.finanzas import CuentaPagarOut
from api.notas_venta import RemoteDomainError, WorkflowsUnavailable
from core.errors import ValidationError
from core.schemas import Entrada, Fecha, Id, Pagina, Paginacion, Salida, salida_de
from core.temporal import connect
from integrations.sunat.consulta import CredencialesRechazadas, SunatNoDisponible
from models.compras import (
    ESTADOS_OC,
    ConfiguracionCompras,
    CostoVinculado,
    DetalleCostoVinculado,
    DetalleFacturaProveedor,
    DetalleOrdenCompra,
    DetalleRecepcion,
    FacturaProveedor,
    IncidenciaCompra,
    NivelAprobacionCompra,
    OrdenCompra,
    Proveedor,
    Recepcion,
)
from services.compras import configuracion as config_compras
from services.compras import costos, facturas, niveles, ordenes, proveedores, recepciones, sunat
from services.permisos import tiene_permiso
from workflows.entradas import DecisionOrdenCompra
from workflows.notas_venta import DOMAIN_ERROR

router = APIRouter(tags=["compras"])
PaginaDep = Annotated[Paginacion, Depends()]

# --- suppliers ------------------------------------------------------------------------------------------------

ProveedorOut = salida_de(Proveedor, "ProveedorOut", ejemplo={
    "id": 1, "ruc": "20100066603", "razon_social": "DISTRIBUIDORA ANDINA S.A.C.", "direccion": "AV. ARGENTINA 100",
    "contacto": "Rosa Quispe", "telefono": "014445566", "email": "ventas@andina.pe", "condicion_pago": "CREDITO",
    "dias_credito": 30, "limite_credito": "20000.00", "activo": True, "ultima_evaluacion": None,
    "created_at": "2026-12-01T14:00:00Z"})


@router.get("/api/proveedores/", response_model=Pagina[ProveedorOut])
def listar_proveedores(session: SessionDep, _: Allowed("proveedores", "ver"), pagina: PaginaDep,
                       q: Annotated[str | None, Query(max_length=100, description="RUC (prefix) or name")] = None,
                       activo: bool | None = None) -> Pagina[ProveedorOut]:
    return pagina.pagina(*proveedores.listar(session, pagina, q, activo))


@router.post("/api/proveedores/", status_code=201, response_model=ProveedorOut)
def crear_proveedor(datos: proveedores.ProveedorIn, session: SessionDep,
                    _: Allowed("proveedores", "crear")) -> Proveedor:
    return proveedores.crear(session, datos)


@router.get("/api/proveedores/{proveedor_id}/", response_model=ProveedorOut)
def obtener_proveedor(proveedor_id: Id, session: SessionDep, _: Allowed("proveedores", "ver")) -> Proveedor:
    return proveedores.obtener(session, proveedor_id)


@router.put("/api/proveedores/{proveedor_id}/", response_model=ProveedorOut)
def actualizar_proveedor(proveedor_id: Id, datos: proveedores.ProveedorCambio, session: SessionDep,
                         _: Allowed("proveedores", "editar")) -> Proveedor:
    """Everything but the RUC (a different RUC is a different supplier); `activo: false` retires it."""
    return proveedores.actualizar(session, proveedor_id, datos)


class ComparacionOut(Salida):
    proveedor_id: int
    ruc: str
    razon_social: str
    activo: bool
    ultima_evaluacion: Decimal | None
    ultimo_precio_pen: Decimal = Field(description="valor unitario sin IGV, en PEN al tipo de cambio de la OC")
    precio_promedio_pen: Decimal
    ordenes: int
    plazo_entrega_dias: Decimal | None = Field(description="promedio de la OC a la recepción")
    calidad_pct: Decimal | None = Field(description="% de lo recibido en líneas CONFORME")
    es_consultado: bool


@router.get("/api/proveedores/{proveedor_id}/comparar/{producto_id}/", response_model=Pagina[ComparacionOut])
def comparar_proveedores(proveedor_id: Id, producto_id: Id, session: SessionDep, pagina: PaginaDep,
                         _: Allowed("proveedores", "ver")) -> Pagina[ComparacionOut]:
    """Every supplier that sold the product, cheapest on average first, with the one asked about flagged."""
    filas = [ComparacionOut.model_validate(f) for f in proveedores.comparar(session, proveedor_id, producto_id)]
    return pagina.pagina(filas[pagina.offset:pagina.offset + pagina.limit], len(filas))


# --- purchase orders ------------------------------------------------------------------------------------------

DetalleOrdenOut = salida_de(DetalleOrdenCompra, "DetalleOrdenOut")
OrdenOut = salida_de(OrdenCompra, "OrdenCompraOut", detalle=(list[DetalleOrdenOut], ...),
                     doc="A purchase order; `total` is the purchase value before IGV, `total_pen` at the day's rate.")
EstadoOC = Literal[ESTADOS_OC]  # type: ignore[valid-type]


def _orden(session: SessionDep, orden: OrdenCompra) -> Salida:
    return OrdenOut.model_validate({**orden.model_dump(), "detalle": ordenes.detalle(session, orden.id)})


@router.post("/api/compras/ordenes/", status_code=201, response_model=OrdenOut)
def crear_orden(datos: ordenes.OrdenIn, session: SessionDep, user: Allowed("compras", "crear")) -> Salida:
    """A draft OC (BORRADOR); submit it with `POST .../enviar/`."""
    return _orden(session, ordenes.crear(session, user.id, datos))


@router.get("/api/compras/ordenes/", response_model=Pagina[OrdenOut])
def listar_ordenes(session: SessionDep, _: Allowed("compras", "ver"), pagina: PaginaDep,
                   estado: EstadoOC | None = None, proveedor_id: Id | None = None, almacen_id: Id | None = None,
                   desde: Fecha | None = None, hasta: Fecha | None = None) -> Pagina[OrdenOut]:
    filas, total = ordenes.listar(session, ordenes.FiltrosOrden(estado, proveedor_id, almacen_id, desde, hasta),
                                  pagina)
    return pagina.pagina([_orden(session, o) for o in filas], total)


@router.get("/api/compras/ordenes/{orden_id}/", response_model=OrdenOut)
def obtener_orden(orden_id: Id, session: SessionDep, _: Allowed("compras", "ver")) -> Salida:
    return _orden(session, ordenes.obtener(session, orden_id))


@router.put("/api/compras/ordenes/{orden_id}/", response_model=OrdenOut)
def actualizar_orden(orden_id: Id, datos: ordenes.OrdenIn, session: SessionDep,
                     _: Allowed("compras", "editar")) -> Salida:
    """A BORRADOR or RECHAZADA OC: header and lines replaced (409 in any other state)."""
    return _orden(session, ordenes.actualizar(session, orden_id, datos))


@router.post("/api/compras/ordenes/{orden_id}/enviar/", response_model=OrdenOut)
def enviar_orden(orden_id: Id, session: SessionDep, _: Allowed("compras", "crear")) -> Salida:
    """Submit for approval: within the automatic tier it is APROBADA at once; above it PENDIENTE_APROBACION and
    the `AprobacionOrdenCompra` workflow (`oc-<id>`) waits for the approver. A RECHAZADA OC is resubmitted."""
    return _orden(session, ordenes.enviar(session, orden_id))


class AnulacionIn(Entrada):
    motivo: str = Field(min_length=3, max_length=500)


@router.post("/api/compras/ordenes/{orden_id}/anular/", response_model=OrdenOut)
def anular_orden(orden_id: Id, datos: AnulacionIn, session: SessionDep, _: Allowed("compras", "anular")) -> Salida:
    return _orden(session, ordenes.anular(session, orden_id, datos.motivo))


class AprobacionIn(Entrada):
    decision: Literal["APROBAR", "RECHAZAR"]
    comentario: str = Field(default="", max_length=500)


@router.put("/api/compras/ordenes/{orden_id}/aprobar/", response_model=OrdenOut)
async def aprobar_orden(orden_id: Id, datos: AprobacionIn, request: Request, session: SessionDep,
                        user: Allowed("compras", "ver")) -> Salida:
    """The approver's decision, as an Update of the OC's workflow: its validator answers 403 to a user without
    `compras:aprobar`, below the OC's tier, or who created the OC; 409 when the OC is not pending."""
    orden = ordenes.obtener(session, orden_id)
    decision = DecisionOrdenCompra(orden.id, user.id, datos.decision, datos.comentario,
                                   tiene_permiso(session, user.rol_id, "compras", "aprobar"),
                                   ordenes.nivel_de(session, user.rol), client_ip(request), user.rol)
    session.rollback()  # hand the connection back while the workflow's activity uses one
    try:
        client = await connect()
        await client.get_workflow_handle(ordenes.workflow_id(orden_id)).execute_update(
            "decidir", decision, result_type=str)
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        if isinstance(cause, ApplicationError) and cause.type == DOMAIN_ERROR:
            raise RemoteDomainError(*cause.details) from exc
        raise
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise WorkflowsUnavailable("El servicio de workflows (Temporal) no está disponible") from exc
        session.expire_all()
        orden = ordenes.obtener(session, orden_id)
        ordenes.exigir_estado(orden, "aprobar ni rechazar", "PENDIENTE_APROBACION")
        raise WorkflowsUnavailable("La aprobación de la OC se está iniciando: reintente en un momento") from exc
    except RuntimeError as exc:
        raise WorkflowsUnavailable("El servicio de workflows (Temporal) no está disponible") from exc
    session.expire_all()
    return _orden(session, ordenes.obtener(session, orden_id))


# --- receptions -----------------------------------------------------------------------------------------------

DetalleRecepcionOut = salida_de(DetalleRecepcion, "DetalleRecepcionOut")
IncidenciaOut = salida_de(IncidenciaCompra, "IncidenciaCompraOut")
RecepcionOut = salida_de(Recepcion, "RecepcionOut", detalle=(list[DetalleRecepcionOut], ...),
                         incidencias=(list[IncidenciaOut], ...), estado_orden=(str, ...))


def _recepcion(session: SessionDep, recepcion: Recepcion) -> Salida:
    return RecepcionOut.model_validate({
        **recepcion.model_dump(), "detalle": recepciones.detalle(session, recepcion.id),
        "incidencias": recepciones.incidencias(session, recepcion.id),
        "estado_orden": ordenes.obtener(session, recepcion.orden_id).estado})


@router.post("/api/compras/recepciones/", status_code=201, response_model=RecepcionOut, responses=errores(404))
def registrar_recepcion(datos: recepciones.RecepcionIn, session: SessionDep,
                        user: Allowed("compras", "recibir")) -> Salida:
    """A partial or total reception (404 for an unknown `orden_id`): stock in, incidents, the OC's state
    (PARCIAL / RECIBIDA) and the average cost in one transaction; more than ordered beyond the tolerance is a
    400 naming the line."""
    return _recepcion(session, recepciones.registrar(session, user.id, datos))


@router.get("/api/compras/recepciones/{recepcion_id}/", response_model=RecepcionOut)
def obtener_recepcion(recepcion_id: Id, session: SessionDep, _: Allowed("compras", "ver")) -> Salida:
    return _recepcion(session, recepciones.obtener(session, recepcion_id))


@router.post("/api/compras/recepciones/{recepcion_id}/fotos/", response_model=DetalleRecepcionOut)
def subir_foto(recepcion_id: Id, session: SessionDep, _: Allowed("compras", "recibir"),
               detalle_id: Annotated[int, Form(ge=1, le=2**31 - 1, description="detalle_recepcion.id")],
               archivo: Annotated[UploadFile, File(description="JPEG, PNG o WebP, hasta 5 MiB")]) -> DetalleRecepcion:
    """The photo of a received line (multipart), kept in storage; also the evidence of the line's incident."""
    contenido = archivo.file.read(recepciones.MAX_FOTO + 1)
    return recepciones.guardar_foto(session, recepcion_id, detalle_id, contenido)


@router.post("/api/compras/recepciones/{recepcion_id}/cerrar/", response_model=OrdenOut)
def cerrar_orden(recepcion_id: Id, session: SessionDep, _: Allowed("compras", "recibir")) -> Salida:
    """Close the reception's OC: what was not received is cancelled (`cantidad_cancelada`), the OC CERRADA."""
    return _orden(session, recepciones.cerrar(session, recepcion_id))


# --- supplier invoices ----------------------------------------------------------------------------------------

DetalleFacturaOut = salida_de(DetalleFacturaProveedor, "DetalleFacturaProveedorOut")
FacturaOut = salida_de(FacturaProveedor, "FacturaProveedorOut", detalle=(list[DetalleFacturaOut], ...),
                       cuenta_por_pagar_id=(int | None, None), cuotas=(list[CuentaPagarOut], ...),
                       doc="A supplier invoice; `diferencias` lists the last three-way match's lines out of tolerance.")


def _factura(session: SessionDep, factura: FacturaProveedor) -> Salida:
    cuotas = facturas.cuentas_por_pagar(session, factura.id)
    return FacturaOut.model_validate({**factura.model_dump(), "detalle": facturas.detalle(session, factura.id),
                                      "cuenta_por_pagar_id": cuotas[0].id if cuotas else None, "cuotas": cuotas})


@router.post("/api/compras/facturas/", status_code=201, response_model=FacturaOut, responses=errores(404))
def registrar_factura(datos: facturas.FacturaIn, session: SessionDep, user: Allowed("compras", "facturar")) -> Salida:
    """Register the supplier's invoice: unique per (RUC, tipo, serie, número) however the number is typed (409),
    linked to an APROBADA/PARCIAL/RECIBIDA OC of the same supplier; posts the purchase (6011/6091/40111/4212)
    and opens its cuenta por pagar in the same transaction."""
    return _factura(session, facturas.registrar(session, user.id, datos))


@router.get("/api/compras/facturas/{factura_id}/", response_model=FacturaOut)
def obtener_factura(factura_id: Id, session: SessionDep, _: Allowed("compras", "ver")) -> Salida:
    return _factura(session, facturas.obtener(session, factura_id))


@router.post("/api/compras/facturas/{factura_id}/conciliar/", response_model=FacturaOut)
def conciliar_factura(factura_id: Id, session: SessionDep, _: Allowed("compras", "facturar")) -> Salida:
    """Three-way match against the OC's prices and the accepted quantities received: CONCILIADA (payable) or
    EN_REVISION with every difference listed per line."""
    return _factura(session, facturas.conciliar(session, factura_id))


class JustificacionIn(Entrada):
    justificacion: str = Field(min_length=10, max_length=1000)


@router.post("/api/compras/facturas/{factura_id}/justificar/", response_model=FacturaOut)
def justificar_factura(factura_id: Id, datos: JustificacionIn, session: SessionDep,
                       _: Allowed("compras", "justificar")) -> Salida:
    """Accept an invoice EN_REVISION with a written justification (audited): it becomes CONCILIADA."""
    return _factura(session, facturas.justificar(session, factura_id, datos.justificacion))


@router.post("/api/compras/facturas/{factura_id}/validar-sunat/", response_model=FacturaOut)
def validar_sunat(factura_id: Id, session: SessionDep, _: Allowed("compras", "validar")) -> Salida:
    """Ask SUNAT's consulta integrada now (the automatic check runs on registration and retries on its own):
    keeps estadoCp / estadoRuc / condDomiRuc and the observations; a comprobante not accepted or authorised,
    or a supplier not ACTIVO/HABIDO, marks the invoice OBSERVADA. 503 while SUNAT is unavailable."""
    facturas.obtener(session, factura_id)
    session.rollback()  # no connection held while SUNAT answers
    try:
        sunat.consultar(factura_id)
    except SunatNoDisponible as exc:
        raise WorkflowsUnavailable(f"SUNAT no está disponible: {exc}; la validación automática reintentará") from exc
    except CredencialesRechazadas as exc:
        raise ValidationError(f"{exc}: revise sunat_client_id / sunat_client_secret", field="sunat_client_id") from exc
    session.expire_all()
    return _factura(session, facturas.obtener(session, factura_id))


class LevantarIn(Entrada):
    motivo: str = Field(min_length=10, max_length=500)


@router.post("/api/compras/facturas/{factura_id}/levantar-observacion/", response_model=FacturaOut)
def levantar_observacion(factura_id: Id, datos: LevantarIn, session: SessionDep,
                         _: Allowed("compras", "levantar_observacion")) -> Salida:
    """Override SUNAT's observation with a reason (audited): the invoice can then be reconciled and paid."""
    return _factura(session, sunat.levantar_observacion(session, factura_id, datos.motivo))


# --- landed cost ----------------------------------------------------------------------------------------------

DetalleCostoOut = salida_de(DetalleCostoVinculado, "DetalleCostoVinculadoOut")
CostoOut = salida_de(CostoVinculado, "CostoVinculadoOut", detalle=(list[DetalleCostoOut], ...),
                     doc="A logistics cost of an OC prorated into the landed cost: per line its share (PEN), what "
                         "raised the warehouse's average cost and what went to cost of sales.")


def _costo(session: SessionDep, costo: CostoVinculado) -> Salida:
    return CostoOut.model_validate({**costo.model_dump(), "detalle": costos.detalle(session, costo.id)})


@router.post("/api/compras/costos-vinculados/", status_code=201, response_model=CostoOut, responses=errores(404, 422))
def registrar_costo_vinculado(datos: costos.CostoVinculadoIn, session: SessionDep,
                              user: Allowed("compras", "facturar")) -> Salida:
    """A freight, insurance or customs document of an OC (billed by the carrier, insurer or broker): posts
    6091/40111 D · 4212 H with its payable, and prorates the amount by value or weight over what the OC (or one
    reception) accepted, raising the warehouse's average cost (20111 D; 6911 D for units already sold · 6111 H)."""
    return _costo(session, costos.registrar(session, user.id, datos))


@router.get("/api/compras/costos-vinculados/{costo_id}/", response_model=CostoOut)
def obtener_costo_vinculado(costo_id: Id, session: SessionDep, _: Allowed("compras", "ver")) -> Salida:
    return _costo(session, costos.obtener(session, costo_id))


@router.get("/api/compras/ordenes/{orden_id}/costos-vinculados/", response_model=Pagina[CostoOut])
def costos_de_orden(orden_id: Id, session: SessionDep, pagina: PaginaDep, _: Allowed("compras", "ver")) -> Pagina:
    """The OC's logistics costs: its invoices' gastos_logisticos and the documents of their own."""
    ordenes.obtener(session, orden_id)
    filas, total = costos.de_orden(session, orden_id, pagina)
    return pagina.pagina([_costo(session, c) for c in filas], total)


# --- configuration ----------------------------------------------------------------------------------------------

ConfiguracionOut = salida_de(ConfiguracionCompras, "ConfiguracionComprasOut", excluir=("sunat_client_secret",),
                             sunat_client_secret_configurado=(bool, ...))


def _config(config: ConfiguracionCompras) -> Salida:
    return ConfiguracionOut.model_validate({**config.model_dump(exclude={"sunat_client_secret"}),
                                            "sunat_client_secret_configurado": bool(config.sunat_client_secret)})


@router.get("/api/compras/configuracion/", response_model=ConfiguracionOut)
def ver_configuracion(session: SessionDep, _: Allowed("compras", "ver")) -> Salida:
    return _config(ordenes.configuracion(session))


@router.put("/api/compras/configuracion/", response_model=ConfiguracionOut)
def cambiar_configuracion(datos: config_compras.ConfiguracionComprasIn, session: SessionDep,
                          _: Allowed("compras", "configurar")) -> Salida:
    """Reminder/escalation waits, tolerances, proposal state, SUNAT credentials (the
    secret is stored encrypted and never answered)."""
    return _config(config_compras.cambiar(session, datos))


# --- approval tiers ---------------------------------------------------------------------------------------------

NivelOut = salida_de(NivelAprobacionCompra, "NivelAprobacionCompraOut", ejemplo={
    "id": 1, "nivel": 1, "monto_minimo": "5000.00", "roles": ["FINANZAS", "ADMIN"], "descripcion": "Jefatura"})


@router.get("/api/compras/niveles-aprobacion/", response_model=Pagina[NivelOut])
def listar_niveles(session: SessionDep, pagina: PaginaDep, _: Allowed("compras", "ver")) -> Pagina:
    """The approval tiers, lowest first: an OC worth more than `monto_minimo` (PEN) needs an approver whose role
    is in `roles` of that tier or a higher one (and `compras:aprobar`); up to the lowest, approved on submission."""
    filas = [NivelOut.model_validate(f) for f in niveles.listar(session)]
    return pagina.pagina(filas[pagina.offset:pagina.offset + pagina.limit], len(filas))


@router.put("/api/compras/niveles-aprobacion/", response_model=Pagina[NivelOut])
def cambiar_niveles(datos: niveles.NivelesIn, session: SessionDep, _: Allowed("compras", "configurar")) -> Pagina:
    """Replace the tiers (numbered by position; thresholds strictly increasing; roles that exist — 400 naming
    the field). OCs already waiting keep the tiers their approval workflow read when it started."""
    filas = [NivelOut.model_validate(f) for f in niveles.cambiar(session, datos)]
    return Pagina(items=filas, total=len(filas), limit=len(filas), offset=0)
