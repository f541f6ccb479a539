"""The purchasing configuration: approval waits, tolerances, proposals, SUNAT consulta credentials (the approval
tiers are services/compras/niveles)."""

from decimal import Decimal
from typing import Literal

from pydantic import Field
from sqlmodel import Session

from core.schemas import Entrada
from models.compras import ConfiguracionCompras
from services.compras import ordenes


class ConfiguracionComprasIn(Entrada):
    recordatorio_horas: Decimal = Field(gt=0, le=720, max_digits=8, decimal_places=4)
    escalamiento_horas: Decimal = Field(gt=0, le=2160, max_digits=8, decimal_places=4)
    tolerancia_recepcion_pct: Decimal = Field(default=Decimal("0"), ge=0, le=100, max_digits=7, decimal_places=3)
    tolerancia_cantidad: Decimal = Field(default=Decimal("0"), ge=0, max_digits=14, decimal_places=3)
    tolerancia_precio_pct: Decimal = Field(default=Decimal("0.5"), ge=0, le=100, max_digits=7, decimal_places=3)
    tolerancia_precio_monto: Decimal = Field(default=Decimal("0.10"), ge=0, max_digits=14, decimal_places=2)
    estado_propuesta: Literal["BORRADOR", "PENDIENTE_APROBACION"] = "BORRADOR"
    umbral_evaluacion: Decimal = Field(default=Decimal("70"), ge=0, le=100, max_digits=7, decimal_places=3)
    sunat_client_id: str = Field(default="", max_length=100)
    sunat_client_secret: str | None = Field(default=None, min_length=1, max_length=200,
                                            description="omitted: the stored secret is kept")


def cambiar(session: Session, datos: ConfiguracionComprasIn) -> ConfiguracionCompras:
    config = ordenes.configuracion(session)
    for campo, valor in datos.model_dump(exclude={"sunat_client_secret"}).items():
        setattr(config, campo, valor)
    if datos.sunat_client_secret is not None:
        config.sunat_client_secret = datos.sunat_client_secret
    session.add(config)
    session.commit()
    return config
