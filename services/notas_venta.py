"""Spec 003 business operations on Chilean sales notes. Each public mutating function is one transaction.

Money: amounts are Chilean pesos. Line amounts, neto, IVA and total are rounded to whole pesos with
ROUND_HALF_UP (SII practice: CLP has no decimals) and stored in NUMERIC(14, 2) columns (so `.00`);
unit prices may carry 2 decimals and quantities 4.
"""

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, or_, select, text
from sqlmodel import Session

from core import outbox
from core.audit import snapshot
from core.context import Actor
from core.db import contiene, paginar
from core.errors import Conflict, NotFound, ValidationError
from core.schemas import Paginacion
from core.settings import get_settings
from models.base import exigir_monto
from models.notas_venta import (
    EDITABLES,
    TRANSICIONES,
    ConfiguracionChile,
    SalesNote,
    SalesNoteAudit,
    SalesNoteItem,
)
from services.rut import normalize_rut
from workflows.entradas import EstadoNota

SANTIAGO = ZoneInfo("America/Santiago")
PESO = Decimal("1")
WORKFLOW = "NotaVenta"
HEADER_FIELDS = (
    "customer_razon_social", "customer_giro", "customer_direccion", "customer_comuna", "customer_ciudad",
    "customer_contacto", "forma_pago", "proyecto", "presupuesto", "observaciones", "vendedor",
)


@dataclass(frozen=True)
class Operador:
    """Who acts and from where: the authenticated user (from the JWT), the peer IP and the User-Agent."""

    usuario_id: int
    nombre: str
    email: str
    ip: str | None = None
    user_agent: str | None = None


class TransicionInvalida(Conflict):
    """409 that tells the client the state the note is actually in."""

    def __init__(self, nota: SalesNote | None, accion: str, estado: str | None = None):
        self.estado = estado or nota.status
        numero = f" {nota.nv_number}" if nota is not None else ""
        super().__init__(f"La nota de venta{numero} está en estado '{self.estado}': no se puede {accion}",
                         field="status")

    def body(self) -> dict:
        return {**super().body(), "estado_actual": self.estado}


def workflow_id(nota_id: int) -> str:
    return f"nota-venta-{nota_id}"


def today_santiago() -> date:
    return datetime.now(SANTIAGO).date()


# --- configuration ------------------------------------------------------------------------------


def chile_config(session: Session) -> ConfiguracionChile:
    """The issuing company; its defaults until an administrator saves one."""
    return session.get(ConfiguracionChile, 1) or ConfiguracionChile()


def save_config(session: Session, data: dict[str, Any]) -> ConfiguracionChile:
    config = session.get(ConfiguracionChile, 1) or ConfiguracionChile()
    if "rut" in data:
        data = {**data, "rut": normalize_rut(data["rut"], field="rut")}
    for key, value in data.items():
        setattr(config, key, value)
    session.add(config)
    session.commit()
    return config


def emisor(config: ConfiguracionChile) -> dict[str, str]:
    """The company data printed on a PDF, frozen on the note when it is issued."""
    return {"razon_social": config.razon_social, "rut": config.rut, "giro": config.giro, "url": config.url,
            "direccion": config.direccion, "cargo_aprobador": config.cargo_aprobador}


# --- totals -------------------------------------------------------------------------------------


def line_total(quantity: Decimal, unit_price: Decimal, discount_pct: Decimal) -> Decimal:
    gross = quantity * unit_price * (Decimal(100) - discount_pct) / Decimal(100)
    return gross.quantize(PESO, ROUND_HALF_UP)


def totals(line_totals: list[Decimal], vat_rate: Decimal) -> tuple[Decimal, Decimal, Decimal]:
    """(neto, IVA, total) in whole pesos; IVA = neto × rate rounded half up."""
    neto = sum(line_totals, Decimal(0)).quantize(PESO, ROUND_HALF_UP)
    iva = (neto * vat_rate).quantize(PESO, ROUND_HALF_UP)
    return neto, iva, neto + iva


# --- reading ------------------------------------------------------------------------------------


def get_note(session: Session, nota_id: int, lock: bool = False) -> SalesNote:
    stmt = select(SalesNote).where(SalesNote.id == nota_id)
    nota = session.execute(stmt.with_for_update() if lock else stmt).scalar_one_or_none()
    if nota is None:
        raise NotFound(f"No existe la nota de venta {nota_id}")
    return nota


