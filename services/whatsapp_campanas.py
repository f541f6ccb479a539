"""Module 7: campaigns (one approved template to a segment of opted-in clients, run by the CampanaWhatsApp
workflow `campana-<id>`) and the delivery metrics."""

from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator
from sqlalchemy import text
from sqlmodel import Session

from core import outbox
from core.db import paginar_sql, session_scope
from core.errors import Conflict, NotFound
from core.schemas import Entrada, Fecha, Id, Paginacion
from core.settings import get_settings
from models.whatsapp import TIERS, WaCampana, WaCuenta, WaPlantilla
from services.whatsapp import EncabezadoIn, plantilla_para, validar_plantilla
from workflows.entradas import CampanaEntrada, LoteCampanaWa

# The client fields a template variable may take (whitelisted: they become SQL column names).
CAMPOS_CLIENTE = ("razon_social", "numero_doc", "email", "telefono", "categoria", "direccion")
CampoCliente = Literal["razon_social", "numero_doc", "email", "telefono", "categoria", "direccion"]
TERMINALES = ("FINALIZADA", "CANCELADA")
HORIZONTE = timedelta(days=366)  # how far ahead a campaign may be scheduled


class SegmentoIn(Entrada):
    categoria: str | None = Field(default=None, max_length=30)
    tags: list[str] = Field(default_factory=list, max_length=20, description="clients with all of these tags")
    compro_desde: Fecha | None = Field(default=None, description="bought (a sale) on or after this date")
    monto_minimo: Decimal | None = Field(default=None, ge=0, max_digits=14, decimal_places=2,
                                         description="with purchases since compro_desde totalling at least this")


class CampanaIn(Entrada):
    nombre: str = Field(min_length=1, max_length=200)
    plantilla_id: Id
    parametros: list[CampoCliente] = Field(default_factory=list, max_length=20,
                                           description="the client field for each {{n}}, in order")
    segmento: SegmentoIn = Field(default_factory=SegmentoIn)
    encabezado: EncabezadoIn | None = Field(default=None, description="the file of a media-header template")
    fecha_programada: datetime | None = Field(
        default=None, description="start then (ejecutar before it leaves the campaign PROGRAMADA on a durable "
                                  "timer); without a zone it is America/Lima time")

    @field_validator("fecha_programada")
    @classmethod
    def _futura(cls, fecha: datetime | None) -> datetime | None:
        return en_el_futuro(fecha)


class ReprogramarIn(Entrada):
    fecha_programada: datetime = Field(description="the new start; without a zone, America/Lima time")

    @field_validator("fecha_programada")
    @classmethod
    def _futura(cls, fecha: datetime | None) -> datetime | None:
        return en_el_futuro(fecha)


def en_el_futuro(fecha: datetime | None) -> datetime | None:
    """A start date: aware (a naive one is Lima time), and not in the past."""
    if fecha is None:
        return None
    if fecha.tzinfo is None:
        fecha = fecha.replace(tzinfo=ZoneInfo(get_settings().timezone))
    ahora = datetime.now(UTC)
    if fecha <= ahora:
        raise ValueError("la fecha programada no puede estar en el pasado")
    if fecha > ahora + HORIZONTE:
        raise ValueError("la fecha programada no puede estar a más de un año")
    return fecha.astimezone(UTC)


def crear(session: Session, datos: CampanaIn) -> dict[str, Any]:
    plantilla = plantilla_para(session, datos.plantilla_id, list(datos.parametros))
    campana = WaCampana(nombre=datos.nombre, plantilla_id=plantilla.id, parametros=list(datos.parametros),
                        segmento_clientes=datos.segmento.model_dump(mode="json"),
                        encabezado=datos.encabezado.parametro() if datos.encabezado else None,
                        fecha_programada=datos.fecha_programada)
    session.add(campana)
    session.commit()
    return obtener(session, campana.id)


def ejecutar(session: Session, campana_id: int) -> dict[str, Any]:
    """Ask for the campaign's workflow (after commit, through the outbox) and answer at once."""
    campana = session.get(WaCampana, campana_id, with_for_update=True)
    if campana is None:
        raise NotFound(f"Campaña {campana_id} no encontrada")
    if campana.estado != "BORRADOR":
        raise Conflict(f"La campaña {campana_id} ya se ejecutó ({campana.estado})")
    validar_plantilla(session.get(WaPlantilla, campana.plantilla_id), campana.plantilla_id, campana.parametros,
                      campana.encabezado)
    programada = campana.fecha_programada if campana.fecha_programada and \
        campana.fecha_programada > datetime.now(UTC) else None
    campana.estado = "PROGRAMADA" if programada else "EN_COLA"
    session.add(campana)
    entrada = CampanaEntrada(campana.id, estado="PROGRAMADA" if programada else "EN_CURSO",
                             por_segundo=get_settings().whatsapp_mensajes_por_segundo,
                             fecha_programada=programada.isoformat() if programada else None)
    outbox.request_workflow(session, "CampanaWhatsApp", f"campana-{campana.id}", entrada,
                            search_attributes={"Documento": f"campana-{campana.id}", "Estado": campana.estado})
    session.commit()
    return obtener(session, campana_id)


