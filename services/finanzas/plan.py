"""Chart of accounts (Peru's PCGE, Plan Contable General Empresarial, modified 2019), cost centres, and the
accounts each automatic posting uses (configuration seeded with the posting table of MODULES.md).

Only leaves (`acepta_movimiento`) take postings. The seed carries the PCGE accounts the posting table uses and
the usual ones around them; the accountant adds divisionarias (sub-accounts) and deactivates accounts.
"""

from sqlalchemy import select, text
from sqlmodel import Session

from core.db import per_session
from core.errors import Conflict, NotFound, ValidationError
from models.configuracion import Sucursal
from models.finanzas import CentroCosto, CuentaContable, CuentaOperacion
from services.finanzas import configuracion

# (codigo, nombre). A code whose prefix is another code is its child; accounts without children are leaves.
PCGE: list[tuple[str, str]] = [
    ("10", "EFECTIVO Y EQUIVALENTES DE EFECTIVO"), ("101", "Caja"), ("102", "Fondos fijos"),
    ("104", "Cuentas corrientes en instituciones financieras"), ("1041", "Cuentas corrientes operativas"),
    ("1042", "Cuentas corrientes para fines específicos"), ("106", "Depósitos en instituciones financieras"),
    ("12", "CUENTAS POR COBRAR COMERCIALES – TERCEROS"),
    ("121", "Facturas, boletas y otros comprobantes por cobrar"), ("1211", "No emitidas"),
    ("1212", "Emitidas en cartera"), ("1213", "En cobranza"), ("122", "Anticipos de clientes"),
    ("123", "Letras por cobrar"),
    ("16", "CUENTAS POR COBRAR DIVERSAS – TERCEROS"), ("161", "Préstamos"), ("162", "Reclamaciones a terceros"),
    ("168", "Otras cuentas por cobrar diversas"),
    ("20", "MERCADERÍAS"), ("201", "Mercaderías manufacturadas"), ("2011", "Mercaderías manufacturadas"),
    ("20111", "Costo"),
    ("28", "EXISTENCIAS POR RECIBIR"), ("281", "Mercaderías"),
    ("40", "TRIBUTOS, CONTRAPRESTACIONES Y APORTES AL SISTEMA DE PENSIONES Y DE SALUD POR PAGAR"),
    ("401", "Gobierno central"), ("4011", "Impuesto general a las ventas"), ("40111", "IGV – Cuenta propia"),
    ("40112", "IGV – Servicios prestados por no domiciliados"), ("40113", "IGV – Régimen de percepciones"),
    ("40114", "IGV – Régimen de retenciones"), ("4012", "Impuesto selectivo al consumo"),
    ("4017", "Impuesto a la renta"), ("40171", "Renta de tercera categoría"),
    ("40172", "Renta de cuarta categoría"), ("40173", "Renta de quinta categoría"),
    ("4018", "Otros impuestos y contraprestaciones"), ("40181", "Impuesto a las transacciones financieras"),
    ("40189", "Otros impuestos y contraprestaciones (ICBPER)"),
    ("403", "Instituciones públicas"), ("4031", "ESSALUD"), ("4032", "ONP"),
    ("407", "Administradoras de fondos de pensiones"),
    ("41", "REMUNERACIONES Y PARTICIPACIONES POR PAGAR"), ("411", "Remuneraciones por pagar"),
    ("42", "CUENTAS POR PAGAR COMERCIALES – TERCEROS"),
    ("421", "Facturas, boletas y otros comprobantes por pagar"), ("4211", "No emitidas"), ("4212", "Emitidas"),
    ("422", "Anticipos a proveedores"), ("423", "Letras por pagar"),
    ("46", "CUENTAS POR PAGAR DIVERSAS – TERCEROS"), ("469", "Otras cuentas por pagar diversas"),
    ("50", "CAPITAL"), ("501", "Capital social"),
    ("59", "RESULTADOS ACUMULADOS"), ("591", "Utilidades no distribuidas"), ("592", "Pérdidas acumuladas"),
    ("60", "COMPRAS"), ("601", "Mercaderías"), ("6011", "Mercaderías manufacturadas"),
    ("609", "Costos vinculados con las compras"), ("6091", "Costos vinculados con las compras de mercaderías"),
    ("61", "VARIACIÓN DE EXISTENCIAS"), ("611", "Mercaderías"), ("6111", "Mercaderías manufacturadas"),
    ("62", "GASTOS DE PERSONAL, DIRECTORES Y GERENTES"), ("621", "Remuneraciones"),
    ("627", "Seguridad, previsión social y otras contribuciones"),
    ("63", "GASTOS DE SERVICIOS PRESTADOS POR TERCEROS"), ("631", "Transporte, correos y gastos de viaje"),
    ("634", "Mantenimiento y reparaciones"), ("635", "Alquileres"), ("636", "Servicios básicos"),
    ("639", "Otros servicios prestados por terceros"), ("6391", "Gastos bancarios"),
    ("6399", "Otros servicios prestados por terceros"),
    ("64", "GASTOS POR TRIBUTOS"), ("641", "Gobierno central"),
    ("6411", "Impuesto general a las ventas y selectivo al consumo"),
    ("6412", "Impuesto a las transacciones financieras"), ("6419", "Otros tributos"),
    ("65", "OTROS GASTOS DE GESTIÓN"), ("659", "Otros gastos de gestión"),
    ("66", "PÉRDIDA POR MEDICIÓN DE ACTIVOS NO FINANCIEROS AL VALOR RAZONABLE"), ("661", "Activo realizable"),
    ("67", "GASTOS FINANCIEROS"), ("673", "Intereses por préstamos y otras obligaciones"),
    ("675", "Descuentos concedidos por pronto pago"), ("676", "Diferencia de cambio"),
    ("679", "Otros gastos financieros"),
    ("68", "VALUACIÓN Y DETERIORO DE ACTIVOS Y PROVISIONES"), ("681", "Depreciación"),
    ("684", "Valuación de activos"),
    ("69", "COSTO DE VENTAS"), ("691", "Mercaderías"), ("6911", "Mercaderías manufacturadas"),
    ("70", "VENTAS"), ("701", "Mercaderías"), ("7011", "Mercaderías manufacturadas"), ("70111", "Terceros"),
    ("701111", "Terceros – mercado local"), ("701112", "Terceros – exportación"), ("70112", "Relacionadas"),
    ("704", "Prestación de servicios"), ("7041", "Terceros"), ("7042", "Relacionadas"),
    ("709", "Devoluciones sobre ventas"), ("7091", "Terceros"),
    ("74", "DESCUENTOS, REBAJAS Y BONIFICACIONES CONCEDIDOS"), ("741", "Descuentos, rebajas y bonificaciones"),
    ("75", "OTROS INGRESOS DE GESTIÓN"), ("759", "Otros ingresos de gestión"),
    ("77", "INGRESOS FINANCIEROS"), ("772", "Rendimientos ganados"), ("776", "Diferencia de cambio"),
    ("779", "Otros ingresos financieros"),
    ("79", "CARGAS IMPUTABLES A CUENTAS DE COSTOS Y GASTOS"),
    ("791", "Cargas imputables a cuentas de costos y gastos"),
    ("80", "MARGEN COMERCIAL"), ("801", "Margen comercial"),
    ("89", "DETERMINACIÓN DEL RESULTADO DEL EJERCICIO"), ("891", "Utilidad"), ("892", "Pérdida"),
    ("94", "GASTOS ADMINISTRATIVOS"), ("941", "Gastos administrativos"),
    ("95", "GASTOS DE VENTAS"), ("951", "Gastos de ventas"),
    ("97", "GASTOS FINANCIEROS (DESTINO)"), ("971", "Gastos financieros"),
]

