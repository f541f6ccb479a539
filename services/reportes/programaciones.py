"""Scheduled reports (module 8): a programación row and its Temporal schedule `reporte-programado-<id>` move
together. Every change (create, edit, pause, delete) bumps `version` and asks, in the same transaction, for a
`SincronizarProgramacion` run that makes the schedule match the row as it is then (so a rolled-back change
touches nothing, a redelivered one is harmless, and an older one applied late still converges on the row)."""

from datetime import UTC, datetime, time
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import EmailStr, Field
from sqlalchemy import func, select
from sqlmodel import Session

from core.db import paginar
from core.errors import ValidationError
from core.outbox import request_workflow
from core.schedules import ScheduleDef
from core.schemas import Entrada, HoraLocal, Paginacion
from core.settings import get_settings
from models.reportes import EnvioReporte, ProgramacionReporte
from services.auth import AuthUser
from services.reportes import catalogo
from services.reportes.exportaciones import propia, propias, validar
from workflows.entradas import ProgramacionRef

PREFIJO = "reporte-programado-"
DIAS = ("domingo", "lunes", "martes", "miércoles", "jueves", "viernes", "sábado")


class ProgramacionIn(Entrada):
    nombre: str = Field(min_length=1, max_length=120)
    tipo_reporte: catalogo.TipoReporte
    filtros: catalogo.FiltrosReporte = Field(
        default_factory=catalogo.FiltrosReporte,
        description="Fechas o periodo vacíos: el periodo recién cerrado según la frecuencia (ayer, los 7 días "
                    "hasta ayer, el mes anterior)")
    formato: catalogo.Formato = "xlsx"
    frecuencia: Literal["DIARIA", "SEMANAL", "MENSUAL"]
    hora_envio: HoraLocal = Field(description="hora de Lima (America/Lima)")
    dia_semana: int | None = Field(default=None, ge=0, le=6, description="SEMANAL: 0 = domingo … 6 = sábado")
    dia_mes: int | None = Field(default=None, ge=1, le=28, description="MENSUAL: 1–28")
    emails_destino: list[EmailStr] = Field(min_length=1, max_length=50)
    activo: bool = True


def _hora_lima(hora: time) -> time:
    """A time with an offset must be Lima's (no DST in Peru); stored without zone."""
    if hora.tzinfo is None:
        return hora
    lima = ZoneInfo(get_settings().timezone).utcoffset(datetime.now(UTC).replace(tzinfo=None))
    if hora.utcoffset() != lima:
        raise ValidationError("La hora de envío es hora de Lima (UTC-05:00)", field="hora_envio")
    return hora.replace(tzinfo=None)


def _campos(session: Session, user: AuthUser, datos: ProgramacionIn) -> dict[str, Any]:
    filtros = validar(session, user, datos.tipo_reporte, datos.filtros, programado=True)
    dia = {"SEMANAL": "dia_semana", "MENSUAL": "dia_mes"}.get(datos.frecuencia)
    for campo in ("dia_semana", "dia_mes"):
        valor = getattr(datos, campo)
        if campo == dia and valor is None:
            raise ValidationError(f"La frecuencia {datos.frecuencia} requiere {campo}", field=campo)
        if campo != dia and valor is not None:
            raise ValidationError(f"{campo} no aplica a la frecuencia {datos.frecuencia}", field=campo)
    destinos = list(dict.fromkeys(str(e).lower() for e in datos.emails_destino))
    return {"nombre": datos.nombre, "tipo_reporte": datos.tipo_reporte, "filtros_json": filtros,
            "formato": datos.formato, "frecuencia": datos.frecuencia, "hora_envio": _hora_lima(datos.hora_envio),
            "dia_semana": datos.dia_semana, "dia_mes": datos.dia_mes, "emails_destino": destinos,
            "activo": datos.activo}


def _sincronizar(session: Session, programacion_id: int, version: int) -> None:
    request_workflow(session, "SincronizarProgramacion", f"sincronizar-{PREFIJO}{programacion_id}-v{version}",
                     ProgramacionRef(programacion_id))


def crear(session: Session, user: AuthUser, datos: ProgramacionIn) -> ProgramacionReporte:
    prog = ProgramacionReporte(usuario_id=user.id, **_campos(session, user, datos))
    session.add(prog)
    session.flush()
    _sincronizar(session, prog.id, prog.version)
    session.commit()
    return prog


def obtener(session: Session, user: AuthUser, programacion_id: int, for_update: bool = False) -> ProgramacionReporte:
    prog = session.get(ProgramacionReporte, programacion_id, with_for_update=for_update,
                       populate_existing=for_update)
    return propia(prog, user, "Programación no encontrada")


def listar(session: Session, user: AuthUser, pagina: Paginacion) -> tuple[list[ProgramacionReporte], int]:
    return propias(session, user, ProgramacionReporte, pagina)