def items_of(session: Session, nota_id: int) -> list[SalesNoteItem]:
    stmt = select(SalesNoteItem).where(SalesNoteItem.sales_note_id == nota_id).order_by(SalesNoteItem.position)
    return list(session.execute(stmt).scalars())


def list_notes(session: Session, status: str | None, year: int | None,
               customer: str | None, pagina: Paginacion) -> tuple[list[SalesNote], int]:
    stmt = select(SalesNote).order_by(SalesNote.nv_year.desc(), SalesNote.nv_seq.desc())
    if status:
        stmt = stmt.where(SalesNote.status == status)
    if year:
        stmt = stmt.where(SalesNote.nv_year == year)
    if customer:
        stmt = stmt.where(or_(SalesNote.customer_rut == _rut_or_text(customer),
                              contiene(SalesNote.customer_razon_social, customer)))
    return paginar(session, stmt, pagina.limit, pagina.offset)


def _rut_or_text(value: str) -> str:
    try:
        return normalize_rut(value)
    except ValidationError:
        return value


def audit_trail(session: Session, nota_id: int, pagina: Paginacion) -> tuple[list[SalesNoteAudit], int]:
    get_note(session, nota_id)
    stmt = select(SalesNoteAudit).where(SalesNoteAudit.sales_note_id == nota_id).order_by(SalesNoteAudit.id)
    return paginar(session, stmt, pagina.limit, pagina.offset)


# --- writing ------------------------------------------------------------------------------------


def _issue_date(value: date | None) -> date:
    issue_date = value or today_santiago()
    if not 2000 <= issue_date.year <= today_santiago().year + 1:
        raise ValidationError("Fecha de emisión fuera de rango", field="issue_date")
    return issue_date


def _next_seq(session: Session, year: int) -> int:
    """Gapless per-year correlative: the sequence row stays locked until this transaction ends, and a
    rollback gives the number back."""
    return session.execute(text(
        "INSERT INTO sales_note_sequences (year, last_seq) VALUES (:y, 1) "
        "ON CONFLICT (year) DO UPDATE SET last_seq = sales_note_sequences.last_seq + 1 RETURNING last_seq"
    ), {"y": year}).scalar_one()


def _apply_header(nota: SalesNote, data: dict[str, Any]) -> None:
    nota.customer_rut = normalize_rut(data.get("customer_rut") or "")
    for key in HEADER_FIELDS:
        if data.get(key) is not None:
            setattr(nota, key, data[key].strip())
    if not nota.customer_razon_social:
        raise ValidationError("La razón social del cliente es obligatoria", field="customer_razon_social")
    if data.get("vat_rate") is not None:
        nota.vat_rate = Decimal(data["vat_rate"])
    if not data.get("items"):
        raise ValidationError("La nota de venta necesita al menos un ítem", field="items")


def _replace_items(session: Session, nota: SalesNote, items: list[dict[str, Any]]) -> None:
    """Items and totals; the note must already have an id."""
    session.execute(delete(SalesNoteItem).where(SalesNoteItem.sales_note_id == nota.id))
    lines = [_item(nota.id, pos, item) for pos, item in enumerate(items, start=1)]
    for line in lines:
        exigir_monto(line.line_total, f"items.{line.position - 1}")
    nota.neto, nota.iva, nota.total = totals([line.line_total for line in lines], nota.vat_rate)
    exigir_monto(nota.total, "items")
    session.add_all(lines)


def _item(nota_id: int, position: int, item: dict[str, Any]) -> SalesNoteItem:
    quantity, price = Decimal(item["quantity"]), Decimal(item["unit_price"])
    discount = Decimal(item.get("discount_pct") or 0)
    return SalesNoteItem(sales_note_id=nota_id, position=position, description=item["description"].strip(),
                         quantity=quantity, unit_price=price, discount_pct=discount,
                         line_total=line_total(quantity, price, discount))