# clave -> (descripcion, default account). The posting table of MODULES.md, checked against the PCGE:
# - goods revenue goes to 70111 (mercaderías manufacturadas – terceros; 70121 is "de extracción"), split into
#   the divisionarias 701111 local / 701112 exportación so the export base reads off the ledger;
# - services to 7041 (704 Prestación de servicios; 703 is subproductos), credit notes to 7091;
# - the IGV a free transfer (retiro) costs the issuer to 6411, ITF to 6412, bank fees to 6391.
OPERACIONES: dict[str, tuple[str, str]] = {
    "VENTA_CXC": ("Comprobante emitido: cuenta por cobrar al cliente (total)", "1212"),
    "VENTA_IGV": ("IGV de ventas y de notas de crédito/débito", "40111"),
    "VENTA_ISC": ("ISC de ventas", "4012"),
    "VENTA_ICBPER": ("Impuesto al consumo de bolsas de plástico", "40189"),
    "VENTA_GRAVADA": ("Venta gravada de mercaderías (base)", "701111"),
    "VENTA_EXONERADA": ("Venta exonerada de mercaderías", "701111"),
    "VENTA_INAFECTA": ("Venta inafecta de mercaderías", "701111"),
    "VENTA_EXPORTACION": ("Exportación de mercaderías", "701112"),
    "VENTA_SERVICIOS": ("Prestación de servicios (unidad ZZ)", "7041"),
    "VENTA_GRATUITA_IGV": ("IGV de transferencias gratuitas gravadas (costo del emisor)", "6411"),
    "DESCUENTO_GLOBAL": ("Descuento global que no afecta la base (catálogo 53, código 03)", "675"),
    "CARGO_GLOBAL": ("Cargo global que no afecta la base (catálogo 53, código 50)", "759"),
    "NOTA_CREDITO": ("Devoluciones y descuentos por nota de crédito (base)", "7091"),
    "COSTO_VENTA": ("Costo de ventas a costo promedio ponderado", "6911"),
    "MERCADERIAS": ("Mercaderías en almacén", "20111"),
    "VARIACION_EXISTENCIAS": ("Variación de existencias por ingreso al almacén", "6111"),
    "COMPRA_MERCADERIAS": ("Compra de mercaderías (base)", "6011"),
    "COMPRA_COSTOS_VINCULADOS": ("Costos vinculados con las compras (flete, seguro, aduanas)", "6091"),
    "COMPRA_IGV": ("IGV de compras (crédito fiscal)", "40111"),
    "CXP": ("Factura de proveedor: cuenta por pagar", "4212"),
    "ANTICIPO_CLIENTES": ("Anticipos recibidos de clientes", "122"),
    "ANTICIPO_PROVEEDORES": ("Anticipos entregados a proveedores", "422"),
    "DIFERENCIA_CAMBIO_GANANCIA": ("Ganancia por diferencia de cambio", "776"),
    "DIFERENCIA_CAMBIO_PERDIDA": ("Pérdida por diferencia de cambio", "676"),
    "ITF": ("Impuesto a las transacciones financieras", "6412"),
    "GASTOS_BANCARIOS": ("Comisiones y gastos bancarios", "6391"),
    "TESORERIA_EFECTIVO": ("Cobros y pagos en efectivo", "101"),
    "TESORERIA_TARJETA": ("Cobros con tarjeta (abono del adquirente)", "1041"),
    "TESORERIA_YAPE": ("Cobros por Yape", "1041"),
    "TESORERIA_PLIN": ("Cobros por Plin", "1041"),
    "TESORERIA_TRANSFERENCIA": ("Transferencias bancarias", "1041"),
    # bank reconciliation (issue 14): interest a bank statement shows credited to the account
    "INTERESES_GANADOS": ("Intereses ganados en cuentas bancarias", "772"),
    # interest the bank charges (overdraft, loans) on the statement: a financial expense
    "INTERESES_PAGADOS": ("Intereses cobrados por el banco (sobregiro, préstamos)", "673"),
}

