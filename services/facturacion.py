"""Module 3 business operations: issue comprobantes (from a sale or directly), notes, voiding, queries.

Issuing = validate → number → write the comprobante and its lines (estado PENDIENTE) → ask for the
`EmitirComprobante` workflow through the outbox, all in the caller's transaction. Everything that talks
to SUNAT happens in the workflow (see workflows/facturacion.py).
"""

from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import Row, select
from sqlmodel import Session
from stdnum.pe import ruc as pe_ruc

from core import outbox
from core.db import contiene, get_or_404, insert_rows, paginar, per_session
from core.errors import Conflict, FieldError, NotFound, UnprocessableError, ValidationError
from core.schemas import Paginacion, texto_no_permitido
from core.settings import get_settings
from integrations.sunat import catalogos as cat
from integrations.sunat import documento as doc
from integrations.sunat.totales import Totales, calcular, redondear
from models.base import exigir_monto
from models.configuracion import Sucursal
from models.facturacion import (
    FINALES,
    Comprobante,
    ComunicacionBaja,
    DetalleComprobante,
    EnvioSunat,
    EstadoComprobante,
    EstadoResumen,
    ModoEmision,
    ResumenDiario,
    ResumenDiarioItem,
)
from models.inventario import Producto
from models.ventas import Cliente, Venta
from services import calculo, finanzas
from services import configuracion as configuracion_srv
from services import cuotas as cuotas_srv
from services import facturacion_pago as pago
from services.facturacion_pago import OPERACION_VENTA_INTERNA, Condiciones, es_exportacion
from services.numeracion import siguiente_numero
from workflows.entradas import Emision, Reintento, Resumen

WORKFLOW_EMISION = "EmitirComprobante"
CLIENTE_VARIOS = ("0", "-", "CLIENTES VARIOS")
BOLETA_SIN_DOCUMENTO_MAX = Decimal("700.00")  # SUNAT: above S/ 700 the boleta must identify the buyer
DIAS_PARA_BAJA = 7  # comunicación de baja: up to 7 calendar days after the issue date


@dataclass
class ClienteDatos:
    tipo_documento: str  # catálogo 06
    numero_documento: str
    razon_social: str
    direccion: str = ""
    email: str = ""
    pais: str = "PE"  # ISO 3166-1 alpha-2


@dataclass
class LineaDatos:
    codigo_producto: str
    descripcion: str
    cantidad: Decimal
    valor_unitario: Decimal | None = None  # without IGV; or precio_unitario, exactly one
    unidad_medida: str = "NIU"
    afectacion_igv: str | None = "10"  # None: 10, or 40 in an exportación
    detalle_origen_id: int | None = None  # notes: the original's line it credits or debits
    precio_unitario: Decimal | None = None  # with IGV (the shelf price)
    descuento: Decimal = Decimal("0")  # line discount, in the terms of the unit amount given
    icbper_cantidad: int | None = None  # plastic bags (= cantidad); None: from the SKU's product (bolsa_plastica)
    codigo_detraccion: str | None = None  # catálogo 54, when the good or service is subject to the SPOT


@dataclass
class DatosEmision:
    cliente: ClienteDatos
    lineas: list[LineaDatos]
    tipo: str | None = None  # 01 | 03; None: factura when the customer has a RUC, else boleta
    moneda: str = "PEN"
    tipo_cambio: Decimal | None = None
    venta_id: int | None = None
    total_esperado: Decimal | None = None  # the sale's total, which the comprobante must match
    descuentos_cargos: list[dict] = field(default_factory=list)  # global, catálogo 53 (calculo.globales_json)
    condiciones: Condiciones = field(default_factory=Condiciones)


# --- dates --------------------------------------------------------------------------------------


def ahora_lima() -> datetime:
    return datetime.now(ZoneInfo(get_settings().timezone))


# --- validation ---------------------------------------------------------------------------------


def _errores_cliente(tipo: str, cliente: ClienteDatos, operacion: str = OPERACION_VENTA_INTERNA) -> list[FieldError]:
    errores = []
    if cliente.tipo_documento not in cat.CAT_06_DOC_IDENTIDAD:
        errores.append(FieldError("cliente.tipo_documento", "Tipo de documento de identidad no válido (catálogo 06)"))
    elif cliente.tipo_documento == cat.DOC_RUC and not pe_ruc.is_valid(cliente.numero_documento):
        errores.append(FieldError("cliente.numero_documento", "RUC inválido (11 dígitos y dígito verificador)"))
    elif cliente.tipo_documento == cat.DOC_DNI and not (len(cliente.numero_documento) == 8
                                                        and cliente.numero_documento.isdigit()):
        errores.append(FieldError("cliente.numero_documento", "DNI inválido (8 dígitos)"))
    elif cliente.numero_documento != "-" and not cliente.numero_documento.replace("-", "").isalnum():
        errores.append(FieldError("cliente.numero_documento", "Número de documento inválido (letras y dígitos)"))
    if es_exportacion(operacion):
        errores.extend(pago.errores_exportacion(tipo, cliente.tipo_documento, cliente.pais))
    elif tipo == cat.FACTURA and cliente.tipo_documento != cat.DOC_RUC:
        errores.append(FieldError("cliente.tipo_documento", "La factura requiere un cliente con RUC (o, para un "
                                                            "cliente del exterior, una exportación)"))
    if not cliente.razon_social.strip():
        errores.append(FieldError("cliente.razon_social", "Razón social o nombre requerido"))
    return errores


