"""Activities of module 8's workflows (each idempotent): generate an export, keep a programación's Temporal
schedule equal to its row, and e-mail one scheduled run, recording each attempt's result."""

import asyncio
import logging

from temporalio import activity
from temporalio.client import Client, ScheduleHandle
from temporalio.service import RPCError, RPCStatusCode

from core.db import session_scope
from core.errors import DomainError
from core.schedules import ScheduleDef, ensure_schedules
from integrations.mail.client import send_mail
from integrations.storage import get_storage
from services.reportes import archivos, exportaciones, programaciones
from services.stock import hoy_lima
from workflows.entradas import EjecucionProgramada, ExportacionEntrada, FalloExportacion, ProgramacionRef

log = logging.getLogger(__name__)


@activity.defn(name="generar_exportacion")
def generar_exportacion(entrada: ExportacionEntrada) -> str:
    with session_scope() as session:
        return exportaciones.generar(session, entrada.exportacion_id)


@activity.defn(name="marcar_exportacion_fallida")
def marcar_exportacion_fallida(entrada: FalloExportacion) -> str:
    with session_scope() as session:
        return exportaciones.fallar(session, entrada.exportacion_id, entrada.error)


def _definicion(programacion_id: int) -> tuple[ScheduleDef | None, int]:
    with session_scope() as session:
        return programaciones.definicion(session, programacion_id)


def _no_existe(exc: RPCError) -> bool:
    return exc.status == RPCStatusCode.NOT_FOUND


async def _borrar(handle: ScheduleHandle) -> bool:
    try:
        await handle.delete()
    except RPCError as exc:
        if not _no_existe(exc):
            raise
        return False
    return True


async def _aplicar(client: Client, programacion_id: int) -> str:
    """Create, update (pausing or resuming) or delete the schedule so it matches the row; applying the same
    state twice changes nothing. Two synchronisations of one row may run at once: each re-reads the row after
    applying it and goes again if the row changed meanwhile, so the last one to finish leaves the latest state."""
    handle = client.get_schedule_handle(programaciones.schedule_id(programacion_id))
    while True:
        defn, version = await asyncio.to_thread(_definicion, programacion_id)
        if defn is None:  # ids are never reused: a deleted row stays deleted
            return "ELIMINADA" if await _borrar(handle) else "AUSENTE"
        await ensure_schedules(client, [defn], activity.info().task_queue)
        try:
            if (await handle.describe()).schedule.state.paused != defn.paused:
                await (handle.pause(note=defn.description) if defn.paused else handle.unpause())
        except RPCError as exc:  # deleted by a concurrent synchronisation of the row's deletion
            if not _no_existe(exc):
                raise
        if (await asyncio.to_thread(_definicion, programacion_id))[1] == version:
            return "PAUSADA" if defn.paused else "ACTIVA"


@activity.defn(name="sincronizar_programacion")
async def sincronizar_programacion(entrada: ProgramacionRef) -> str:
    return await _aplicar(activity.client(), entrada.programacion_id)


def _ids() -> list[int]:
    with session_scope() as session:
        return programaciones.ids(session)


@activity.defn(name="reconciliar_programaciones")
async def reconciliar_programaciones() -> int:
    """Every row's schedule as the row says; a `reporte-programado-*` schedule without a row is deleted (its
    deletion's synchronisation was lost). Returns how many schedules it touched."""
    client = activity.client()
    filas = set(await asyncio.to_thread(_ids))
    huerfanas = [s.id async for s in await client.list_schedules()
                 if (pid := programaciones.programacion_de(s.id)) is not None and pid not in filas]
    for programacion_id in sorted(filas):
        await _aplicar(client, programacion_id)
    for schedule in huerfanas:
        await _borrar(client.get_schedule_handle(schedule))
    return len(filas) + len(huerfanas)


@activity.defn(name="enviar_reporte_programado")
def enviar_reporte_programado(entrada: EjecucionProgramada) -> str:
    """Generate (the export's own generator, as the programación's owner) and e-mail the report. Each attempt's
    result is recorded; an SMTP failure is raised again so Temporal retries it; a business refusal (the owner
    lost the permission) is recorded once and not retried. A run already sent is not sent again."""
    intento = activity.info().attempt
    with session_scope() as session:
        prog = programaciones.por_enviar(session, entrada.programacion_id, entrada.ejecucion)
        if prog is None:
            return "OMITIDO"
        destinos = list(prog.emails_destino)
        filtros = programaciones.filtros_de_ejecucion(prog, hoy_lima())
        try:
            contenido, nombre, filas = exportaciones.archivo(
                session, exportaciones.usuario(session, prog.usuario_id), prog.tipo_reporte, filtros, prog.formato)
        except DomainError as exc:
            session.rollback()
            programaciones.registrar_envio(session, prog.id, entrada.ejecucion, intento, destinos, False,
                                           f"No se pudo generar: {exc.message}")
            return "ERROR"
        asunto, cuerpo = programaciones.mensaje(prog, filtros, filas)
    clave = f"reportes-programados/{entrada.programacion_id}/{entrada.ejecucion}/{nombre}"
    get_storage().put(clave, contenido)
    try:
        message_id = send_mail(destinos, asunto, cuerpo, [(nombre, contenido, archivos.MEDIA[prog.formato])])
    except Exception as exc:  # noqa: BLE001 - any SMTP or network failure: recorded, then retried
        with session_scope() as session:
            programaciones.registrar_envio(session, entrada.programacion_id, entrada.ejecucion, intento, destinos,
                                           False, f"{type(exc).__name__}: {exc}", clave, filas)
        raise
    with session_scope() as session:
        programaciones.registrar_envio(session, entrada.programacion_id, entrada.ejecucion, intento, destinos, True,
                                       archivo=clave, filas=filas, message_id=message_id)
    return "ENVIADO"


ACTIVITIES = [generar_exportacion, marcar_exportacion_fallida, sincronizar_programacion, reconciliar_programaciones,
              enviar_reporte_programado]