CENTRO_GENERAL = "GENERAL"


def _tipo_naturaleza(codigo: str) -> tuple[str, str]:
    elemento, cuenta = codigo[0], codigo[:2]
    if elemento in "123":
        return "ACTIVO", "ACREEDORA" if cuenta in ("19", "29", "39") else "DEUDORA"
    if elemento == "4":
        return "PASIVO", "ACREEDORA"
    if elemento == "5":
        return "PATRIMONIO", "ACREEDORA"
    if elemento == "6":
        return ("COSTO" if cuenta == "69" else "GASTO"), "DEUDORA"
    if elemento == "7":
        if cuenta == "79":
            return "GASTO", "ACREEDORA"
        return "INGRESO", "DEUDORA" if cuenta == "74" or codigo.startswith("709") else "ACREEDORA"
    if elemento == "8":
        return "RESULTADO", "ACREEDORA"
    return ("ANALITICA", "DEUDORA") if elemento == "9" else ("ORDEN", "DEUDORA")


def _padre(codigos: set[str], codigo: str) -> str | None:
    for largo in range(len(codigo) - 1, 1, -1):
        if codigo[:largo] in codigos:
            return codigo[:largo]
    return None


def sembrar(session: Session) -> None:
    """Idempotent: the PCGE seed, the default cost centre and the posting configuration. Never overrides
    what the accountant edited."""
    existentes = {c.codigo: c for c in session.execute(select(CuentaContable)).scalars()}
    codigos = {c for c, _ in PCGE} | set(existentes)
    padres = {_padre(codigos, c) for c in codigos}
    for codigo, nombre in PCGE:
        if codigo in existentes:
            continue
        tipo, naturaleza = _tipo_naturaleza(codigo)
        cuenta = CuentaContable(codigo=codigo, nombre=nombre, tipo=tipo, naturaleza=naturaleza,
                                acepta_movimiento=codigo not in padres)
        padre = _padre(codigos, codigo)
        cuenta.padre_id = existentes[padre].id if padre else None
        session.add(cuenta)
        session.flush()
        existentes[codigo] = cuenta
    if session.execute(select(CentroCosto).where(CentroCosto.codigo == CENTRO_GENERAL)).first() is None:
        session.add(CentroCosto(codigo=CENTRO_GENERAL, nombre="General / administración", predeterminado=True))
    configuradas = set(session.execute(select(CuentaOperacion.clave)).scalars())
    for clave, (descripcion, codigo) in OPERACIONES.items():
        if clave not in configuradas:
            session.add(CuentaOperacion(clave=clave, descripcion=descripcion, cuenta_id=existentes[codigo].id))
    session.flush()


