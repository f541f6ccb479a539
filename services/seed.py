"""Reference data every install needs (roles and their default permissions) and the demo company."""

import logging
import secrets
from decimal import Decimal

from sqlmodel import Session, select

from core.security import hash_password
from models.configuracion import Configuracion, Sucursal
from models.usuarios import Permiso, Rol, Usuario
from services import finanzas

log = logging.getLogger(__name__)

ALL = "*"
# role -> {modulo: [acciones]}; "*" matches any module or action.
DEFAULT_ROLES: dict[str, tuple[str, dict[str, list[str]]]] = {
    "ADMIN": ("Administrador: acceso total", {ALL: [ALL]}),
    "GERENTE_VENTAS": ("Gerente de ventas", {
        "ventas": [ALL], "clientes": [ALL], "cotizaciones": [ALL], "cajas": ["ver"], "productos": ["ver"],
        "reportes": ["ver"], "facturacion": ["ver", "emitir"], "notas_venta": [ALL], "inventario": ["ver"],
        "dashboard": ["ver"],
    }),
    "VENDEDOR": ("Vendedor", {
        "ventas": ["ver", "crear"], "clientes": ["ver", "crear", "editar"], "cotizaciones": [ALL],
        "productos": ["ver"], "inventario": ["ver"], "notas_venta": ["ver", "crear", "editar"],
        "cajas": ["ver", "abrir", "cerrar"],  # a store salesperson rings up their own sales
    }),
    "CAJERO": ("Cajero", {
        "ventas": ["ver", "crear"], "cajas": [ALL], "clientes": ["ver", "crear"], "productos": ["ver"],
        "facturacion": ["ver", "emitir"],
    }),
    "SUPERVISOR_ALMACEN": ("Supervisor de almacén", {
        "inventario": [ALL], "almacenes": [ALL], "productos": [ALL], "dashboard": ["ver"],
    }),
    "ALMACENERO": ("Operador de almacén", {
        "inventario": ["ver", "entrada", "salida", "transferir", "confirmar"], "productos": ["ver"],
        "almacenes": ["ver"],
    }),
    "CONTADOR": ("Contador", {
        "facturacion": [ALL], "finanzas": [ALL], "reportes": ["ver"], "ventas": ["ver", "ver_todas"],
        "clientes": ["ver"], "auditoria": ["ver"], "notas_venta": ["ver", "aprobar", "emitir", "anular"],
    }),
    "TESORERO": ("Tesorería: cobros y pagos", {
        "finanzas": ["ver", "cobrar", "pagar"], "clientes": ["ver"], "facturacion": ["ver"],
    }),
    "TRANSPORTISTA": ("Transportista", {"distribucion": ["ver", "editar", "confirmar", "tracking"]}),
    # module 5: who buys is not who approves (segregation of duties); the warehouse receives
    "COMPRAS": ("Compras: proveedores, órdenes de compra, recepciones y facturas de proveedor", {
        "proveedores": [ALL], "compras": ["ver", "crear", "editar", "anular", "recibir", "facturar", "validar"],
        "productos": ["ver"], "inventario": ["ver"], "almacenes": ["ver"],
    }),
    "FINANZAS": ("Finanzas: aprueba compras, justifica diferencias, paga", {
        "compras": ["ver", "aprobar", "justificar", "levantar_observacion"], "proveedores": ["ver"],
        "finanzas": ["ver", "pagar"],
    }),
    # module 4: the dispatcher takes orders, plans and optimises routes, manages the fleet
    "DESPACHADOR": ("Despachador", {
        "distribucion": [ALL], "clientes": ["ver"], "productos": ["ver"], "inventario": ["ver"],
    }),
}
# module 7 (WhatsApp): sales managers run campaigns; salespeople message their clients
DEFAULT_ROLES["GERENTE_VENTAS"][1]["whatsapp"] = [ALL]
DEFAULT_ROLES["VENDEDOR"][1]["whatsapp"] = ["ver", "enviar"]
# module 8 (dashboard): "ver" opens it; each KPI group its own action (finance KPIs need finanzas:ver)
DEFAULT_ROLES["GERENTE_VENTAS"][1]["dashboard"] = ["ver", "ventas"]
DEFAULT_ROLES["SUPERVISOR_ALMACEN"][1]["dashboard"] = ["ver", "inventario"]
DEFAULT_ROLES["DESPACHADOR"][1]["dashboard"] = ["ver", "logistica"]
for _rol in ("CONTADOR", "TESORERO", "FINANZAS"):
    DEFAULT_ROLES[_rol][1]["dashboard"] = ["ver"]


def seed_roles(session: Session) -> None:
    """Create missing roles and their default permissions; never overrides an edited role."""
    existing = {r.nombre for r in session.exec(select(Rol))}
    for nombre, (descripcion, permisos) in DEFAULT_ROLES.items():
        if nombre in existing:
            continue
        rol = Rol(nombre=nombre, descripcion=descripcion)
        session.add(rol)
        session.flush()
        for modulo, acciones in permisos.items():
            for accion in acciones:
                session.add(Permiso(rol_id=rol.id, modulo=modulo, accion=accion, permitido=True))
    session.flush()
    finanzas.sembrar(session)  # the PCGE chart and the accounts of each automatic posting


DEMO_RUC = "20100066603"  # check-digit valid demo RUC


def seed_demo_company(session: Session, admin_email: str, admin_password: str | None) -> str | None:
    """First run only: a demo company, its main branch and an admin. Returns the generated password."""
    if session.get(Configuracion, 1) is None:
        session.add(Configuracion(
            ruc=DEMO_RUC, razon_social="JSOLUCIONES DEMO S.A.C.", nombre_comercial="JSoluciones Demo",
            direccion="AV. JAVIER PRADO ESTE 123, SAN ISIDRO", ubigeo="150131", distrito="SAN ISIDRO",
            web="www.jsoluciones.pe", email="facturacion@jsoluciones.pe", igv_tasa=Decimal("0.18"),
            sunat_clave_sol="moddatos",
        ))
    sucursal = session.exec(select(Sucursal)).first()
    if sucursal is None:
        sucursal = Sucursal(nombre="Principal", direccion="AV. JAVIER PRADO ESTE 123, SAN ISIDRO")
        session.add(sucursal)
        session.flush()
    if session.exec(select(Usuario)).first() is not None:
        return None
    password = admin_password or secrets.token_urlsafe(12)
    admin_rol = session.exec(select(Rol).where(Rol.nombre == "ADMIN")).one()
    session.add(Usuario(nombre="Administrador", email=admin_email, password_hash=hash_password(password),
                        rol_id=admin_rol.id, sucursal_id=sucursal.id))
    session.flush()
    return password