def _errores_importe(campo: str, linea: LineaDatos) -> list[FieldError]:
    """Exactly one of valor_unitario (sin IGV) / precio_unitario (con IGV), not negative, ≤ 10 decimals."""
    if (linea.valor_unitario is None) == (linea.precio_unitario is None):
        nombre = "precio_unitario" if linea.precio_unitario is not None else "valor_unitario"
        return [FieldError(f"{campo}.{nombre}", "Indique valor_unitario (sin IGV) o precio_unitario (con IGV), "
                                                 "uno de los dos")]
    nombre, importe = (("valor_unitario", linea.valor_unitario) if linea.valor_unitario is not None
                       else ("precio_unitario", linea.precio_unitario))
    if importe < 0:  # type: ignore[operator]
        return [FieldError(f"{campo}.{nombre}", "El importe unitario no puede ser negativo")]
    if -importe.as_tuple().exponent > 10:  # type: ignore[union-attr,operator]
        return [FieldError(f"{campo}.{nombre}", "Máximo 10 decimales")]
    if linea.descuento < 0 or linea.descuento > linea.cantidad * importe:  # type: ignore[operator]
        return [FieldError(f"{campo}.descuento", "El descuento no puede ser negativo ni superar el importe de la "
                                                  "línea")]
    return []


def _errores_linea(i: int, linea: LineaDatos, operacion: str = OPERACION_VENTA_INTERNA) -> list[FieldError]:
    errores = []
    campo = f"lineas.{i}"
    if linea.cantidad <= 0:
        errores.append(FieldError(f"{campo}.cantidad", "La cantidad debe ser mayor que cero"))
    errores.extend(_errores_importe(campo, linea))
    if linea.icbper_cantidad and linea.icbper_cantidad != linea.cantidad:
        errores.append(FieldError(f"{campo}.cantidad", "Las bolsas plásticas (ICBPER) se venden por unidad entera"))
    if linea.unidad_medida not in cat.CAT_03_UNIDAD_MEDIDA:
        errores.append(FieldError(f"{campo}.unidad_medida", "Unidad de medida no válida (catálogo 03)"))
    if linea.afectacion_igv not in cat.CAT_07_AFECTACION_IGV:
        errores.append(FieldError(f"{campo}.afectacion_igv", "Afectación del IGV no válida (catálogo 07)"))
    elif es_exportacion(operacion) != (linea.afectacion_igv in cat.AFECTACION_EXPORTACION):
        errores.append(FieldError(f"{campo}.afectacion_igv", "Una exportación lleva afectación 40 en cada línea, y "
                                                             "la afectación 40 solo corresponde a exportaciones"))
    if linea.codigo_detraccion is not None and linea.codigo_detraccion not in cat.CAT_54_BIEN_SERVICIO_DETRACCION:
        errores.append(FieldError(f"{campo}.codigo_detraccion", "Código de detracción no válido (catálogo 54)"))
    if not linea.descripcion.strip():
        errores.append(FieldError(f"{campo}.descripcion", "Descripción requerida"))
    return errores


def _errores_texto(**campos: object) -> list[FieldError]:
    """Text an XML cannot carry, in data that may not have come through a request body (a customer or
    product stored before the API refused it, an offline sale): refused before a number is used."""
    hallado = texto_no_permitido(campos)
    return [FieldError(hallado[0], f"contiene un carácter no permitido ({hallado[1]})")] if hallado else []


def exigir_texto(**campos: object) -> None:
    if errores := _errores_texto(**campos):
        raise ValidationError(f"{errores[0].field}: {errores[0].message}", errors=errores)


def _validar(tipo: str, datos: DatosEmision, operacion: str = OPERACION_VENTA_INTERNA) -> None:
    """Everything SUNAT would reject for the data itself, checked before a number is used."""
    errores = _errores_cliente(tipo, datos.cliente, operacion) + _errores_texto(cliente=datos.cliente,
                                                                                lineas=datos.lineas)
    if not datos.lineas:
        errores.append(FieldError("lineas", "El comprobante necesita al menos una línea"))
    for i, linea in enumerate(datos.lineas):
        errores.extend(_errores_linea(i, linea, operacion))
    if datos.moneda not in cat.CAT_02_MONEDA:
        errores.append(FieldError("moneda", "Moneda no válida (catálogo 02)"))
    elif datos.moneda != "PEN" and not (datos.tipo_cambio and datos.tipo_cambio > 0):
        errores.append(FieldError("tipo_cambio", "Tipo de cambio requerido para moneda extranjera"))
    if errores:
        raise ValidationError(errores[0].message, errors=errores)


def _validar_totales(tipo: str, datos: DatosEmision, totales: Totales) -> None:
    for i, tl in enumerate(totales.lineas):
        exigir_monto(tl.precio_unitario, f"lineas.{i}.valor_unitario", precision=22, scale=10)
        exigir_monto(tl.valor_venta + tl.total_impuestos, f"lineas.{i}")
    exigir_monto(totales.importe_total, "lineas")
    if (tipo == cat.BOLETA and datos.cliente.tipo_documento == CLIENTE_VARIOS[0]
            and totales.importe_total > BOLETA_SIN_DOCUMENTO_MAX):
        raise ValidationError("Boletas mayores a S/ 700 requieren el documento del cliente",
                              field="cliente.numero_documento")
    if datos.total_esperado is not None and totales.importe_total != datos.total_esperado:
        # Both come from totales.calcular_importes of the same lines: a difference is our bug, not SUNAT's.
        raise UnprocessableError(
            f"La venta no se registró: el comprobante ({totales.importe_total}) no coincide con el total de la "
            f"venta ({datos.total_esperado}). Es un error de cálculo del sistema; informe a soporte.", field="total")


