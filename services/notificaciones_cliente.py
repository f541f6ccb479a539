"""Notices to a customer from the other modules (comprobante issued, order on its way, receivable overdue).

One decision for every event (MODULES.md, "Notifications to a customer"): WhatsApp when the client opted in
and an APPROVED template is mapped to the event (`wa_eventos`, configured by API), else e-mail, else nothing.
`avisar` runs in the caller's transaction and writes the notice and an outbox row; the NotificarCliente
workflow (`aviso-<id>`) sends it after commit, never inside the request: WhatsApp first (the module's own
message workflow, with Meta's retry rules), the e-mail as the fallback when Meta refuses it, each attempt
recorded in `notificaciones_cliente_intentos`."""

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Annotated, Any

import jwt
from pydantic import Field
from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col, select

from core import enlaces, outbox
from core.db import paginar, session_scope
from core.errors import NotFound, ValidationError
from core.schemas import Entrada, Id, Paginacion
from core.settings import get_settings
from integrations.mail.client import send_mail
from integrations.storage import get_storage
from models.base import utcnow
from models.whatsapp import (
    IntentoNotificacion,
    NotificacionCliente,
    WaContacto,
    WaCuenta,
    WaEvento,
    WaMensaje,
    WaPlantilla,
)
from services.whatsapp import FORMATOS_MEDIA, plantilla_para
from workflows.entradas import AvisoClienteEntrada


@dataclass(frozen=True)
class Evento:
    descripcion: str
    variables: tuple[str, ...]  # what the module that raises it provides, for the template's {{n}}
    enlaces: tuple[str, ...] = ()  # the variables that are public links (a media header's file)
    sensible: bool = False  # carries a secret (a delivery code): scrubbed once sent


EVENTOS: dict[str, Evento] = {
    "COMPROBANTE_EMITIDO": Evento("Comprobante electrónico emitido, con el enlace a su PDF",
                                  ("cliente", "documento", "total", "moneda", "fecha", "empresa", "pdf_url"),
                                  ("pdf_url",)),
    "PEDIDO_EN_RUTA": Evento("Pedido en camino: código de entrega y enlace de seguimiento",
                             ("cliente", "pedido", "codigo", "enlace_seguimiento", "vigencia_horas", "empresa"),
                             sensible=True),
    "CXC_VENCIDA": Evento("Recordatorio de una cuenta por cobrar vencida",
                          ("cliente", "documento", "saldo", "moneda", "fecha_vencimiento", "dias_vencido", "empresa")),
}
HITOS_VENCIDA = (1, 7, 15, 30)  # days overdue at which a reminder goes (one per milestone reached)
VIGENCIA_ENLACE = timedelta(days=30)
OCULTO = "***"


@dataclass(frozen=True)
class Correo:
    destinatarios: list[str]
    asunto: str
    cuerpo: str
    adjuntos: list[tuple[str, str, str]] = field(default_factory=list)  # (file name, storage key, media type)


@dataclass(frozen=True)
class Aviso:
    """What a module asks for: the event, its variables, and the e-mail it would send (the fallback)."""

    evento: str
    cliente_id: int | None
    variables: dict[str, str]
    correo: Correo | None
    objeto_tipo: str = ""
    objeto_id: str = ""
    dedupe_key: str | None = None  # one notice per business fact (a retried caller does not notify twice)
    archivo: str | None = None  # a DOCUMENT header's file name


# --- the decision, in the caller's transaction ----------------------------------------------------------

@dataclass(frozen=True)
class _PorWhatsApp:
    contacto: WaContacto
    plantilla: WaPlantilla
    mapeo: WaEvento


