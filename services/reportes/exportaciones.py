"""Exports (module 8): the request writes the `exportaciones_log` row and asks for the `exportacion-<id>`
workflow in the same transaction (outbox); the workflow's activity generates the file with the requester's
permissions and scope, stores it, and marks the row LISTA (or ERROR with the reason)."""

from datetime import UTC, datetime
from itertools import islice
from typing import Any, TypeVar

from pydantic import Field
from sqlalchemy import select
from sqlmodel import Session

from core.db import get_or_404, paginar
from core.errors import DomainError, Forbidden, NotFound, ValidationError
from core.outbox import request_workflow
from core.schemas import Entrada, Paginacion
from integrations.storage import get_storage
from models.reportes import ExportacionLog, ProgramacionReporte
from services import configuracion, inventario
from services.auth import AuthUser, actuar_como
from services.finanzas import plan
from services.permisos import sucursales_visibles
from services.reportes import archivos, catalogo
from services.stock import hoy_lima
from workflows.entradas import ExportacionEntrada

T = TypeVar("T", ExportacionLog, ProgramacionReporte)
MAX_FILAS_PDF = 2_000  # pages a person reads (~2.5 min of WeasyPrint on a loaded 2-core box); beyond: xlsx


class ExportacionIn(Entrada):
    tipo_reporte: catalogo.TipoReporte
    filtros: catalogo.FiltrosReporte = Field(default_factory=catalogo.FiltrosReporte)
    formato: catalogo.Formato = "xlsx"


def usuario(session: Session, usuario_id: int) -> AuthUser:
    """The user a background report runs as: today's role and branches (a deactivated user runs nothing)."""
    user = actuar_como(session, usuario_id)
    if user is None:
        raise Forbidden("El usuario del reporte no existe o está inactivo", field="usuario_id")
    return user


def validar(session: Session, user: AuthUser, tipo: str, filtros: catalogo.FiltrosReporte,
            programado: bool = False) -> dict[str, Any]:
    """Permission of the report's module (403), the filters it takes (400), and the branch or warehouse asked
    for being the user's (403), all before anything is written."""
    catalogo.exigir_permiso(session, user, tipo)
    dados = catalogo.validar_filtros(tipo, filtros, programado)
    if filtros.sucursal_id is not None:
        sucursales_visibles(user, filtros.sucursal_id)
    if filtros.almacen_id is not None:
        inventario.verificar_acceso(session, user, filtros.almacen_id, "filtros.almacen_id")
    if filtros.cuenta is not None:
        plan.cuenta_por_codigo(session, filtros.cuenta, "filtros.cuenta")
    return dados


def solicitar(session: Session, user: AuthUser, datos: ExportacionIn) -> ExportacionLog:
    dados = validar(session, user, datos.tipo_reporte, datos.filtros)
    log = ExportacionLog(usuario_id=user.id, tipo_reporte=datos.tipo_reporte, filtros_json=dados,
                         formato=datos.formato)
    session.add(log)
    session.flush()
    request_workflow(session, "ExportarReporte", f"exportacion-{log.id}", ExportacionEntrada(log.id),
                     search_attributes={"Documento": f"exportacion-{log.id}", "Estado": "PENDIENTE"})
    session.commit()
    return log


def archivo(session: Session, user: AuthUser, tipo: str, filtros: dict[str, Any], formato: str,
            ) -> tuple[bytes, str, int]:
    """(content, file name, rows) of one report: the one generator exports and programaciones share."""
    tabla = catalogo.tabla(session, user, tipo, filtros)
    if formato == "pdf":
        tabla.filas = list(islice(tabla.filas, MAX_FILAS_PDF + 1))
        if len(tabla.filas) > MAX_FILAS_PDF:
            raise ValidationError(f"Más de {MAX_FILAS_PDF} filas no caben en un PDF legible: use xlsx o acote los "
                                  "filtros", field="formato")
    contenido, filas = archivos.generar(tabla, formato, configuracion.obtener(session), datetime.now(UTC))
    return contenido, archivos.nombre_archivo(tipo, formato, hoy_lima()), filas


def generar(session: Session, exportacion_id: int) -> str:
    """The activity's work; idempotent (a finished export is left alone, the file key is the row's). A business
    refusal (permission lost, too many rows) ends the export in ERROR; anything else propagates to be retried."""
    log = get_or_404(session, ExportacionLog, exportacion_id, "Exportación no encontrada")
    if log.estado != "PENDIENTE":
        return log.estado
    try:
        contenido, nombre, filas = archivo(session, usuario(session, log.usuario_id), log.tipo_reporte,
                                           log.filtros_json, log.formato)
    except DomainError as exc:
        session.rollback()
        return fallar(session, exportacion_id, exc.message)
    clave = f"exportaciones/{log.id}/{nombre}"
    get_storage().put(clave, contenido)
    log.estado, log.archivo, log.nombre_archivo, log.filas = "LISTA", clave, nombre, filas
    log.terminado_at = datetime.now(UTC)
    session.add(log)
    session.commit()
    return log.estado


def fallar(session: Session, exportacion_id: int, error: str) -> str:
    log = get_or_404(session, ExportacionLog, exportacion_id, "Exportación no encontrada")
    if log.estado == "PENDIENTE":
        log.estado, log.error, log.terminado_at = "ERROR", error[:500], datetime.now(UTC)
        session.add(log)
        session.commit()
    return log.estado


def propia(fila: T | None, user: AuthUser, mensaje: str) -> T:
    """A row of the user's own (exports, programaciones; an ADMIN's: any): another user's is a 404, not a hint
    that it exists."""
    if fila is None or (fila.usuario_id != user.id and user.rol != "ADMIN"):
        raise NotFound(mensaje)
    return fila


def propias(session: Session, user: AuthUser, modelo: type[T], pagina: Paginacion) -> tuple[list[T], int]:
    """The user's rows of `modelo` (an ADMIN's: everyone's), newest first."""
    stmt = select(modelo).order_by(modelo.id.desc())
    if user.rol != "ADMIN":
        stmt = stmt.where(modelo.usuario_id == user.id)
    return paginar(session, stmt, pagina.limit, pagina.offset)


def obtener(session: Session, user: AuthUser, exportacion_id: int) -> ExportacionLog:
    return propia(session.get(ExportacionLog, exportacion_id), user, "Exportación no encontrada")


def listar(session: Session, user: AuthUser, pagina: Paginacion) -> tuple[list[ExportacionLog], int]:
    return propias(session, user, ExportacionLog, pagina)


def contenido(session: Session, exportacion_id: int) -> tuple[bytes, str, str]:
    """(bytes, media type, file name) of a finished export (the link's signature was checked by the caller)."""
    log = session.get(ExportacionLog, exportacion_id)
    if log is None or log.estado != "LISTA" or log.archivo is None:
        raise NotFound("Exportación no encontrada o aún no lista")
    return get_storage().get(log.archivo), archivos.MEDIA[log.formato], log.nombre_archivo or log.archivo
