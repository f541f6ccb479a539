"""Who sees which KPIs, always decided here (never by the client): each group needs its permission, and the
sales and inventory KPIs are cut to the user's branches and warehouses (ADMIN: all of them)."""

from sqlalchemy import select
from sqlmodel import Session

from core.errors import Forbidden
from models.inventario import UsuarioAlmacen
from services import inventario
from services.auth import AuthUser
from services.dashboard import eventos
from services.permisos import sucursales_visibles, tiene_permiso

# group -> the (modulo, accion) it needs. Finance KPIs follow the finance permission itself.
PERMISO_GRUPO: dict[str, tuple[str, str]] = {
    "ventas": ("dashboard", "ventas"),
    "inventario": ("dashboard", "inventario"),
    "financiero": ("finanzas", "ver"),
    "logistica": ("dashboard", "logistica"),
}
PERMISO_TABLERO = ("dashboard", "ver")  # opening the dashboard (its WebSocket, its widgets)


def grupos_visibles(session: Session, user: AuthUser) -> list[str]:
    return [g for g, (modulo, accion) in PERMISO_GRUPO.items() if tiene_permiso(session, user.rol_id, modulo, accion)]


def exigir_grupo(session: Session, user: AuthUser, grupo: str, campo: str | None = None) -> None:
    if grupo not in grupos_visibles(session, user):
        modulo, accion = PERMISO_GRUPO[grupo]
        raise Forbidden(f"Su rol no tiene permiso para los KPIs de {grupo} ({modulo}:{accion})", field=campo)


def sucursales(user: AuthUser, sucursal_id: int | None = None) -> list[int] | None:
    """Branches whose sales KPIs the user reads (None = all); 403 for a branch not theirs."""
    return sucursales_visibles(user, sucursal_id)


def almacenes(session: Session, user: AuthUser, almacen_id: int | None = None) -> list[int] | None:
    """Warehouses whose inventory KPIs the user reads (None = all, ADMIN); 403 for a warehouse not theirs."""
    if almacen_id is not None:
        inventario.verificar_acceso(session, user, almacen_id)
        return [almacen_id]
    if inventario.es_admin(user):
        return None
    return list(session.execute(select(UsuarioAlmacen.almacen_id).where(UsuarioAlmacen.usuario_id == user.id))
                .scalars())


def temas(session: Session, user: AuthUser) -> list[str]:
    """The live topics a dashboard connection of `user` joins: by role (its KPI groups) and scope."""
    grupos = grupos_visibles(session, user)
    resultado = [eventos.tema_snapshot(g) for g in grupos]
    if "ventas" in grupos:
        visibles = sucursales(user)
        resultado += [eventos.tema_ventas(s) for s in (visibles if visibles is not None else [eventos.TODAS])]
    if "inventario" in grupos:
        visibles = almacenes(session, user)
        resultado += [eventos.tema_inventario(a) for a in (visibles if visibles is not None else [eventos.TODAS])]
    return resultado