def _por_whatsapp(session: Session, aviso: Aviso) -> _PorWhatsApp | str:
    """The WhatsApp route, or why there is none."""
    contacto = session.exec(select(WaContacto).where(WaContacto.cliente_id == aviso.cliente_id)).first() \
        if aviso.cliente_id is not None else None
    if contacto is None or not contacto.opt_in:
        return "sin consentimiento (opt-in) de WhatsApp"
    mapeo = session.exec(select(WaEvento).where(WaEvento.evento == aviso.evento, WaEvento.activo)).first()
    if mapeo is None:
        return f"sin plantilla de WhatsApp para {aviso.evento}"
    plantilla = session.get(WaPlantilla, mapeo.plantilla_id)
    if plantilla.estado_meta != "APPROVED":
        return f"la plantilla {plantilla.nombre} no está aprobada ({plantilla.estado_meta})"
    cuenta = session.get(WaCuenta, plantilla.wa_cuenta_id)
    if cuenta.estado != "ACTIVA":
        return f"la cuenta de WhatsApp {cuenta.id} está {cuenta.estado}"
    return _PorWhatsApp(contacto, plantilla, mapeo)


def _parametro(valor: str) -> str:
    """Meta refuses new lines, tabs and long runs of spaces in a template parameter."""
    return " ".join(str(valor).split())[:1024]


def _mensaje(aviso: Aviso, ruta: _PorWhatsApp) -> WaMensaje:
    encabezado = None
    formato = ruta.plantilla.encabezado_formato
    if formato in FORMATOS_MEDIA:
        tipo = formato.lower()
        medio = {"link": aviso.variables[ruta.mapeo.encabezado]}
        if tipo == "document" and aviso.archivo:
            medio["filename"] = aviso.archivo
        encabezado = {"type": tipo, tipo: medio}
    return WaMensaje(wa_cuenta_id=ruta.plantilla.wa_cuenta_id, plantilla_id=ruta.plantilla.id,
                     cliente_id=aviso.cliente_id, numero_destino=ruta.contacto.wa_id, tipo="template",
                     parametros_json=[_parametro(aviso.variables.get(v, "")) for v in ruta.mapeo.parametros],
                     encabezado=encabezado)


def avisar(session: Session, aviso: Aviso) -> int | None:
    """Decide the channel, record the notice and (unless there is none) ask for its workflow, all in the
    caller's transaction (the caller commits). None when its dedupe key was already notified."""
    ruta = _por_whatsapp(session, aviso)
    correo = aviso.correo if aviso.correo and aviso.correo.destinatarios else None
    if isinstance(ruta, _PorWhatsApp):
        canal, motivo = "WHATSAPP", "opt-in y plantilla aprobada" + ("; correo de respaldo" if correo else "")
    elif correo:
        canal, motivo = "EMAIL", ruta
    else:
        canal, motivo = "NINGUNO", f"{ruta}; sin correo"
    fila = session.connection().execute(insert(NotificacionCliente.__table__).values(
        evento=aviso.evento, cliente_id=aviso.cliente_id, objeto_tipo=aviso.objeto_tipo, objeto_id=aviso.objeto_id,
        dedupe_key=aviso.dedupe_key, canal=canal, motivo=motivo[:300],
        estado="OMITIDA" if canal == "NINGUNO" else "PENDIENTE",
        correo=json.dumps(asdict(correo)) if correo else "", created_at=utcnow(),
    ).on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(NotificacionCliente.__table__.c.id)).first()
    if fila is None:
        return None
    notificacion_id, wa_mensaje_id = fila[0], None
    if isinstance(ruta, _PorWhatsApp):
        mensaje = _mensaje(aviso, ruta)
        session.add(mensaje)
        session.flush()
        wa_mensaje_id = mensaje.id
        session.execute(text("UPDATE notificaciones_cliente SET wa_mensaje_id = :m WHERE id = :id"),
                        {"m": wa_mensaje_id, "id": notificacion_id})
    if canal != "NINGUNO":
        outbox.request_workflow(session, "NotificarCliente", f"aviso-{notificacion_id}",
                                AvisoClienteEntrada(notificacion_id, wa_mensaje_id),
                                search_attributes={"Documento": f"aviso-{notificacion_id}", "Estado": canal})
    return notificacion_id


# --- the workflow's activities ---------------------------------------------------------------------------

def _intento(session: Session, notificacion_id: int, canal: str, resultado: str, detalle: str = "") -> None:
    session.connection().execute(insert(IntentoNotificacion.__table__).values(
        notificacion_id=notificacion_id, canal=canal, resultado=resultado, detalle=detalle[:1000],
        created_at=utcnow()).on_conflict_do_nothing(constraint="ux_notificaciones_intentos_canal"))