# --- building the SUNAT document from our data ---------------------------------------------------------


def emisor(session: Session) -> doc.Emisor:
    config = configuracion_srv.obtener(session)
    sucursal = per_session(session, "sucursal_principal",
                           lambda: session.execute(select(Sucursal).order_by(Sucursal.id)).scalars().first())
    direccion = doc.Direccion(config.direccion, ubigeo=config.ubigeo, departamento=config.departamento,
                              provincia=config.provincia, distrito=config.distrito)
    return doc.Emisor(config.ruc, config.razon_social, direccion, nombre_comercial=config.nombre_comercial,
                      codigo_establecimiento=sucursal.codigo_establecimiento if sucursal else "0000")


def _linea_sunat(linea: LineaDatos) -> doc.Linea:
    return doc.Linea(codigo_producto=linea.codigo_producto, descripcion=linea.descripcion,
                     cantidad=Decimal(linea.cantidad), valor_unitario=linea.valor_unitario,
                     precio_unitario=linea.precio_unitario, descuento=Decimal(linea.descuento),
                     icbper_cantidad=linea.icbper_cantidad or 0, unidad_medida=linea.unidad_medida,
                     afectacion_igv=linea.afectacion_igv)


def _linea_guardada(d: DetalleComprobante) -> LineaDatos:
    """A stored line as it was given (price with IGV or value without), so the XML is rebuilt identically."""
    return LineaDatos(d.codigo_producto, d.descripcion, Decimal(d.cantidad),
                      valor_unitario=None if d.precio_incluye_igv else Decimal(d.valor_unitario),
                      precio_unitario=Decimal(d.precio_unitario) if d.precio_incluye_igv else None,
                      unidad_medida=d.unidad_medida, afectacion_igv=d.afectacion_igv, descuento=Decimal(d.descuento),
                      icbper_cantidad=d.icbper_cantidad)


def _documento(session: Session, tipo: str, serie: str, numero: int | None, fecha: date, hora: time,
               cliente: ClienteDatos, lineas: list[doc.Linea], moneda: str,
               tipo_cambio: Decimal | None, globales: list[dict],
               operacion: str = OPERACION_VENTA_INTERNA) -> doc.Comprobante:
    tasas = calculo.tasas(session)
    return doc.Comprobante(
        tipo_documento=tipo, serie=serie, numero=numero, fecha_emision=fecha, hora_emision=hora,
        emisor=emisor(session),
        adquirente=doc.Adquirente(cliente.tipo_documento, cliente.numero_documento, cliente.razon_social,
                                  cliente.direccion, pais=cliente.pais if cliente.pais != "PE" else ""),
        lineas=lineas, moneda=moneda, tipo_cambio=tipo_cambio, tipo_operacion=operacion, tasa_igv=tasas.igv,
        tarifa_icbper=tasas.icbper, descuentos_cargos=calculo.globales_sunat(globales),
    )


def documento_sunat(session: Session, comprobante: Comprobante) -> doc.Comprobante:
    """The SUNAT document of a stored comprobante: a pure function of the stored rows, so the XML is
    the same whenever it is rebuilt."""
    lineas = session.execute(select(DetalleComprobante).where(
        DetalleComprobante.comprobante_id == comprobante.id).order_by(DetalleComprobante.orden)).scalars().all()
    cliente = ClienteDatos(comprobante.cliente_tipo_doc, comprobante.cliente_numero_doc,
                           comprobante.cliente_razon_social, comprobante.cliente_direccion,
                           pais=comprobante.cliente_pais)
    documento = _documento(session, comprobante.tipo, comprobante.serie, comprobante.numero,
                           comprobante.fecha_emision, comprobante.hora_emision, cliente,
                           [_linea_sunat(_linea_guardada(linea)) for linea in lineas], comprobante.moneda,
                           comprobante.tipo_cambio, comprobante.descuentos_cargos, comprobante.tipo_operacion)
    documento.detraccion = pago.detraccion_guardada(comprobante)
    documento.forma_pago = pago.forma_pago_guardada(session, comprobante)
    if comprobante.comprobante_origen_id is not None:
        origen = session.get(Comprobante, comprobante.comprobante_origen_id)
        documento.documento_referencia = doc.DocumentoReferencia(origen.tipo, origen.serie, origen.numero)
        documento.motivo_codigo = comprobante.motivo_codigo or ""
        documento.motivo_descripcion = comprobante.motivo_descripcion or ""
    return documento


# --- writing ----------------------------------------------------------------------------------------


def _totales_en(comprobante: Comprobante, t: Totales) -> None:
    """In cents, as the NUMERIC(12,2) columns store them (an empty sum is 0): the POST answer equals the GET."""
    totales = {"total_gravada": t.gravado, "total_exonerada": t.exonerado, "total_inafecta": t.inafecto,
               "total_exportacion": t.exportacion, "total_gratuita": t.gratuito, "total_igv": t.igv + t.ivap,
               "total_isc": t.isc, "total_icbper": t.icbper, "total_descuentos": t.descuentos,
               "total_venta": t.importe_total, "total_cargos": t.cargos}
    for columna, valor in totales.items():
        setattr(comprobante, columna, redondear(valor))