def _audit(session: Session, nota: SalesNote, action: str, op: Operador, request_id: str | None = None,
           extra: dict[str, Any] | None = None) -> None:
    """A `sales_note_audit` row with the whole document as it stands after the action."""
    session.flush()
    payload = {**snapshot(nota), "items": [snapshot(i) for i in items_of(session, nota.id)], **(extra or {})}
    session.add(SalesNoteAudit(sales_note_id=nota.id, action=action, actor_id=op.usuario_id, actor=op.email,
                               ip=op.ip, user_agent=(op.user_agent or "")[:512] or None,
                               request_id=request_id, payload_json=payload))


def _attribute(session: Session, op: Operador) -> None:
    """Rows written by this transaction (audit_logs too) are attributed to the operator."""
    session.info["actor"] = Actor(op.usuario_id, op.ip, op.user_agent)


def workflow_state(nota: SalesNote) -> EstadoNota:
    """What the note's workflow knows of it: its start input, its `sincronizar` signal, a transition's answer."""
    return EstadoNota(nota.id, nota.nv_number, nota.status, nota.version)


def create_note(session: Session, data: dict[str, Any], op: Operador) -> SalesNote:
    """A draft with the next correlative of its issue year, and its life-cycle workflow (via the outbox)."""
    _attribute(session, op)
    issue_date = _issue_date(data.get("issue_date"))
    nota = SalesNote(nv_year=issue_date.year, nv_seq=0, issue_date=issue_date, created_by=op.usuario_id,
                     vat_rate=chile_config(session).iva_tasa, customer_rut="", customer_razon_social="")
    _apply_header(nota, data)
    nota.nv_seq = _next_seq(session, nota.nv_year)
    session.add(nota)
    session.flush()
    _replace_items(session, nota, data["items"])
    session.flush()
    session.refresh(nota, ["nv_number"])
    _audit(session, nota, "create", op)
    outbox.request_workflow(session, WORKFLOW, workflow_id(nota.id), payload=workflow_state(nota),
                            search_attributes={"Documento": nota.nv_number, "Estado": nota.status})
    session.commit()
    return nota


def update_note(session: Session, nota_id: int, data: dict[str, Any], op: Operador) -> SalesNote:
    """Replace the document of a draft or approved note. Editing an approved note withdraws the approval
    (back to draft): what was approved is no longer what would be issued."""
    _attribute(session, op)
    nota = get_note(session, nota_id, lock=True)
    if nota.status not in EDITABLES:
        raise TransicionInvalida(nota, "modificar")
    if data.get("issue_date") is not None:
        issue_date = _issue_date(data["issue_date"])
        if issue_date.year != nota.nv_year:
            raise ValidationError("El año de emisión no puede cambiar: el correlativo es anual", field="issue_date")
        nota.issue_date = issue_date
    _apply_header(nota, data)
    _replace_items(session, nota, data["items"])
    was_approved = nota.status == "approved"
    if was_approved:
        nota.status = "draft"
        nota.approved_by = nota.approved_by_name = nota.approved_at = nota.approved_ip = nota.approved_ua = None
    nota.version += 1
    nota.updated_at = datetime.now(UTC)
    _audit(session, nota, "update", op, extra={"aprobacion_retirada": was_approved})
    if was_approved:
        outbox.request_signal(session, workflow_id(nota.id), "sincronizar", workflow_state(nota),
                              dedupe_key=str(nota.version))
    session.commit()
    return nota


def _already_done(session: Session, request_id: str) -> bool:
    """Activities are retried: a request whose audit row exists has been applied already."""
    found = session.execute(select(SalesNoteAudit.id).where(SalesNoteAudit.request_id == request_id))
    return found.first() is not None


def _transition(session: Session, nota_id: int, accion: str, op: Operador) -> SalesNote:
    _attribute(session, op)
    nota = get_note(session, nota_id, lock=True)
    if nota.status not in TRANSICIONES[accion]:
        raise TransicionInvalida(nota, {"approve": "aprobar", "issue": "emitir", "cancel": "anular"}[accion])
    return nota


def _record_approval(nota: SalesNote, op: Operador, when: datetime) -> None:
    nota.approved_by, nota.approved_by_name, nota.approved_at = op.usuario_id, op.nombre, when
    nota.approved_ip, nota.approved_ua = op.ip, (op.user_agent or "")[:512] or None


def _finish(session: Session, nota: SalesNote, status: str) -> EstadoNota:
    nota.status = status
    nota.version += 1
    nota.updated_at = datetime.now(UTC)
    return workflow_state(nota)