def _enviada(session: Session, n: NotificacionCliente, canal: str) -> None:
    n.estado, n.canal_final, n.enviada_at = "ENVIADA", canal, utcnow()
    if canal == "EMAIL" and EVENTOS[n.evento].sensible:
        n.correo = ""  # the delivery code is not kept once it is out (by WhatsApp: once delivered)
    session.add(n)


def tras_estado(session: Session, m: WaMensaje) -> None:
    """Meta's status webhook for a notice's message, in its transaction: a late `failed` (Meta accepted it,
    then could not deliver) sends the e-mail after all; `delivered`/`read` drops a kept delivery code."""
    n = session.exec(select(NotificacionCliente).where(NotificacionCliente.wa_mensaje_id == m.id)
                     .with_for_update()).first()
    if n is None or n.canal_final != "WHATSAPP":
        return
    if m.estado in ("ENTREGADO", "LEIDO") and EVENTOS[n.evento].sensible and n.correo:
        n.correo = ""
        session.add(n)
    elif m.estado == "FALLIDO" and n.correo:
        session.execute(text("UPDATE notificaciones_cliente_intentos SET resultado = 'FALLIDO', detalle = :d "
                             "WHERE notificacion_id = :n AND canal = 'WHATSAPP'"),
                        {"d": f"{m.error_codigo or ''} {m.error_mensaje} (tras aceptarlo)".strip()[:1000], "n": n.id})
        n.estado, n.canal_final, n.enviada_at = "PENDIENTE", None, None
        session.add(n)
        outbox.request_workflow(session, "NotificarCliente", f"aviso-{n.id}-correo", AvisoClienteEntrada(n.id),
                                search_attributes={"Documento": f"aviso-{n.id}", "Estado": "EMAIL"})


def concluir_whatsapp(notificacion_id: int) -> bool:
    """After the message's workflow: Meta accepted it (the notice is sent) or refused it (the e-mail next)."""
    with session_scope() as session:
        n = session.get(NotificacionCliente, notificacion_id, with_for_update=True)
        m = session.get(WaMensaje, n.wa_mensaje_id)
        if m.meta_message_id is None or m.estado == "FALLIDO":  # refused, or failed before we heard the 200
            _intento(session, n.id, "WHATSAPP", "FALLIDO", f"{m.error_codigo or ''} {m.error_mensaje}".strip())
            return False
        _intento(session, n.id, "WHATSAPP", "ENVIADO", m.meta_message_id)
        if n.estado != "ENVIADA":
            _enviada(session, n, "WHATSAPP")
            tras_estado(session, m)  # already delivered (its webhook came first): the code goes
        if EVENTOS[n.evento].sensible:
            session.execute(text("UPDATE wa_mensajes SET parametros_json = (SELECT coalesce(jsonb_agg(CAST(:o AS "
                                 "text)), '[]') FROM jsonb_array_elements(parametros_json)) WHERE id = :id"),
                            {"o": OCULTO, "id": m.id})
        return True


def enviar_correo(notificacion_id: int) -> bool:
    """The e-mail (the channel chosen, or WhatsApp's fallback), once: False when there is none to send."""
    with session_scope() as session:
        n = session.get(NotificacionCliente, notificacion_id)
        if n.estado == "ENVIADA":
            return n.canal_final == "EMAIL"
        if not n.correo:
            n.estado = "FALLIDA"
            session.add(n)
            _intento(session, n.id, "EMAIL", "FALLIDO", "sin correo de respaldo")
            return False
        correo = Correo(**json.loads(n.correo))
    storage = get_storage()
    adjuntos = [(nombre, storage.get(clave), tipo) for nombre, clave, tipo in correo.adjuntos]
    message_id = send_mail(correo.destinatarios, correo.asunto, correo.cuerpo, adjuntos)
    with session_scope() as session:
        n = session.get(NotificacionCliente, notificacion_id, with_for_update=True)
        _intento(session, n.id, "EMAIL", "ENVIADO", f"{', '.join(correo.destinatarios)} {message_id}")
        _enviada(session, n, "EMAIL")
    return True