def _detalle(comprobante_id: int, i: int, linea: LineaDatos,
             t: Totales) -> dict:
    """A `detalle_comprobante` row: the line as given plus what the calculator derived."""
    tl = t.lineas[i]
    con_igv = linea.precio_unitario is not None
    return {
        "comprobante_id": comprobante_id, "orden": i + 1, "codigo_producto": linea.codigo_producto,
        "descripcion": linea.descripcion, "cantidad": linea.cantidad, "unidad_medida": linea.unidad_medida,
        "valor_unitario": linea.valor_unitario if not con_igv else (tl.valor_referencial or tl.valor_unitario),
        "precio_unitario": linea.precio_unitario if con_igv else tl.precio_unitario,
        "precio_incluye_igv": con_igv, "descuento": linea.descuento, "subtotal": tl.valor_venta,
        "igv": tl.igv if not tl.es_gratuita else Decimal("0.00"), "icbper_cantidad": linea.icbper_cantidad or 0,
        "icbper": tl.icbper, "total": calculo.linea_total(tl), "afectacion_igv": linea.afectacion_igv,
        "detalle_origen_id": linea.detalle_origen_id,
    }


def _calcular(borrador: doc.Comprobante) -> Totales:
    try:
        return calcular(borrador)
    except ValueError as exc:
        raise ValidationError(str(exc), field="lineas") from exc


def _registrar(session: Session, tipo: str, serie: str, cliente: ClienteDatos, lineas: list[LineaDatos],
               moneda: str, tipo_cambio: Decimal | None, modo: ModoEmision, venta_id: int | None = None,
               total_esperado: Decimal | None = None, origen: Comprobante | None = None,
               motivo: tuple[str, str] | None = None, globales: list[dict] | None = None,
               condiciones: Condiciones | None = None) -> Comprobante:
    """Validate, number, write and request the workflow, in the caller's transaction."""
    condiciones = condiciones or Condiciones()
    datos = DatosEmision(cliente, lineas, tipo, moneda, tipo_cambio, venta_id, total_esperado, globales or [],
                         condiciones)
    operacion = origen.tipo_operacion if origen else pago.operacion(tipo, cliente.tipo_documento, cliente.pais,
                                                                     condiciones)
    afectacion = "40" if es_exportacion(operacion) else "10"
    lineas = datos.lineas = [replace(linea, afectacion_igv=linea.afectacion_igv or afectacion) for linea in lineas]
    _validar(tipo, datos, operacion)
    _completar_bolsas(session, lineas)
    momento = ahora_lima()
    fecha, hora = momento.date(), momento.time().replace(microsecond=0)
    borrador = _documento(session, tipo, serie, None, fecha, hora, cliente,
                          [_linea_sunat(linea) for linea in lineas], moneda, tipo_cambio, datos.descuentos_cargos,
                          operacion)
    totales = _calcular(borrador)
    detraccion = pago.detraccion(session, tipo, borrador, totales, [linea.codigo_detraccion for linea in lineas],
                                 condiciones)
    if detraccion is not None:
        borrador.detraccion, borrador.tipo_operacion = detraccion, pago.OPERACION_DETRACCION
        totales = _calcular(borrador)
    _validar_totales(tipo, datos, totales)
    plan = pago.plan_cuotas(tipo, fecha, totales, condiciones)
    pago.traducible(session, borrador.tipo_operacion, bool(plan))
    numero = siguiente_numero(session, tipo, serie)
    comprobante = Comprobante(
        tipo=tipo, serie=serie, numero=numero, fecha_emision=fecha, hora_emision=hora,
        cliente_tipo_doc=cliente.tipo_documento, cliente_numero_doc=cliente.numero_documento,
        cliente_razon_social=cliente.razon_social, cliente_direccion=cliente.direccion,
        cliente_email=cliente.email, cliente_pais=cliente.pais, moneda=moneda, tipo_cambio=tipo_cambio,
        modo_emision=modo, venta_id=venta_id, comprobante_origen_id=origen.id if origen else None,
        motivo_codigo=motivo[0] if motivo else None, motivo_descripcion=motivo[1] if motivo else None,
    )
    pago.anotar(comprobante, borrador.tipo_operacion, plan, detraccion, totales)
    _totales_en(comprobante, totales)
    comprobante.descuentos_cargos = datos.descuentos_cargos
    session.add(comprobante)
    session.flush()
    detalle = insert_rows(session, DetalleComprobante, [_detalle(comprobante.id, i, linea, totales)
                                                        for i, linea in enumerate(lineas)], returning=True)
    pago.guardar_cuotas(session, comprobante.id, plan)
    finanzas.contabilizar_comprobante(session, comprobante, borrador.tasa_igv, detalle)  # module 6: its entry
    _pedir_emision(session, comprobante)
    return comprobante


def _completar_bolsas(session: Session, lineas: list[LineaDatos]) -> None:
    """Lines that do not say how many plastic bags they carry: the quantity when their SKU is a product marked
    as a plastic bag (ICBPER), else none."""
    sin_dato = {linea.codigo_producto for linea in lineas if linea.icbper_cantidad is None}
    bolsas = set(session.execute(select(Producto.sku).where(Producto.sku.in_(sin_dato),
                                                            Producto.bolsa_plastica)).scalars()) if sin_dato else set()
    for i, linea in enumerate(lineas):
        if linea.icbper_cantidad is None:
            es_bolsa = linea.codigo_producto in bolsas
            if es_bolsa and linea.cantidad != linea.cantidad.to_integral_value():
                raise ValidationError("Las bolsas plásticas (ICBPER) se venden por unidad entera",
                                      field=f"lineas.{i}.cantidad")
            linea.icbper_cantidad = int(linea.cantidad) if es_bolsa else 0


