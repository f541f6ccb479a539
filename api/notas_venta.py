"""Spec 003 endpoints: /api/notas-venta/ (REST) and the detail page /finanzas/notas-venta/{id}.

Approve / issue / cancel are Temporal updates on the note's workflow (`nota-venta-<id>`), so the caller
gets the outcome synchronously; the acting user always comes from the JWT, never from a header.
"""

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import ConfigDict, Field
from temporalio.client import WithStartWorkflowOperation, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError

from api.contrato import descarga
from api.deps import Allowed, SessionDep, client_ip, idempotent
from api.paginas import pagina
from core.errors import DomainError, Forbidden, Unavailable
from core.schemas import Entrada, Fecha, Id, Pagina, Paginacion, Salida
from core.settings import get_settings
from core.temporal import DOMAIN_ERROR, connect, typed_search_attributes
from services import notas_venta as nv
from services.auth import AuthUser
from services.permisos import tiene_permiso
from workflows.entradas import EstadoNota, Solicitud

router = APIRouter(tags=["notas_venta"])
PREFIX = "/api/notas-venta"
Text = Annotated[str, Field(max_length=200)]


class ItemIn(Entrada):
    description: str = Field(min_length=1, max_length=500)
    quantity: Decimal = Field(gt=0, max_digits=14, decimal_places=4)
    unit_price: Decimal = Field(ge=0, max_digits=14, decimal_places=2)
    discount_pct: Decimal = Field(default=Decimal(0), ge=0, le=100, decimal_places=2)


class NotaIn(Entrada):
    """The whole document (POST and PUT). `issue_date` defaults to today in America/Santiago."""

    customer_rut: str = Field(max_length=20)
    customer_razon_social: Text = Field(min_length=1)
    customer_giro: Text = ""
    customer_direccion: str = Field(default="", max_length=300)
    customer_comuna: str = Field(default="", max_length=100)
    customer_ciudad: str = Field(default="", max_length=100)
    customer_contacto: Text = ""
    forma_pago: Text = ""
    proyecto: Text = ""
    presupuesto: str = Field(default="", max_length=100)
    observaciones: str = Field(default="", max_length=2000)
    vendedor: str = Field(default="", max_length=150)
    issue_date: Fecha | None = None
    vat_rate: Decimal | None = Field(default=None, ge=0, lt=1, decimal_places=4)
    items: list[ItemIn] = Field(min_length=1, max_length=500)


class ItemOut(ItemIn):
    model_config = ConfigDict(from_attributes=True)
    position: int
    line_total: Decimal


