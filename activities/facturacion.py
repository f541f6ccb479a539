"""Activities of the facturación workflows: thin, idempotent wrappers around services.facturacion_sunat.
Each takes one input dataclass (workflows/entradas.py) and heartbeats while it runs (the workflows set
HEARTBEAT_TIMEOUT), so a worker crash mid-send is recovered by another worker within seconds.

The registered names are unchanged (the workflows used to call them by these strings), and what each
returns has the JSON shape it had: recorded histories replay (tests/test_entradas_temporal.py)."""

from datetime import date, timedelta

from temporalio import activity

from core.db import session_scope
from core.temporal import heartbeating
from services import facturacion, facturacion_sunat
from services.facturacion_sunat import Intento, Preparado
from workflows.entradas import Barrido, Emision, EnvioSunat, ErrorComprobante, ErrorResumen, Resumen, ResumenesDiarios


@activity.defn(name="preparar_comprobante")
@heartbeating
def preparar_comprobante(entrada: Emision) -> Preparado:
    return facturacion_sunat.preparar_xml(entrada.comprobante_id)


@activity.defn(name="registrar_error_comprobante")
@heartbeating
def registrar_error_comprobante(entrada: ErrorComprobante) -> str:
    return facturacion_sunat.registrar_error(entrada.comprobante_id, entrada.motivo)


@activity.defn(name="enviar_a_sunat")
@heartbeating
def enviar_a_sunat(entrada: EnvioSunat) -> Intento:
    return facturacion_sunat.enviar(entrada.comprobante_id, entrada.intento)


@activity.defn(name="generar_pdf_comprobante")
@heartbeating
def generar_pdf_comprobante(entrada: Emision) -> str:
    return facturacion_sunat.generar_pdf(entrada.comprobante_id)


@activity.defn(name="notificar_cliente")
@heartbeating
def notificar_cliente(entrada: Emision) -> bool:
    return facturacion_sunat.notificar_cliente(entrada.comprobante_id)


@activity.defn(name="preparar_resumenes_diarios")
@heartbeating
def preparar_resumenes_diarios(entrada: ResumenesDiarios) -> list[tuple[int, str]]:
    """RCs (id, identificador) for every boleta not yet informed up to `fecha` (default: today in Lima)."""
    hasta = date.fromisoformat(entrada.fecha) if entrada.fecha else facturacion.ahora_lima().date()
    with session_scope() as session:
        return list(facturacion.crear_resumenes_pendientes(session, hasta))


@activity.defn(name="enviar_resumen")
@heartbeating
def enviar_resumen(entrada: Resumen) -> str | None:
    return facturacion_sunat.enviar_resumen(entrada.tipo, entrada.id)


@activity.defn(name="registrar_error_resumen")
@heartbeating
def registrar_error_resumen(entrada: ErrorResumen) -> str:
    return facturacion_sunat.registrar_error_resumen(entrada.tipo, entrada.id, entrada.motivo)


@activity.defn(name="consultar_resumen")
@heartbeating
def consultar_resumen(entrada: Resumen) -> str | None:
    return facturacion_sunat.consultar_resumen(entrada.tipo, entrada.id)


@activity.defn(name="comprobantes_sin_decision")
@heartbeating
def comprobantes_sin_decision(entrada: Barrido) -> list[tuple[int, str, str]]:
    """(id, workflow id, documento) of the undecided comprobantes whose workflow may be gone."""
    with session_scope() as session:
        return [(c.id, c.workflow_id, c.documento)
                for c in facturacion.pendientes_sin_decision(session, timedelta(minutes=entrada.antiguedad_min))]


ACTIVITIES = [
    preparar_comprobante, registrar_error_comprobante, enviar_a_sunat, generar_pdf_comprobante, notificar_cliente,
    preparar_resumenes_diarios, enviar_resumen, registrar_error_resumen, consultar_resumen, comprobantes_sin_decision,
]