def _pedir_emision(session: Session, comprobante: Comprobante) -> None:
    outbox.request_workflow(
        session, WORKFLOW_EMISION, workflow_id=comprobante.workflow_id,
        payload=Emision(comprobante.id),
        search_attributes={"Documento": comprobante.documento, "Serie": comprobante.serie,
                           "Numero": comprobante.numero, "Ruc": comprobante.cliente_numero_doc,
                           "Estado": comprobante.estado_sunat},
    )


def _tipo_de(datos: DatosEmision) -> str:
    if datos.tipo is None:
        exportacion = es_exportacion(pago.operacion(cat.FACTURA, datos.cliente.tipo_documento, datos.cliente.pais,
                                                    datos.condiciones))
        return cat.FACTURA if datos.cliente.tipo_documento == cat.DOC_RUC or exportacion else cat.BOLETA
    if datos.tipo not in (cat.FACTURA, cat.BOLETA):
        raise ValidationError("Tipo de comprobante debe ser 01 (factura) o 03 (boleta)", field="tipo")
    return datos.tipo


def _serie_y_modo(session: Session, tipo: str) -> tuple[str, ModoEmision]:
    config = configuracion_srv.obtener(session)
    if tipo == cat.FACTURA:
        return config.serie_factura, ModoEmision.INDIVIDUAL
    return config.serie_boleta, ModoEmision.RESUMEN


def registrar_emision(session: Session, datos: DatosEmision) -> Comprobante:
    """Number and write a factura or boleta; does not commit."""
    tipo = _tipo_de(datos)
    serie, modo = _serie_y_modo(session, tipo)
    return _registrar(session, tipo, serie, datos.cliente, datos.lineas, datos.moneda, datos.tipo_cambio, modo,
                      venta_id=datos.venta_id, total_esperado=datos.total_esperado,
                      globales=datos.descuentos_cargos, condiciones=datos.condiciones)


def _datos_de_catalogo(session: Session, datos: DatosEmision) -> None:
    """A direct emission names products by SKU and customers by document: their catalog-54 code and días de
    crédito come from the catalog when the request does not give them."""
    skus = {linea.codigo_producto for linea in datos.lineas if linea.codigo_detraccion is None}
    codigos = dict(session.execute(select(Producto.sku, Producto.codigo_detraccion).where(
        Producto.sku.in_(skus), Producto.codigo_detraccion.is_not(None))).all()) if skus else {}
    for linea in datos.lineas:
        linea.codigo_detraccion = linea.codigo_detraccion or codigos.get(linea.codigo_producto)
    if datos.condiciones.forma_pago == "Credito" and not datos.condiciones.dias_credito:
        dias = session.execute(select(Cliente.dias_credito).where(
            Cliente.tipo_doc == datos.cliente.tipo_documento,
            Cliente.numero_doc == datos.cliente.numero_documento)).scalar_one_or_none()
        datos.condiciones.dias_credito = dias or 0


def emitir(session: Session, datos: DatosEmision) -> Comprobante:
    """POST /api/facturacion/emitir/: a comprobante not tied to a sale. One transaction."""
    _datos_de_catalogo(session, datos)
    comprobante = registrar_emision(session, datos)
    session.commit()
    return comprobante


# --- from a sale --------------------------------------------------------------------------------------


def _cliente_de_venta(cliente: Cliente | None) -> ClienteDatos:
    if cliente is None:
        return ClienteDatos(*CLIENTE_VARIOS)
    return ClienteDatos(cliente.tipo_doc, cliente.numero_doc, cliente.razon_social, cliente.direccion,
                        cliente.email, cliente.pais)


def _linea_de_venta(detalle: Row, producto: Producto) -> LineaDatos:
    """A `detalle_venta` row as a comprobante line: the same price, discount and bags the sale was priced
    with, so the calculator gives the comprobante exactly the sale's amounts."""
    con_igv = detalle.precio_incluye_igv
    return LineaDatos(codigo_producto=producto.sku, descripcion=producto.nombre, cantidad=detalle.cantidad,
                      valor_unitario=None if con_igv else detalle.precio_unitario,
                      precio_unitario=detalle.precio_unitario if con_igv else None, descuento=detalle.descuento,
                      icbper_cantidad=calculo.bolsas(producto, detalle.cantidad, ""),
                      unidad_medida=producto.unidad_medida, afectacion_igv=detalle.afectacion_igv,
                      codigo_detraccion=producto.codigo_detraccion)