CONTADORES = """
    SELECT c.id, c.nombre, c.plantilla_id, c.segmento_clientes, c.parametros, c.estado, c.fecha_programada,
           c.encabezado,
           c.total_destinatarios, c.created_at,
           count(m.id) FILTER (WHERE m.meta_message_id IS NOT NULL) AS enviados,
           count(m.id) FILTER (WHERE m.estado IN ('ENTREGADO', 'LEIDO')) AS entregados,
           count(m.id) FILTER (WHERE m.estado = 'LEIDO') AS leidos,
           count(m.id) FILTER (WHERE m.estado = 'FALLIDO') AS fallidos,
           count(m.id) FILTER (WHERE m.estado = 'PENDIENTE') AS pendientes
    FROM wa_campanas c LEFT JOIN wa_mensajes m ON m.campana_id = c.id
"""


def obtener(session: Session, campana_id: int) -> dict[str, Any]:
    """The campaign with its live counters (from its messages, so they always agree with them)."""
    fila = session.execute(text(CONTADORES + " WHERE c.id = :id GROUP BY c.id"), {"id": campana_id}).mappings().first()
    if fila is None:
        raise NotFound(f"Campaña {campana_id} no encontrada")
    return dict(fila)


def listar(session: Session, pagina: Paginacion) -> tuple[list[dict], int]:
    return paginar_sql(session, CONTADORES + " GROUP BY c.id ORDER BY c.id DESC", {}, pagina.limit, pagina.offset)


# --- the workflow's activities --------------------------------------------------------------------------

def preparar(campana_id: int) -> int:
    """One PENDIENTE message per opted-in client of the segment (idempotent: a client is added once)."""
    with session_scope() as session:
        campana = session.get(WaCampana, campana_id)
        plantilla = session.get(WaPlantilla, campana.plantilla_id)
        seg = campana.segmento_clientes or {}
        condiciones, params = ["k.opt_in", "cl.activo"], {"campana": campana_id, "plantilla": plantilla.id,
                                                         "cuenta": plantilla.wa_cuenta_id}
        if seg.get("categoria"):
            condiciones.append("cl.categoria = :categoria")
            params["categoria"] = seg["categoria"]
        if seg.get("tags"):
            condiciones.append("cl.tags @> CAST(:tags AS varchar(40)[])")
            params["tags"] = list(seg["tags"])
        if seg.get("compro_desde"):
            condiciones.append("""EXISTS (SELECT 1 FROM ventas v WHERE v.cliente_id = cl.id AND v.estado <> 'anulada'
                                  AND v.fecha >= :desde GROUP BY v.cliente_id HAVING sum(v.total) >= :minimo)""")
            params |= {"desde": date.fromisoformat(seg["compro_desde"]),
                       "minimo": Decimal(seg.get("monto_minimo") or 0)}
        valores = ", ".join(f"cl.{c}" for c in campana.parametros if c in CAMPOS_CLIENTE)
        session.execute(text(f"""
            INSERT INTO wa_mensajes (wa_cuenta_id, plantilla_id, campana_id, cliente_id, numero_destino, tipo, texto,
                                     parametros_json, encabezado, estado, intentos, error_mensaje, created_at)
            SELECT :cuenta, :plantilla, :campana, cl.id, k.wa_id, 'template', '',
                   jsonb_build_array({valores}), c.encabezado, 'PENDIENTE', 0, '', now()
            FROM clientes cl JOIN wa_contactos k ON k.cliente_id = cl.id JOIN wa_campanas c ON c.id = :campana
            WHERE {' AND '.join(condiciones)}
            ON CONFLICT ON CONSTRAINT ux_wa_mensajes_campana_cliente DO NOTHING"""), params)
        total = session.execute(text("SELECT count(*) FROM wa_mensajes WHERE campana_id = :c"),
                                {"c": campana_id}).scalar_one()
        session.execute(text("UPDATE wa_campanas SET total_destinatarios = :t, estado = 'EN_CURSO' WHERE id = :c"),
                        {"t": total, "c": campana_id})
        return total