# --- the event → template mapping (API) -----------------------------------------------------------------

class EventoIn(Entrada):
    plantilla_id: Id
    parametros: list[Annotated[str, Field(max_length=30)]] = Field(
        default_factory=list, max_length=20, description="the event's variable for each {{n}}, in order")
    encabezado: str | None = Field(default=None, max_length=30,
                                   description="a media-header template: the event's link variable (pdf_url)")
    activo: bool = True


def configurar_evento(session: Session, evento: str, datos: EventoIn) -> WaEvento:
    catalogo = EVENTOS[evento]
    plantilla = plantilla_para(session, datos.plantilla_id, datos.parametros)
    for i, variable in enumerate(datos.parametros):
        if variable not in catalogo.variables:
            raise ValidationError(f"{variable!r} no es una variable de {evento}: {', '.join(catalogo.variables)}",
                                  field=f"parametros.{i}")
    if plantilla.encabezado_formato in FORMATOS_MEDIA:
        if datos.encabezado not in catalogo.enlaces:
            raise ValidationError(f"La plantilla {plantilla.nombre} tiene un encabezado {plantilla.encabezado_formato}"
                                  f": indique su enlace ({', '.join(catalogo.enlaces) or f'{evento} no tiene'})",
                                  field="encabezado")
    elif datos.encabezado is not None:
        raise ValidationError(f"La plantilla {plantilla.nombre} no tiene encabezado multimedia", field="encabezado")
    mapeo = session.exec(select(WaEvento).where(WaEvento.evento == evento)).first() or WaEvento(evento=evento,
                                                                                            plantilla_id=plantilla.id)
    mapeo.plantilla_id, mapeo.parametros, mapeo.encabezado, mapeo.activo = (plantilla.id, list(datos.parametros),
                                                                            datos.encabezado, datos.activo)
    session.add(mapeo)
    session.commit()
    session.refresh(mapeo)
    return mapeo


def listar_eventos(session: Session, pagina: Paginacion) -> tuple[list, int]:
    return paginar(session, select(WaEvento).order_by(WaEvento.evento), pagina.limit, pagina.offset)


def listar(session: Session, pagina: Paginacion, cliente_id: int | None, evento: str | None,
           objeto_id: str | None) -> tuple[list[dict[str, Any]], int]:
    """The notices with their attempts (the e-mail's content is not shown: it may hold a delivery code)."""
    stmt = select(NotificacionCliente).order_by(col(NotificacionCliente.id).desc())
    for columna, valor in ((NotificacionCliente.cliente_id, cliente_id), (NotificacionCliente.evento, evento),
                           (NotificacionCliente.objeto_id, objeto_id)):
        if valor is not None:
            stmt = stmt.where(columna == valor)
    filas, total = paginar(session, stmt, pagina.limit, pagina.offset)
    intentos: dict[int, list] = {}
    for i in session.exec(select(IntentoNotificacion).where(
            col(IntentoNotificacion.notificacion_id).in_([f.id for f in filas])).order_by(IntentoNotificacion.id)):
        intentos.setdefault(i.notificacion_id, []).append(i.model_dump())
    return [{**f.model_dump(exclude={"correo"}), "intentos": intentos.get(f.id, [])} for f in filas], total


# --- a comprobante's public PDF link (what the customer opens, and Meta fetches for a DOCUMENT header) ------

ENLACE_PDF = "comprobante_pdf"  # the signed links' purpose (core.enlaces)


def _pdf_path(comprobante_id: int) -> str:
    return f"/api/whatsapp/publico/comprobantes/{comprobante_id}/"


def enlace_pdf(comprobante_id: int, ahora: float | None = None) -> str:
    """The comprobante's public PDF link, signed by core.enlaces (the exports' mechanism), valid VIGENCIA_ENLACE."""
    ruta, _ = enlaces.firmar(ENLACE_PDF, _pdf_path(comprobante_id), VIGENCIA_ENLACE, ahora)
    return f"{get_settings().public_base_url.rstrip('/')}{ruta}"