def solicitar_comprobante_de_venta(session: Session, venta: Venta, cliente: Cliente | None,
                                   lineas: list[tuple[Row, Producto]], credito: Decimal = Decimal("0"),
                                   cuotas: list[cuotas_srv.CuotaIn] | None = None) -> Comprobante:
    """Called by the sales service INSIDE the sale's transaction, with the sale's rows in memory: validates
    the data, numbers and writes the comprobante (estado PENDIENTE) and asks for the EmitirComprobante
    workflow once the sale commits. Returns the comprobante. Does not commit; any error leaves nothing
    written (the caller rolls back)."""
    condiciones = Condiciones(forma_pago="Credito" if credito else "Contado", cuotas=cuotas,
                              dias_credito=cliente.dias_credito if cliente else 0, pendiente=credito or None)
    datos = DatosEmision(cliente=_cliente_de_venta(cliente), lineas=[_linea_de_venta(*fila) for fila in lineas],
                         tipo=venta.tipo_comprobante or None, venta_id=venta.id, total_esperado=venta.total,
                         descuentos_cargos=venta.descuentos_cargos, condiciones=condiciones)
    return registrar_emision(session, datos)


# --- reading ------------------------------------------------------------------------------------------


@dataclass
class Filtros:
    estado: str | None = None
    tipo: str | None = None
    fecha_desde: date | None = None
    fecha_hasta: date | None = None
    cliente: str | None = None  # document number or part of the name


def listar(session: Session, f: Filtros, pagina: Paginacion) -> tuple[list[Comprobante], int]:
    q = select(Comprobante)
    if f.estado:
        q = q.where(Comprobante.estado_sunat == f.estado.upper())
    if f.tipo:
        q = q.where(Comprobante.tipo == f.tipo)
    if f.fecha_desde:
        q = q.where(Comprobante.fecha_emision >= f.fecha_desde)
    if f.fecha_hasta:
        q = q.where(Comprobante.fecha_emision <= f.fecha_hasta)
    if f.cliente:
        q = q.where(contiene(Comprobante.cliente_numero_doc, f.cliente) | contiene(Comprobante.cliente_razon_social,
                                                                                f.cliente))
    q = q.order_by(Comprobante.fecha_emision.desc(), Comprobante.id.desc())
    return paginar(session, q, pagina.limit, pagina.offset)


def obtener(session: Session, comprobante_id: int) -> Comprobante:
    comprobante = get_or_404(session, Comprobante, comprobante_id, "Comprobante no encontrado")
    return comprobante


def detalle(session: Session, comprobante_id: int) -> list[DetalleComprobante]:
    return list(session.execute(select(DetalleComprobante).where(
        DetalleComprobante.comprobante_id == comprobante_id).order_by(DetalleComprobante.orden)).scalars())


def envios(session: Session, comprobante_id: int) -> list[EnvioSunat]:
    return list(session.execute(select(EnvioSunat).where(EnvioSunat.comprobante_id == comprobante_id)
                                .order_by(EnvioSunat.intento)).scalars())


def cola_contingencia(session: Session, pagina: Paginacion) -> tuple[list[Comprobante], int]:
    """Documents SUNAT has not received yet because it was unreachable, in the order they will go out."""
    q = select(Comprobante).where(Comprobante.estado_sunat == EstadoComprobante.CONTINGENCIA).order_by(
        Comprobante.tipo, Comprobante.serie, Comprobante.numero)
    return paginar(session, q, pagina.limit, pagina.offset)


def con_error(session: Session) -> tuple[list[Comprobante], list[ComunicacionBaja]]:
    """What waits for a person: comprobantes in ERROR (the reason in `mensaje_respuesta`) and voidings
    whose comunicación de baja could not be built, oldest first."""
    comprobantes = session.execute(select(Comprobante).where(
        Comprobante.estado_sunat == EstadoComprobante.ERROR).order_by(Comprobante.id)).scalars().all()
    bajas = session.execute(select(ComunicacionBaja).join(
        Comprobante, Comprobante.id == ComunicacionBaja.comprobante_id).where(
        ComunicacionBaja.estado_envio == EstadoResumen.ERROR,
        Comprobante.estado_sunat == EstadoComprobante.POR_ANULAR).order_by(ComunicacionBaja.id)).scalars().all()
    return list(comprobantes), list(bajas)


# --- correcting and resending ---------------------------------------------------------------------------


REENVIABLES = frozenset({EstadoComprobante.PENDIENTE, EstadoComprobante.CONTINGENCIA, EstadoComprobante.ERROR})


def _despertar(session: Session, workflow_id: str, solicitud: str) -> None:
    outbox.request_signal(session, workflow_id, "reintentar", Reintento(solicitud=solicitud), dedupe_key=solicitud)


def reenviar(session: Session, comprobante_id: int, solicitud: str) -> Comprobante:
    """Wake the comprobante's workflow so it tries again now (SUNAT, or building its XML after the cause of
    an ERROR was fixed). A RECHAZADO number is void at SUNAT (it can never be accepted again): the answer
    is a new document, hence 409."""
    comprobante = obtener(session, comprobante_id)
    if comprobante.estado_sunat == EstadoComprobante.RECHAZADO:
        raise Conflict("SUNAT rechazó este comprobante: su número quedó inutilizado. Corrija los datos y emita "
                       "un nuevo comprobante (o una nota de crédito si corresponde).")
    resumen = comprobante.modo_emision == ModoEmision.RESUMEN and comprobante.estado_sunat != EstadoComprobante.ERROR
    if comprobante.estado_sunat not in REENVIABLES or resumen:
        raise Conflict(f"No hay nada que reenviar: el comprobante está {comprobante.estado_sunat}"
                       + (" y se informa en el resumen diario" if resumen else ""))
    _despertar(session, comprobante.workflow_id, solicitud)
    session.commit()
    return comprobante


