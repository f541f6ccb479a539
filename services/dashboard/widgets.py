"""Each user's dashboard layout (`configuraciones_dashboard`): which widgets, where, how big. A widget's name
is one of the catalog's and the user must be allowed its KPI group; with nothing saved, the user gets every
widget they may see, in catalog order."""

from typing import Literal

from pydantic import Field, field_validator
from sqlalchemy import select
from sqlmodel import Session

from core.errors import Forbidden
from core.schemas import Entrada
from models.base import utcnow
from models.dashboard import ConfiguracionDashboard
from services.auth import AuthUser
from services.dashboard import acceso

# widget -> the KPI group it shows
WIDGETS: dict[str, str] = {
    "ventas_hoy": "ventas", "ventas_periodo": "ventas", "ventas_por_sucursal": "ventas",
    "top_productos": "ventas", "ventas_metodo_pago": "ventas",
    "valor_stock": "inventario", "bajo_minimo": "inventario", "lotes_por_vencer": "inventario",
    "rotacion": "inventario",
    "cuentas_por_cobrar": "financiero", "cuentas_por_pagar": "financiero", "cobranzas_mes": "financiero",
    "posicion_caja": "financiero",
    "pedidos_estado": "logistica", "entregas_a_tiempo": "logistica", "entregas_transportista": "logistica",
}
MAX_WIDGETS = len(WIDGETS)


NombreWidget = Literal[tuple(WIDGETS)]  # the catalog, as an enum in the OpenAPI schema


class WidgetIn(Entrada):
    widget: NombreWidget  # type: ignore[valid-type]
    posicion: int = Field(ge=0, le=99)
    tamano: Literal["S", "M", "L"] = "M"


class ConfiguracionIn(Entrada):
    widgets: list[WidgetIn] = Field(max_length=MAX_WIDGETS)

    @field_validator("widgets")
    @classmethod
    def _sin_repetidos(cls, v: list[WidgetIn]) -> list[WidgetIn]:
        nombres = [w.widget for w in v]
        if len(set(nombres)) != len(nombres):
            raise ValueError("un widget aparece más de una vez")
        return v


def _predeterminados(grupos: list[str]) -> list[dict]:
    nombres = [w for w, g in WIDGETS.items() if g in grupos]
    return [{"widget": w, "posicion": i, "tamano": "M"} for i, w in enumerate(nombres)]


def obtener(session: Session, user: AuthUser) -> dict:
    grupos = acceso.grupos_visibles(session, user)
    fila = session.execute(select(ConfiguracionDashboard).where(ConfiguracionDashboard.usuario_id == user.id)
                           ).scalar_one_or_none()
    # a widget whose group the role has since lost is not shown (its data would be refused anyway)
    widgets = [w for w in fila.widgets_config_json if WIDGETS.get(w["widget"]) in grupos] if fila else None
    return {"rol": user.rol, "grupos": grupos, "personalizado": fila is not None,
            "widgets": widgets if widgets is not None else _predeterminados(grupos)}


def guardar(session: Session, user: AuthUser, datos: ConfiguracionIn) -> dict:
    grupos = acceso.grupos_visibles(session, user)
    for i, w in enumerate(datos.widgets):
        if WIDGETS[w.widget] not in grupos:
            raise Forbidden(f"Su rol no puede ver el widget {w.widget} (KPIs de {WIDGETS[w.widget]})",
                                  field=f"widgets.{i}.widget")
    fila = session.execute(select(ConfiguracionDashboard).where(ConfiguracionDashboard.usuario_id == user.id)
                           ).scalar_one_or_none() or ConfiguracionDashboard(usuario_id=user.id, rol=user.rol)
    fila.rol = user.rol
    fila.widgets_config_json = [w.model_dump() for w in sorted(datos.widgets, key=lambda w: w.posicion)]
    fila.updated_at = utcnow()
    session.add(fila)
    session.commit()
    return obtener(session, user)