def approve(session: Session, nota_id: int, op: Operador, request_id: str) -> EstadoNota:
    if _already_done(session, request_id):
        return workflow_state(get_note(session, nota_id))
    nota = _transition(session, nota_id, "approve", op)
    _record_approval(nota, op, datetime.now(UTC))
    state = _finish(session, nota, "approved")
    _audit(session, nota, "approve", op, request_id)
    session.commit()
    return state


def issue(session: Session, nota_id: int, op: Operador, request_id: str) -> EstadoNota:
    """Freeze the note: render the PDF once, store it and its SHA-256. Issuing a draft records the issuer
    as its approver first (an `approve` audit row from the same request)."""
    from services.notas_venta_pdf import render_pdf

    if _already_done(session, request_id):
        return workflow_state(get_note(session, nota_id))
    nota = _transition(session, nota_id, "issue", op)
    now = datetime.now(UTC).replace(microsecond=0)
    if nota.status == "draft":
        _record_approval(nota, op, now)
        _audit(session, nota, "approve", op, f"{request_id}:approve", extra={"implicita_en_emision": True})
    nota.emitted_by, nota.emitted_at = op.usuario_id, now
    nota.emisor_json = emisor(chile_config(session))
    pdf = render_pdf(nota, items_of(session, nota.id))
    nota.pdf_hash = sha256(pdf)
    nota.pdf_path = store_pdf(nota.nv_number, pdf)
    state = _finish(session, nota, "issued")
    _audit(session, nota, "issue", op, request_id, extra={"pdf_sha256": nota.pdf_hash})
    session.commit()
    return state


def cancel(session: Session, nota_id: int, op: Operador, motivo: str, request_id: str) -> EstadoNota:
    if _already_done(session, request_id):
        return workflow_state(get_note(session, nota_id))
    motivo = check_motivo(motivo)
    nota = _transition(session, nota_id, "cancel", op)
    nota.cancelled_by, nota.cancelled_at, nota.cancel_reason = op.usuario_id, datetime.now(UTC), motivo
    state = _finish(session, nota, "cancelled")
    _audit(session, nota, "cancel", op, request_id, extra={"motivo": motivo})
    session.commit()
    return state


def check_motivo(motivo: str | None) -> str:
    motivo = (motivo or "").strip()
    if len(motivo) < 3:
        raise ValidationError("Indique el motivo de la anulación", field="motivo")
    return motivo[:500]


# --- PDF storage and verification ---------------------------------------------------------------


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _storage_root() -> Path:
    return Path(get_settings().storage_dir)


def store_pdf(nv_number: str, content: bytes) -> str:
    """Write atomically under STORAGE_DIR; returns the relative path kept on the note."""
    relative = f"notas_venta/{nv_number}.pdf"
    target = _storage_root() / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    tmp.write_bytes(content)
    tmp.replace(target)
    return relative


def stored_pdf(nota: SalesNote) -> bytes:
    if nota.status not in ("issued", "cancelled") or not nota.pdf_path:
        raise TransicionInvalida(nota, "descargar el PDF (aún no se emite)")
    path = _storage_root() / nota.pdf_path
    if not path.exists():
        raise NotFound(f"El PDF de la nota {nota.nv_number} no está en el almacenamiento", field="pdf_path")
    return path.read_bytes()


@dataclass(frozen=True)
class Verificacion:
    nv_number: str
    pdf_hash: str
    rendered_hash: str
    stored_file_hash: str | None
    matches: bool
    stored_file_matches: bool


def verify(session: Session, nota_id: int) -> Verificacion:
    """Re-render the issued note from the database and hash it; hash the stored file too."""
    from services.notas_venta_pdf import render_pdf

    nota = get_note(session, nota_id)
    if not nota.pdf_hash:
        raise TransicionInvalida(nota, "verificar (aún no se emite)")
    rendered = sha256(render_pdf(nota, items_of(session, nota.id)))
    path = _storage_root() / nota.pdf_path
    stored = sha256(path.read_bytes()) if path.exists() else None
    return Verificacion(nota.nv_number, nota.pdf_hash, rendered, stored, rendered == nota.pdf_hash,
                        stored == nota.pdf_hash)