@dataclass
class Correccion:
    """What may be corrected in a numbered document whose XML could not be built (None: unchanged)."""

    cliente_razon_social: str | None = None
    cliente_direccion: str | None = None
    cliente_email: str | None = None
    motivo_descripcion: str | None = None
    lineas: dict[int, str] = field(default_factory=dict)  # orden → descripción


def _corregible(session: Session, comprobante_id: int) -> Comprobante:
    comprobante = session.execute(select(Comprobante).where(Comprobante.id == comprobante_id)
                                  .with_for_update()).scalars().first()
    if comprobante is None:
        raise NotFound("Comprobante no encontrado")
    if comprobante.estado_sunat != EstadoComprobante.ERROR or comprobante.xml_path is not None:
        raise Conflict("Solo se corrigen comprobantes en ERROR cuyo XML aún no se generó (estado actual: "
                       f"{comprobante.estado_sunat}); un comprobante ya firmado se corrige con una nota")
    return comprobante


def _corregir_lineas(session: Session, comprobante_id: int, lineas: dict[int, str]) -> None:
    detalle = {d.orden: d for d in session.execute(select(DetalleComprobante).where(
        DetalleComprobante.comprobante_id == comprobante_id)).scalars()}
    for orden, descripcion in lineas.items():
        if orden not in detalle:
            raise ValidationError(f"El comprobante no tiene la línea {orden}", field=f"lineas.{orden}")
        if not descripcion.strip():
            raise ValidationError("Descripción requerida", field=f"lineas.{orden}.descripcion")
        detalle[orden].descripcion = descripcion
        session.add(detalle[orden])


def corregir(session: Session, comprobante_id: int, correccion: Correccion, solicitud: str) -> Comprobante:
    """Correct the data that kept a numbered comprobante from getting its XML and resend it with the same
    number (so numbering stays gapless). One transaction; the change is in the audit trail."""
    comprobante = _corregible(session, comprobante_id)
    exigir_texto(**{k: v for k, v in asdict(correccion).items() if v is not None})
    cambios = {k: v for k, v in asdict(correccion).items() if v is not None and k != "lineas"}
    if "cliente_razon_social" in cambios and not cambios["cliente_razon_social"].strip():
        raise ValidationError("Razón social o nombre requerido", field="cliente_razon_social")
    if "motivo_descripcion" in cambios and comprobante.comprobante_origen_id is None:
        raise ValidationError("Solo las notas tienen motivo", field="motivo_descripcion")
    for campo, valor in cambios.items():
        setattr(comprobante, campo, valor)
    _corregir_lineas(session, comprobante.id, correccion.lineas)
    comprobante.estado_sunat, comprobante.mensaje_respuesta = EstadoComprobante.PENDIENTE, None
    session.add(comprobante)
    _despertar(session, comprobante.workflow_id, solicitud)
    session.commit()
    return comprobante


def corregir_baja(session: Session, baja_id: int, motivo: str, solicitud: str) -> ComunicacionBaja:
    """Correct the reason of a comunicación de baja that could not be built and send it again (same RA
    identifier, the document stays POR_ANULAR meanwhile). One transaction."""
    baja = session.execute(select(ComunicacionBaja).where(ComunicacionBaja.id == baja_id)
                           .with_for_update()).scalars().first()
    if baja is None:
        raise NotFound("Comunicación de baja no encontrada")
    comprobante = obtener(session, baja.comprobante_id)
    if baja.estado_envio != EstadoResumen.ERROR or comprobante.estado_sunat != EstadoComprobante.POR_ANULAR:
        raise Conflict(f"Solo se corrige una baja en ERROR que no llegó a SUNAT (estado: {baja.estado_envio})")
    if not motivo.strip():
        raise ValidationError("Motivo de la anulación requerido", field="motivo")
    exigir_texto(motivo=motivo)
    baja.motivo, baja.estado_envio, baja.mensaje_respuesta = motivo.strip()[:100], EstadoResumen.PENDIENTE, None
    session.add(baja)
    _despertar(session, workflow_resumen("RA", baja.identificador), solicitud)
    session.commit()
    return baja


def pendientes_sin_decision(session: Session, antiguedad: timedelta) -> list[Comprobante]:
    """Belt and braces for the 15-minute sweep: individually sent documents still undecided."""
    limite = datetime.now(ZoneInfo("UTC")) - antiguedad
    q = select(Comprobante).where(
        Comprobante.modo_emision == ModoEmision.INDIVIDUAL,
        Comprobante.estado_sunat.in_([EstadoComprobante.PENDIENTE, EstadoComprobante.CONTINGENCIA]),
        Comprobante.created_at < limite).order_by(Comprobante.id).limit(500)
    return list(session.execute(q).scalars())


def es_final(estado: str) -> bool:
    return estado in FINALES


# --- voiding and daily summaries ----------------------------------------------------------------------

WORKFLOW_RESUMEN = "EnviarResumen"
MAX_LINEAS_RESUMEN = 500  # SUNAT's limit of lines per resumen diario


def _correlativo(session: Session, tipo: str, fecha: date) -> tuple[int, str]:
    correlativo = siguiente_numero(session, tipo, f"{fecha:%Y%m%d}")
    return correlativo, f"{tipo}-{fecha:%Y%m%d}-{correlativo}"


def workflow_resumen(tipo: str, identificador: str) -> str:
    return f"{'resumen' if tipo == 'RC' else 'baja'}-{identificador}"