# --- accounts ---------------------------------------------------------------------------------------------


def cuenta_por_codigo(session: Session, codigo: str, campo: str = "codigo") -> CuentaContable:
    cuenta = session.execute(select(CuentaContable).where(CuentaContable.codigo == codigo)).scalar_one_or_none()
    if cuenta is None:
        raise ValidationError(f"La cuenta {codigo} no existe en el plan contable", field=campo)
    return cuenta


def crear_subcuenta(session: Session, codigo: str, nombre: str) -> CuentaContable:
    """A divisionaria under an existing account (its code extends the parent's). The parent stops taking
    postings; refused if it already has some (its balance would be orphaned)."""
    if session.execute(select(CuentaContable.id).where(CuentaContable.codigo == codigo)).first():
        raise Conflict(f"La cuenta {codigo} ya existe", field="codigo")
    codigos = set(session.execute(select(CuentaContable.codigo)).scalars())
    padre_codigo = _padre(codigos, codigo)
    if padre_codigo is None:
        raise ValidationError("El código debe extender el de una cuenta existente del PCGE", field="codigo")
    padre = cuenta_por_codigo(session, padre_codigo)
    if padre.acepta_movimiento and session.execute(
            text("SELECT 1 FROM lineas_asiento WHERE cuenta_id = :c LIMIT 1"), {"c": padre.id}).first():
        raise Conflict(f"La cuenta {padre.codigo} ya tiene movimientos: no puede dividirse", field="codigo")
    if session.execute(select(CuentaOperacion.clave).where(CuentaOperacion.cuenta_id == padre.id)).first():
        raise Conflict(f"La cuenta {padre.codigo} está configurada para asientos automáticos: cambie la "
                       "configuración a la nueva subcuenta después de crearla", field="codigo")
    tipo, naturaleza = padre.tipo, padre.naturaleza
    cuenta = CuentaContable(codigo=codigo, nombre=nombre, tipo=tipo, naturaleza=naturaleza, padre_id=padre.id)
    padre.acepta_movimiento = False
    session.add_all([padre, cuenta])
    session.commit()
    return cuenta