def actualizar(session: Session, user: AuthUser, programacion_id: int, datos: ProgramacionIn) -> ProgramacionReporte:
    """Replace (PUT) under a row lock; the report keeps running as its owner, whose permission is checked
    again for the new report and filters (an ADMIN editing it acts for the owner)."""
    prog = obtener(session, user, programacion_id, for_update=True)
    for campo, valor in _campos(session, user, datos).items():
        setattr(prog, campo, valor)
    prog.version += 1
    prog.updated_at = datetime.now(UTC)
    session.add(prog)
    _sincronizar(session, prog.id, prog.version)
    session.commit()
    return prog


def eliminar(session: Session, user: AuthUser, programacion_id: int) -> None:
    prog = obtener(session, user, programacion_id, for_update=True)
    _sincronizar(session, prog.id, prog.version + 1)
    session.delete(prog)
    session.commit()


def envios(session: Session, user: AuthUser, programacion_id: int,
           pagina: Paginacion) -> tuple[list[EnvioReporte], int]:
    obtener(session, user, programacion_id)
    stmt = select(EnvioReporte).where(EnvioReporte.programacion_id == programacion_id).order_by(
        EnvioReporte.id.desc())
    return paginar(session, stmt, pagina.limit, pagina.offset)


# --- the Temporal side --------------------------------------------------------------------------------------


def cron(prog: ProgramacionReporte) -> str:
    h, m = prog.hora_envio.hour, prog.hora_envio.minute
    if prog.frecuencia == "SEMANAL":
        return f"{m} {h} * * {prog.dia_semana}"
    if prog.frecuencia == "MENSUAL":
        return f"{m} {h} {prog.dia_mes} * *"
    return f"{m} {h} * * *"


def definicion(session: Session, programacion_id: int) -> tuple[ScheduleDef | None, int]:
    """(the schedule the row asks for now, the row's version); (None, 0): the row is gone, so must the schedule
    be."""
    prog = session.get(ProgramacionReporte, programacion_id)
    if prog is None:
        return None, 0
    return ScheduleDef(f"{PREFIJO}{prog.id}", "ReporteProgramado", cron(prog),
                       f"Reporte programado {prog.id}: {prog.nombre} ({prog.tipo_reporte}, {prog.frecuencia})",
                       args=[ProgramacionRef(prog.id)], timezone=get_settings().timezone,
                       paused=not prog.activo), prog.version


def ids(session: Session) -> list[int]:
    return list(session.execute(select(ProgramacionReporte.id).order_by(ProgramacionReporte.id)).scalars())


def schedule_id(programacion_id: int) -> str:
    return f"{PREFIJO}{programacion_id}"


def programacion_de(schedule: str) -> int | None:
    """The programación id of one of our schedules' ids (None for any other schedule)."""
    resto = schedule.removeprefix(PREFIJO)
    return int(resto) if resto != schedule and resto.isdigit() else None


# --- a run -------------------------------------------------------------------------------------------------


def por_enviar(session: Session, programacion_id: int, ejecucion: str) -> ProgramacionReporte | None:
    """The programación of a run still to send: None when it was deleted, paused since the run was scheduled,
    or this run was already sent (a retried activity after a lost acknowledgement)."""
    prog = session.get(ProgramacionReporte, programacion_id)
    if prog is None or not prog.activo:
        return None
    enviado = session.execute(select(func.count()).select_from(EnvioReporte).where(
        EnvioReporte.programacion_id == programacion_id, EnvioReporte.ejecucion == ejecucion,
        EnvioReporte.ok.is_(True))).scalar_one()
    return None if enviado else prog


def filtros_de_ejecucion(prog: ProgramacionReporte, hoy: Any) -> dict[str, Any]:
    return catalogo.periodo_de_ejecucion(prog.tipo_reporte, prog.filtros_json, prog.frecuencia, hoy)


def mensaje(prog: ProgramacionReporte, filtros: dict[str, Any], filas: int) -> tuple[str, str]:
    """(subject, body) of a run's e-mail."""
    titulo = catalogo.REPORTES[prog.tipo_reporte].titulo
    rango = (f"{filtros['desde']} a {filtros['hasta']}" if "desde" in filtros
             else filtros.get("periodo", datetime.now(UTC).date().isoformat()))
    cuando = {"DIARIA": "cada día", "SEMANAL": f"cada {DIAS[prog.dia_semana or 0]}",
              "MENSUAL": f"el día {prog.dia_mes} de cada mes"}[prog.frecuencia]
    cuerpo = (f"Adjuntamos el reporte «{prog.nombre}» ({titulo}, {rango}): {filas} filas.\n\n"
              f"Se envía {cuando} a las {prog.hora_envio:%H:%M} (hora de Lima). Para cambiarlo o dejar de "
              f"recibirlo, edite la programación {prog.id} en el ERP.\n")
    return f"{prog.nombre}: {titulo} ({rango})", cuerpo


def registrar_envio(session: Session, prog_id: int, ejecucion: str, intento: int, destinatarios: list[str],
                    ok: bool, error: str | None = None, archivo: str | None = None, filas: int | None = None,
                    message_id: str | None = None) -> None:
    """One attempt's result, in its own transaction."""
    session.add(EnvioReporte(programacion_id=prog_id, ejecucion=ejecucion, intento=intento, destinatarios=destinatarios,
                             ok=ok, error=error[:500] if error else None, archivo=archivo, filas=filas,
                             message_id=message_id))
    session.commit()