def pedir_envio_resumen(session: Session, tipo: str, registro_id: int, identificador: str) -> str:
    workflow_id = workflow_resumen(tipo, identificador)
    outbox.request_workflow(session, WORKFLOW_RESUMEN, workflow_id=workflow_id,
                            payload=Resumen(tipo, registro_id),
                            search_attributes={"Documento": identificador, "Estado": "PENDIENTE"})
    return workflow_id


def crear_resumen(session: Session, fecha: date, items: list[tuple[Comprobante, str]]) -> ResumenDiario:
    """An RC for boletas of `fecha` (condición 1 adicionar / 3 anular); the items move to ENVIADO or
    POR_ANULAR. Does not commit."""
    hoy = ahora_lima().date()
    correlativo, identificador = _correlativo(session, "RC", hoy)
    resumen = ResumenDiario(fecha=fecha, fecha_generacion=hoy, correlativo=correlativo, identificador=identificador,
                            cantidad_documentos=len(items))
    session.add(resumen)
    session.flush()
    for comprobante, condicion in items:
        session.add(ResumenDiarioItem(resumen_id=resumen.id, comprobante_id=comprobante.id, condicion=condicion))
        comprobante.estado_sunat = EstadoComprobante.ENVIADO if condicion == "1" else EstadoComprobante.POR_ANULAR
        session.add(comprobante)
    return resumen


def _boletas_por_informar(session: Session, hasta: date) -> list[Comprobante]:
    q = select(Comprobante).where(
        Comprobante.modo_emision == ModoEmision.RESUMEN, Comprobante.estado_sunat == EstadoComprobante.PENDIENTE,
        Comprobante.xml_path.is_not(None), Comprobante.fecha_emision <= hasta,
    ).order_by(Comprobante.fecha_emision, Comprobante.tipo, Comprobante.serie, Comprobante.numero).with_for_update()
    return list(session.execute(q).scalars())


def crear_resumenes_pendientes(session: Session, hasta: date) -> list[tuple[int, str]]:
    """One RC per issue date (SUNAT: one ReferenceDate per summary) and per 500 lines, for every boleta
    (and boleta note) not yet informed. Returns (id, identificador) of each. One transaction."""
    por_fecha: dict[date, list[Comprobante]] = {}
    for comprobante in _boletas_por_informar(session, hasta):
        por_fecha.setdefault(comprobante.fecha_emision, []).append(comprobante)
    creados = []
    for fecha, boletas in por_fecha.items():
        for i in range(0, len(boletas), MAX_LINEAS_RESUMEN):
            lote = boletas[i:i + MAX_LINEAS_RESUMEN]
            resumen = crear_resumen(session, fecha, [(b, "1") for b in lote])
            creados.append((resumen.id, resumen.identificador))
    session.commit()
    return creados


def solicitar_resumen_diario(session: Session, fecha: date | None) -> list[dict]:
    """POST /api/facturacion/resumen-diario/: summarize now and send through the workflow."""
    creados = crear_resumenes_pendientes(session, fecha or ahora_lima().date())
    salida = [{"id": rid, "identificador": ident, "workflow_id": pedir_envio_resumen(session, "RC", rid, ident)}
              for rid, ident in creados]
    session.commit()
    return salida


def _validar_anulacion(comprobante: Comprobante, motivo: str) -> None:
    if comprobante.estado_sunat not in (EstadoComprobante.ACEPTADO, EstadoComprobante.OBSERVADO):
        raise Conflict(f"Solo se anulan comprobantes aceptados por SUNAT (estado actual: {comprobante.estado_sunat})")
    if (ahora_lima().date() - comprobante.fecha_emision).days > DIAS_PARA_BAJA:
        raise Conflict(f"Plazo vencido: la baja se comunica hasta {DIAS_PARA_BAJA} días después de la emisión; "
                       "emita una nota de crédito")
    if not motivo.strip():
        raise ValidationError("Motivo de la anulación requerido", field="motivo")
    exigir_texto(motivo=motivo)


def anular(session: Session, comprobante_id: int, motivo: str) -> dict:
    """Facturas (and their notes): comunicación de baja (RA). Boletas: resumen diario with condición 3."""
    comprobante = session.execute(select(Comprobante).where(Comprobante.id == comprobante_id)
                                  .with_for_update()).scalars().first()
    if comprobante is None:
        raise NotFound("Comprobante no encontrado")
    _validar_anulacion(comprobante, motivo)
    if comprobante.modo_emision == ModoEmision.RESUMEN:
        resumen = crear_resumen(session, comprobante.fecha_emision, [(comprobante, "3")])
        tipo, registro_id, identificador = "RC", resumen.id, resumen.identificador
    else:
        hoy = ahora_lima().date()
        correlativo, identificador = _correlativo(session, "RA", hoy)
        baja = ComunicacionBaja(comprobante_id=comprobante.id, motivo=motivo.strip()[:100],
                                fecha_referencia=comprobante.fecha_emision, fecha_generacion=hoy,
                                correlativo=correlativo, identificador=identificador)
        session.add(baja)
        session.flush()
        comprobante.estado_sunat = EstadoComprobante.POR_ANULAR
        session.add(comprobante)
        tipo, registro_id = "RA", baja.id
    workflow_id = pedir_envio_resumen(session, tipo, registro_id, identificador)
    session.commit()
    return {"comprobante_id": comprobante.id, "tipo": tipo, "identificador": identificador,
            "workflow_id": workflow_id}