def cliente_de_comprobante(session: Session, c: Any) -> int | None:  # noqa: ANN401 - a Comprobante
    """The client a comprobante was issued to: its sale's, else the master's by document number."""
    return session.execute(text("""
        SELECT coalesce((SELECT cliente_id FROM ventas WHERE id = :venta),
                        (SELECT id FROM clientes WHERE numero_doc = :doc ORDER BY id LIMIT 1))"""),
        {"venta": c.venta_id, "doc": c.cliente_numero_doc}).scalar()


def comprobante_del_enlace(ref: str, expira: int | None, firma: str | None) -> int:
    """The comprobante a public link names. `<id>/?expira=…&firma=…` (core.enlaces): altered, unsigned or
    another comprobante's → 403, expired → 410. Any other `ref` is a link of the JWT kind issued before
    (2026-12), kept working for the VIGENCIA_ENLACE customers were promised: its bad or expired token is a 404,
    as it always was. Drop `_comprobante_de_jwt` once VIGENCIA_ENLACE has passed since this release."""
    if re.fullmatch(r"[0-9]{1,18}", ref):
        enlaces.verificar(ENLACE_PDF, _pdf_path(int(ref)), expira, firma)
        return int(ref)
    return _comprobante_de_jwt(ref)


def _comprobante_de_jwt(token: str) -> int:
    try:
        datos = jwt.decode(token, get_settings().secret_key, algorithms=[get_settings().jwt_algorithm],
                           options={"require": ["exp", "cid", "tipo"]})
    except jwt.InvalidTokenError as exc:
        raise NotFound("Enlace no válido o vencido") from exc
    if datos["tipo"] != "comprobante_pdf":
        raise NotFound("Enlace no válido o vencido")
    return int(datos["cid"])


# --- overdue receivables (daily schedule) ---------------------------------------------------------------

def recordar_vencidas(hoy: date) -> int:
    """One reminder per open receivable and overdue milestone reached (1, 7, 15, 30 days): a day the schedule
    missed is caught up the next day, and no milestone is reminded twice. Returns how many were asked for."""
    with session_scope() as session:
        empresa = session.execute(text("SELECT razon_social FROM configuracion LIMIT 1")).scalar() or ""
        filas = session.execute(text("""
            SELECT x.id, x.cliente_id, x.documento, x.saldo, x.moneda, x.fecha_vencimiento, cl.razon_social, cl.email
            FROM cuentas_por_cobrar x JOIN clientes cl ON cl.id = x.cliente_id
            WHERE x.saldo > 0 AND x.fecha_vencimiento <= :limite ORDER BY x.id"""),
            {"limite": hoy - timedelta(days=HITOS_VENCIDA[0])}).mappings().all()
        pedidos = 0
        for f in filas:
            dias = (hoy - f["fecha_vencimiento"]).days
            hito = max(h for h in HITOS_VENCIDA if dias >= h)
            variables = {"cliente": f["razon_social"], "documento": f["documento"], "saldo": f"{f['saldo']:.2f}",
                         "moneda": f["moneda"], "fecha_vencimiento": f["fecha_vencimiento"].strftime("%d/%m/%Y"),
                         "dias_vencido": str(dias), "empresa": empresa}
            correo = Correo([f["email"]] if f["email"] else [], f"Recordatorio de pago: {f['documento']} vencido",
                            f"Estimado cliente {f['razon_social']}:\n\nLe recordamos que el documento "
                            f"{f['documento']} venció el {variables['fecha_vencimiento']} ({dias} días) con un saldo "
                            f"pendiente de {f['moneda']} {variables['saldo']}.\n\nSi ya realizó el pago, por favor "
                            f"ignore este mensaje.\n\n{empresa}\n")
            if avisar(session, Aviso("CXC_VENCIDA", f["cliente_id"], variables, correo, "cuentas_por_cobrar",
                                     str(f["id"]), f"CXC_VENCIDA:{f['id']}:{hito}")):
                pedidos += 1
        return pedidos