def tomar_lote(campana_id: int, maximo: int) -> LoteCampanaWa:
    """Up to `maximo` pending recipients, no more than the account's tier leaves free in the rolling 24 h;
    with the tier exhausted, how long until its oldest recipient leaves the window."""
    with session_scope() as session:
        cuenta_id = session.execute(text("SELECT p.wa_cuenta_id FROM wa_campanas c JOIN wa_plantillas p "
                                         "ON p.id = c.plantilla_id WHERE c.id = :c"), {"c": campana_id}).scalar_one()
        limite = TIERS[session.get(WaCuenta, cuenta_id).tier]
        libres = maximo
        if limite is not None:
            usados, mas_antiguo = session.execute(text("""
                SELECT count(DISTINCT numero_destino), min(aceptado_at) FROM wa_mensajes
                WHERE wa_cuenta_id = :cuenta AND aceptado_at > now() - interval '24 hours'"""),
                {"cuenta": cuenta_id}).one()
            libres = min(maximo, limite - usados)
            if libres <= 0:
                espera = mas_antiguo + timedelta(hours=24) - datetime.now(UTC)
                return LoteCampanaWa([], max(espera.total_seconds(), 0.0) + 0.5)
        ids = session.execute(text("SELECT id FROM wa_mensajes WHERE campana_id = :c AND estado = 'PENDIENTE' "
                                   "ORDER BY id LIMIT :n"), {"c": campana_id, "n": libres}).scalars().all()
        return LoteCampanaWa(list(ids), 0.0)


def registrar_estado(campana_id: int, estado: str, fecha_programada: str | None = None) -> None:
    with session_scope() as session:
        session.execute(text("UPDATE wa_campanas SET estado = :e, fecha_programada = coalesce(:f, fecha_programada) "
                             "WHERE id = :c"), {"e": estado, "c": campana_id,
                                                "f": datetime.fromisoformat(fecha_programada) if fecha_programada
                                                else None})


# --- metrics ----------------------------------------------------------------------------------------------

def _tasa(parte: int, total: int) -> Decimal:
    return (Decimal(parte) / Decimal(total) * 100).quantize(Decimal("0.01"), ROUND_HALF_UP) if total else Decimal(0)


AGRUPACIONES = {
    "dia": "to_char(m.created_at AT TIME ZONE :tz, 'YYYY-MM-DD')",
    "plantilla": "coalesce(p.nombre, '(texto libre)')",
    "campana": "coalesce(c.nombre, '(sin campaña)')",
}


def metricas(session: Session, desde: date | None, hasta: date | None,
             agrupar: Literal["dia", "plantilla", "campana"], tz: str) -> dict[str, Any]:
    filtro, params = ["m.meta_message_id IS NOT NULL OR m.estado = 'FALLIDO'"], {"tz": tz}
    if desde:
        filtro.append("(m.created_at AT TIME ZONE :tz)::date >= :desde")
        params["desde"] = desde
    if hasta:
        filtro.append("(m.created_at AT TIME ZONE :tz)::date <= :hasta")
        params["hasta"] = hasta
    donde = " AND ".join(f"({f})" for f in filtro)
    base = (" FROM wa_mensajes m LEFT JOIN wa_plantillas p ON p.id = m.plantilla_id "
            "LEFT JOIN wa_campanas c ON c.id = m.campana_id WHERE " + donde)
    filas = session.execute(text(f"""
        SELECT {AGRUPACIONES[agrupar]} AS clave, count(*) AS total,
               count(*) FILTER (WHERE m.estado IN ('ENTREGADO', 'LEIDO')) AS entregados,
               count(*) FILTER (WHERE m.estado = 'LEIDO') AS leidos,
               count(*) FILTER (WHERE m.estado = 'FALLIDO') AS fallidos
        {base} GROUP BY 1 ORDER BY 1"""), params).mappings().all()
    errores = session.execute(text(f"""
        SELECT m.error_codigo AS codigo, count(*) AS cantidad {base} AND m.error_codigo IS NOT NULL
        GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10"""), params).mappings().all()
    grupos = [{**f, "tasa_entrega": _tasa(f["entregados"], f["total"]), "tasa_lectura": _tasa(f["leidos"], f["total"]),
               "tasa_fallo": _tasa(f["fallidos"], f["total"])} for f in filas]
    return {"agrupar": agrupar, "grupos": grupos, "top_errores": [dict(e) for e in errores]}