class NotaOut(Salida):
    """A Chilean nota de venta (draft → approved → issued → cancelled) with its items."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": 7, "nv_number": "001-2026", "nv_year": 2026, "nv_seq": 1, "status": "issued", "version": 3,
        "issue_date": "2026-03-02", "customer_rut": "76.086.428-5", "customer_razon_social": "Constructora Andes SpA",
        "customer_giro": "Construcción", "customer_direccion": "Av. Apoquindo 4501", "customer_comuna": "Las Condes",
        "customer_ciudad": "Santiago", "customer_contacto": "", "forma_pago": "30 días", "proyecto": "",
        "presupuesto": "",
        "observaciones": "", "vendedor": "M. Rojas", "vat_rate": "0.1900", "neto": "100000.00", "iva": "19000.00",
        "total": "119000.00", "approved_by": 3, "approved_by_name": "Gerente", "approved_at": "2026-03-02T14:00:00Z",
        "approved_ip": "10.0.0.5", "approved_ua": "Mozilla/5.0", "emitted_at": "2026-03-02T14:05:00Z",
        "pdf_hash": "9f2c…", "pdf_url": "/api/notas-venta/7/pdf", "cancelled_at": None, "cancel_reason": None,
        "items": [{"description": "Cemento 25 kg", "quantity": "100.0000", "unit_price": "1000.00",
                   "discount_pct": "0.00", "position": 1, "line_total": "100000.00"}]}]})
    id: int
    nv_number: str
    nv_year: int
    nv_seq: int
    status: str
    version: int
    issue_date: date
    customer_rut: str
    customer_razon_social: str
    customer_giro: str
    customer_direccion: str
    customer_comuna: str
    customer_ciudad: str
    customer_contacto: str
    forma_pago: str
    proyecto: str
    presupuesto: str
    observaciones: str
    vendedor: str
    vat_rate: Decimal
    neto: Decimal
    iva: Decimal
    total: Decimal
    approved_by: int | None
    approved_by_name: str | None
    approved_at: datetime | None
    approved_ip: str | None
    approved_ua: str | None
    emitted_at: datetime | None
    pdf_hash: str | None
    pdf_url: str | None = None
    cancelled_at: datetime | None
    cancel_reason: str | None
    items: list[ItemOut] = []


class AuditOut(Salida):
    id: int
    action: str
    actor_id: int | None
    actor: str | None
    ip: str | None
    user_agent: str | None
    payload_json: dict[str, Any] | None
    created_at: datetime


class CancelIn(Entrada):
    motivo: str = Field(default="", max_length=500)


class ConfigIn(Entrada):
    razon_social: Text | None = None
    rut: str | None = Field(default=None, max_length=20)
    giro: Text | None = None
    url: Text | None = None
    direccion: str | None = Field(default=None, max_length=300)
    cargo_aprobador: str | None = Field(default=None, max_length=120)
    iva_tasa: Decimal | None = Field(default=None, ge=0, lt=1, decimal_places=4)


class ConfigOut(ConfigIn):
    model_config = ConfigDict(from_attributes=True)


class VerificacionOut(Salida):
    """Does the stored PDF still match the hash frozen at issue (and the document re-rendered now)?"""

    nv_number: str
    pdf_hash: str
    rendered_hash: str
    stored_file_hash: str | None
    matches: bool
    stored_file_matches: bool


class RemoteDomainError(DomainError):
    """A refusal raised inside the workflow or its activity, with its original status and body."""

    def __init__(self, status: int, body: dict[str, Any]):
        super().__init__(body.get("message", "Error"))
        self.status, self._body = status, body

    def body(self) -> dict:
        return self._body


class WorkflowsUnavailable(Unavailable):
    code = "workflows_unavailable"


def _operador(user: AuthUser, request: Request) -> nv.Operador:
    return nv.Operador(user.id, user.nombre, user.email, client_ip(request), request.headers.get("user-agent"))


def _out(session: SessionDep, nota: Any) -> NotaOut:
    session.refresh(nota)  # numbers as stored (NUMERIC scale), not as computed
    out = NotaOut.model_validate(nota)
    out.items = [ItemOut.model_validate(i) for i in nv.items_of(session, nota.id)]
    out.pdf_url = f"{PREFIX}/{nota.id}/pdf" if nota.pdf_hash else None
    return out


# --- configuration (declared before /{nota_id}) -------------------------------------------------


@router.get(f"{PREFIX}/configuracion", response_model=ConfigOut)
def get_config(session: SessionDep, _: Allowed("notas_venta", "ver")) -> Any:
    return nv.chile_config(session)


@router.put(f"{PREFIX}/configuracion", response_model=ConfigOut)
def put_config(body: ConfigIn, session: SessionDep, _: Allowed("notas_venta", "configurar")) -> Any:
    return nv.save_config(session, body.model_dump(exclude_none=True))


# --- documents ----------------------------------------------------------------------------------


@router.post(f"{PREFIX}/", response_model=NotaOut, status_code=201)
@idempotent
def create(body: NotaIn, request: Request, session: SessionDep, user: Allowed("notas_venta", "crear")) -> NotaOut:
    nota = nv.create_note(session, body.model_dump(mode="python"), _operador(user, request))
    return _out(session, nota)


@router.get(f"{PREFIX}/", response_model=Pagina[NotaOut])
def list_(session: SessionDep, _: Allowed("notas_venta", "ver"), pagina: Annotated[Paginacion, Depends()],
          status: str | None = Query(default=None, pattern="^(draft|approved|issued|cancelled)$"),
          year: int | None = Query(default=None, ge=2000, le=2100),
          customer: str | None = Query(default=None, max_length=200)) -> Pagina[NotaOut]:
    notas, total = nv.list_notes(session, status, year, customer, pagina)
    return pagina.pagina([_out(session, n) for n in notas], total)


@router.get(f"{PREFIX}/{{nota_id}}", response_model=NotaOut)
def get(nota_id: Id, session: SessionDep, _: Allowed("notas_venta", "ver")) -> NotaOut:
    return _out(session, nv.get_note(session, nota_id))


@router.put(f"{PREFIX}/{{nota_id}}", response_model=NotaOut)
def update(nota_id: Id, body: NotaIn, request: Request, session: SessionDep,
           user: Allowed("notas_venta", "editar")) -> NotaOut:
    nota = nv.update_note(session, nota_id, body.model_dump(mode="python"), _operador(user, request))
    return _out(session, nota)


async def _drive(session: SessionDep, nota_id: Id, update: str, solicitud: Solicitud) -> NotaOut:
    """Run `update` on the note's workflow; start the workflow first if the outbox has not yet."""
    nota = nv.get_note(session, nota_id)
    if nota.status == "cancelled":
        raise nv.TransicionInvalida(nota, update)
    start = WithStartWorkflowOperation(
        nv.WORKFLOW, nv.workflow_state(nota), id=nv.workflow_id(nota.id), task_queue=get_settings().temporal_task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        search_attributes=typed_search_attributes({"Documento": nota.nv_number, "Estado": nota.status}))
    session.rollback()  # hand the connection back while the workflow works (its activity needs one too)
    try:
        client = await connect()
        await client.execute_update_with_start_workflow(
            update, solicitud, start_workflow_operation=start, id=solicitud.request_id, result_type=EstadoNota)
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        if isinstance(cause, ApplicationError) and cause.type == DOMAIN_ERROR:
            raise RemoteDomainError(*cause.details) from exc
        raise
    except WorkflowAlreadyStartedError as exc:  # the workflow already finished: the note is cancelled
        session.expire_all()
        raise nv.TransicionInvalida(nv.get_note(session, nota_id), update) from exc
    except (RPCError, RuntimeError) as exc:
        raise WorkflowsUnavailable("El servicio de workflows (Temporal) no está disponible") from exc
    session.expire_all()
    return _out(session, nv.get_note(session, nota_id))