def cambiar_estado_cuenta(session: Session, codigo: str, activo: bool) -> CuentaContable:
    cuenta = cuenta_por_codigo(session, codigo)
    if not activo and session.execute(
            select(CuentaOperacion.clave).where(CuentaOperacion.cuenta_id == cuenta.id)).first():
        raise Conflict(f"La cuenta {codigo} se usa en la configuración de asientos automáticos", field="activo")
    cuenta.activo = activo
    session.add(cuenta)
    session.commit()
    return cuenta


def listar_cuentas(session: Session, solo_activas: bool, limit: int, offset: int) -> tuple[list[CuentaContable], int]:
    q = select(CuentaContable)
    if solo_activas:
        q = q.where(CuentaContable.activo.is_(True))
    total = session.execute(select(text("count(*)")).select_from(q.subquery())).scalar_one()
    filas = session.execute(q.order_by(CuentaContable.codigo).limit(limit).offset(offset)).scalars()
    return list(filas), total


# --- posting configuration ----------------------------------------------------------------------------------


def cuentas_operacion(session: Session) -> dict[str, int]:
    """clave -> cuenta_id (services.finanzas.configuracion: once per process, checked per transaction)."""
    return configuracion.vigente(session).cuentas_operacion


def configurar_operacion(session: Session, clave: str, codigo: str) -> CuentaOperacion:
    fila = session.get(CuentaOperacion, clave)
    if fila is None:
        raise NotFound(f"Operación desconocida: {clave}")
    cuenta = cuenta_por_codigo(session, codigo, "codigo")
    if not (cuenta.activo and cuenta.acepta_movimiento):
        raise ValidationError(f"La cuenta {codigo} no admite movimientos (inactiva o no es de último nivel)",
                              field="codigo")
    fila.cuenta_id = cuenta.id
    session.add(fila)
    session.commit()
    return fila


def listar_operaciones(session: Session) -> list[tuple[CuentaOperacion, CuentaContable]]:
    return list(session.execute(select(CuentaOperacion, CuentaContable).join(
        CuentaContable, CuentaContable.id == CuentaOperacion.cuenta_id).order_by(CuentaOperacion.clave)).all())


# --- cost centres -------------------------------------------------------------------------------------------


def centro_general(session: Session) -> int:
    centro = configuracion.vigente(session).centro_general
    if centro is None:
        raise ValidationError("No hay un centro de costo predeterminado activo", field="centro_costo_id")
    return centro


def centro_de_sucursal(session: Session, sucursal_id: int | None) -> int:
    """The branch's own cost centre (created on first use), else the default one."""
    if sucursal_id is None:
        return centro_general(session)

    propio = configuracion.vigente(session).centros_sucursal.get(sucursal_id)
    if propio is not None:
        return propio[0] if propio[1] else centro_general(session)

    def cargar() -> int:  # the branch's first posting (or its centre created in this transaction)
        fila = session.execute(select(CentroCosto.id, CentroCosto.activo)
                               .where(CentroCosto.sucursal_id == sucursal_id)).first()
        if fila is not None:
            return fila.id if fila.activo else centro_general(session)
        sucursal = session.get(Sucursal, sucursal_id)
        centro = CentroCosto(codigo=f"SUC{sucursal_id:03d}", nombre=f"Sucursal {sucursal.nombre}",
                             sucursal_id=sucursal_id)
        session.add(centro)
        session.flush()
        return centro.id

    return per_session(session, f"finanzas_centro_sucursal_{sucursal_id}", cargar)


def crear_centro(session: Session, codigo: str, nombre: str) -> CentroCosto:
    centro = CentroCosto(codigo=codigo, nombre=nombre)
    session.add(centro)
    session.commit()
    return centro


def listar_centros(session: Session) -> list[CentroCosto]:
    return list(session.execute(select(CentroCosto).order_by(CentroCosto.codigo)).scalars())
