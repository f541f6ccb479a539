"""Activities of the facturación workflows: thin, idempotent wrappers around services.facturacion_sunat.
Each heartbeats while it runs (the workflows set HEARTBEAT_TIMEOUT), so a worker crash mid-send is
recovered by another worker within seconds."""

from dataclasses import asdict
from datetime import date, timedelta

from temporalio import activity

from core.db import session_scope
from core.temporal import heartbeating
from services import facturacion, facturacion_sunat


@activity.defn(name="preparar_comprobante")
@heartbeating
def preparar_comprobante(comprobante_id: int) -> dict:
    return asdict(facturacion_sunat.preparar_xml(comprobante_id))


@activity.defn(name="registrar_error_comprobante")
@heartbeating
def registrar_error_comprobante(comprobante_id: int, motivo: str) -> str:
    return facturacion_sunat.registrar_error(comprobante_id, motivo)


@activity.defn(name="enviar_a_sunat")
@heartbeating
def enviar_a_sunat(comprobante_id: int, intento: int) -> dict:
    return asdict(facturacion_sunat.enviar(comprobante_id, intento))


@activity.defn(name="generar_pdf_comprobante")
@heartbeating
def generar_pdf_comprobante(comprobante_id: int) -> str:
    return facturacion_sunat.generar_pdf(comprobante_id)


@activity.defn(name="notificar_cliente")
@heartbeating
def notificar_cliente(comprobante_id: int) -> bool:
    return facturacion_sunat.notificar_cliente(comprobante_id)


@activity.defn(name="preparar_resumenes_diarios")
@heartbeating
def preparar_resumenes_diarios(fecha: str | None) -> list[list]:
    """RCs for every boleta not yet informed up to `fecha` (default: today in Lima)."""
    hasta = date.fromisoformat(fecha) if fecha else facturacion.ahora_lima().date()
    with session_scope() as session:
        return [[rid, ident] for rid, ident in facturacion.crear_resumenes_pendientes(session, hasta)]


@activity.defn(name="enviar_resumen")
@heartbeating
def enviar_resumen(tipo: str, registro_id: int) -> str | None:
    return facturacion_sunat.enviar_resumen(tipo, registro_id)


@activity.defn(name="registrar_error_resumen")
@heartbeating
def registrar_error_resumen(tipo: str, registro_id: int, motivo: str) -> str:
    return facturacion_sunat.registrar_error_resumen(tipo, registro_id, motivo)


@activity.defn(name="consultar_resumen")
@heartbeating
def consultar_resumen(tipo: str, registro_id: int) -> str | None:
    return facturacion_sunat.consultar_resumen(tipo, registro_id)


@activity.defn(name="comprobantes_sin_decision")
@heartbeating
def comprobantes_sin_decision(antiguedad_min: int) -> list[list]:
    with session_scope() as session:
        return [[c.id, c.workflow_id, c.documento]
                for c in facturacion.pendientes_sin_decision(session, timedelta(minutes=antiguedad_min))]


ACTIVITIES = [
    preparar_comprobante, registrar_error_comprobante, enviar_a_sunat, generar_pdf_comprobante, notificar_cliente,
    preparar_resumenes_diarios, enviar_resumen, registrar_error_resumen, consultar_resumen, comprobantes_sin_decision,
]