def _solicitud(user: AuthUser, request: Request, motivo: str | None = None) -> Solicitud:
    op = _operador(user, request)
    return Solicitud(str(uuid.uuid4()), op.usuario_id, op.nombre, op.email, op.ip, op.user_agent, motivo)


@router.post(f"{PREFIX}/{{nota_id}}/approve", response_model=NotaOut)
async def approve(nota_id: Id, request: Request, session: SessionDep,
                  user: Allowed("notas_venta", "aprobar")) -> NotaOut:
    return await _drive(session, nota_id, "aprobar", _solicitud(user, request))


@router.post(f"{PREFIX}/{{nota_id}}/issue", response_model=NotaOut)
async def issue(nota_id: Id, request: Request, session: SessionDep,
                user: Allowed("notas_venta", "emitir")) -> NotaOut:
    """Issue and freeze: the answer carries `pdf_hash` and `pdf_url`. Issuing a draft also approves it,
    so it needs `notas_venta:aprobar` as well."""
    nota = nv.get_note(session, nota_id)
    if nota.status == "draft" and not tiene_permiso(session, user.rol_id, "notas_venta", "aprobar"):
        raise Forbidden("Emitir una nota en borrador la aprueba: requiere notas_venta:aprobar")
    return await _drive(session, nota_id, "emitir", _solicitud(user, request))


@router.post(f"{PREFIX}/{{nota_id}}/cancel", response_model=NotaOut)
async def cancel(nota_id: Id, body: CancelIn, request: Request, session: SessionDep,
                 user: Allowed("notas_venta", "anular")) -> NotaOut:
    motivo = nv.check_motivo(body.motivo)
    return await _drive(session, nota_id, "anular", _solicitud(user, request, motivo))


@router.get(f"{PREFIX}/{{nota_id}}/pdf", **descarga("application/pdf", "The PDF frozen at issue"))
def pdf(nota_id: Id, session: SessionDep, _: Allowed("notas_venta", "ver")) -> Response:
    nota = nv.get_note(session, nota_id)
    return Response(nv.stored_pdf(nota), media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="nota-venta-{nota.nv_number}.pdf"',
        "X-Content-SHA256": nota.pdf_hash or ""})


@router.get(f"{PREFIX}/{{nota_id}}/verify", response_model=VerificacionOut)
def verify(nota_id: Id, session: SessionDep, _: Allowed("notas_venta", "ver")) -> nv.Verificacion:
    return nv.verify(session, nota_id)


@router.get(f"{PREFIX}/{{nota_id}}/audit", response_model=Pagina[AuditOut])
def audit(nota_id: Id, session: SessionDep, _: Allowed("notas_venta", "ver"),
          pagina: Annotated[Paginacion, Depends()]) -> Pagina[AuditOut]:
    """The note's business audit trail, oldest first."""
    filas, total = nv.audit_trail(session, nota_id, pagina)
    return pagina.pagina([AuditOut.model_validate(a) for a in filas], total)


# --- detail page (spec §4) ----------------------------------------------------------------------


@router.get("/finanzas/notas-venta/{nota_id}", response_class=HTMLResponse, include_in_schema=False)
def page(nota_id: Id) -> HTMLResponse:
    """Static HTML: it shows nothing until its script has a valid token and calls the REST API."""
    return HTMLResponse(pagina("nota_venta.html"))
