"""Module 8, exports and scheduled reports: the log of every export (who, which report, filters, format, when,
the stored file, its state), the programaciones (a report e-mailed daily, weekly or monthly at a Lima time), and
the result of each scheduled send."""

from datetime import datetime, time
from typing import Any, ClassVar

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Integer, String
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Field, SQLModel

from models.base import created_at, timestamp

FORMATOS = ("xlsx", "pdf")
ESTADOS_EXPORTACION = ("PENDIENTE", "LISTA", "ERROR")
FRECUENCIAS = ("DIARIA", "SEMANAL", "MENSUAL")


class ExportacionLog(SQLModel, table=True):
    """One requested export: written by the request (PENDIENTE), completed by the workflow (LISTA or ERROR)."""

    __tablename__ = "exportaciones_log"
    __table_args__ = (
        CheckConstraint(f"formato IN {FORMATOS!r}", name="ck_exportaciones_log_formato"),
        CheckConstraint(f"estado IN {ESTADOS_EXPORTACION!r}", name="ck_exportaciones_log_estado"),
    )

    id: int | None = Field(default=None, primary_key=True)
    usuario_id: int = Field(foreign_key="usuarios.id", index=True)
    tipo_reporte: str = Field(max_length=30)
    filtros_json: dict[str, Any] = Field(default_factory=dict, sa_type=JSONB)
    formato: str = Field(max_length=4)
    fecha: datetime = created_at()
    estado: str = Field(default="PENDIENTE", max_length=9)
    archivo: str | None = Field(default=None, max_length=200)  # storage key of the generated file
    nombre_archivo: str | None = Field(default=None, max_length=120)
    filas: int | None = None
    error: str | None = Field(default=None, max_length=500)
    terminado_at: datetime | None = timestamp()


class ProgramacionReporte(SQLModel, table=True):
    """A report e-mailed on a schedule; its Temporal schedule (`reporte-programado-<id>`) follows the row.
    `version` grows with every change, so each change's synchronisation is its own outbox message."""

    __tablename__ = "programaciones_reporte"
    __audit_module__: ClassVar[str] = "reportes"
    __table_args__ = (
        CheckConstraint(f"formato IN {FORMATOS!r}", name="ck_programaciones_reporte_formato"),
        CheckConstraint(f"frecuencia IN {FRECUENCIAS!r}", name="ck_programaciones_reporte_frecuencia"),
        CheckConstraint("dia_semana IS NULL OR dia_semana BETWEEN 0 AND 6",
                        name="ck_programaciones_reporte_dia_semana"),
        CheckConstraint("dia_mes IS NULL OR dia_mes BETWEEN 1 AND 28", name="ck_programaciones_reporte_dia_mes"),
        CheckConstraint("cardinality(emails_destino) >= 1", name="ck_programaciones_reporte_destinatarios"),
    )

    id: int | None = Field(default=None, primary_key=True)
    usuario_id: int = Field(foreign_key="usuarios.id", index=True)  # whose permissions and scope the report uses
    nombre: str = Field(max_length=120)
    tipo_reporte: str = Field(max_length=30)
    filtros_json: dict[str, Any] = Field(default_factory=dict, sa_type=JSONB)
    formato: str = Field(default="xlsx", max_length=4)
    frecuencia: str = Field(max_length=7)  # DIARIA | SEMANAL | MENSUAL
    hora_envio: time  # America/Lima
    dia_semana: int | None = None  # SEMANAL: 0 = domingo … 6 = sábado (cron)
    dia_mes: int | None = None  # MENSUAL: 1–28, so every month has it
    emails_destino: list[str] = Field(sa_column=Column(ARRAY(String(254)), nullable=False))
    activo: bool = True
    version: int = 1
    created_at: datetime = created_at()
    updated_at: datetime | None = timestamp()


class EnvioReporte(SQLModel, table=True):
    """One attempt to e-mail one scheduled run (`ejecucion` = the run's workflow id; `intento` = the activity's
    attempt): ok, or the error. A run with an ok row is not sent again."""

    __tablename__ = "envios_reporte"
    __table_args__ = (Index("ix_envios_reporte_ejecucion", "programacion_id", "ejecucion"),)

    id: int | None = Field(default=None, primary_key=True)
    programacion_id: int = Field(sa_column=Column(
        Integer, ForeignKey("programaciones_reporte.id", ondelete="CASCADE"), nullable=False))
    ejecucion: str = Field(max_length=200)
    intento: int = 1
    fecha: datetime = created_at()
    destinatarios: list[str] = Field(sa_column=Column(ARRAY(String(254)), nullable=False))
    ok: bool
    error: str | None = Field(default=None, max_length=500)
    archivo: str | None = Field(default=None, max_length=200)
    filas: int | None = None
    message_id: str | None = Field(default=None, max_length=200)
