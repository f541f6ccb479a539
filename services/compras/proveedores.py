"""Suppliers: RUC checked with python-stdnum, unique RUC (409), payment terms, search by RUC or name."""

from decimal import Decimal
from typing import Literal

from pydantic import EmailStr, Field, model_validator
from sqlalchemy import or_, select, text
from sqlmodel import Session
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.pe import ruc as stdnum_ruc

from core.db import contiene, get_or_404, paginar
from core.errors import Conflict, ValidationError
from core.schemas import Entrada, Paginacion
from models.compras import Proveedor
from models.inventario import Producto


class ProveedorCambio(Entrada):
    razon_social: str = Field(min_length=1, max_length=200)
    direccion: str = Field(default="", max_length=300)
    contacto: str = Field(default="", max_length=150)
    telefono: str = Field(default="", max_length=30)
    email: EmailStr | Literal[""] = ""
    condicion_pago: Literal["CONTADO", "CREDITO"] = "CONTADO"
    dias_credito: int = Field(default=0, ge=0, le=365, description="plazo del crédito (solo CREDITO)")
    limite_credito: Decimal = Field(default=Decimal("0"), ge=0, max_digits=14, decimal_places=2)
    activo: bool = True

    @model_validator(mode="after")
    def _plazo(self) -> "ProveedorCambio":
        if self.condicion_pago == "CONTADO" and self.dias_credito:
            raise ValueError("dias_credito solo aplica a condicion_pago CREDITO")
        if self.condicion_pago == "CREDITO" and not self.dias_credito:
            raise ValueError("condicion_pago CREDITO requiere dias_credito")
        return self


class ProveedorIn(ProveedorCambio):
    ruc: str = Field(min_length=11, max_length=11, examples=["20100066603"])


def validar_ruc(ruc: str, campo: str = "ruc") -> str:
    try:
        return stdnum_ruc.validate(ruc)
    except StdnumError as exc:
        raise ValidationError(f"RUC inválido ({exc})", field=campo) from exc


def crear(session: Session, datos: ProveedorIn) -> Proveedor:
    ruc = validar_ruc(datos.ruc)
    if not ruc.startswith(("10", "15", "17", "20")):
        raise ValidationError("El RUC de un proveedor empieza por 10, 15, 17 o 20", field="ruc")
    if session.execute(select(Proveedor.id).where(Proveedor.ruc == ruc)).first():
        raise Conflict(f"Ya existe un proveedor con RUC {ruc}", field="ruc")
    proveedor = Proveedor(**datos.model_dump(exclude={"ruc"}), ruc=ruc)
    session.add(proveedor)
    session.commit()
    return proveedor


def actualizar(session: Session, proveedor_id: int, datos: ProveedorCambio) -> Proveedor:
    proveedor = obtener(session, proveedor_id)
    for campo, valor in datos.model_dump().items():
        setattr(proveedor, campo, valor)
    session.add(proveedor)
    session.commit()
    return proveedor


def obtener(session: Session, proveedor_id: int) -> Proveedor:
    return get_or_404(session, Proveedor, proveedor_id, "Proveedor no encontrado")


def listar(session: Session, pagina: Paginacion, q: str | None = None,
           activo: bool | None = None) -> tuple[list[Proveedor], int]:
    stmt = select(Proveedor).order_by(Proveedor.razon_social, Proveedor.id)
    if q:
        stmt = stmt.where(or_(Proveedor.ruc.startswith(q.strip(), autoescape=True),
                              contiene(Proveedor.razon_social, q.strip())))
    if activo is not None:
        stmt = stmt.where(Proveedor.activo == activo)
    return paginar(session, stmt, pagina.limit, pagina.offset)


_COMPARAR = text("""
    WITH compras AS (
        SELECT o.proveedor_id, o.id AS orden_id, o.fecha_creacion, d.precio_unitario * o.tipo_cambio AS precio,
               row_number() OVER (PARTITION BY o.proveedor_id ORDER BY o.fecha_creacion DESC, o.id DESC) AS n
        FROM detalle_orden_compra d JOIN ordenes_compra o ON o.id = d.orden_id
        WHERE d.producto_id = :producto AND o.estado NOT IN ('BORRADOR', 'PENDIENTE_APROBACION', 'RECHAZADA',
                                                              'ANULADA')
    ), entregas AS (
        SELECT o.proveedor_id, avg(extract(epoch FROM (r.fecha - o.fecha_creacion)) / 86400) AS dias,
               sum(dr.cantidad_recibida) AS recibido,
               sum(dr.cantidad_recibida) FILTER (WHERE dr.estado_item = 'CONFORME') AS conforme
        FROM detalle_recepcion dr JOIN recepciones r ON r.id = dr.recepcion_id
        JOIN ordenes_compra o ON o.id = r.orden_id
        WHERE dr.producto_id = :producto GROUP BY 1
    )
    SELECT p.id AS proveedor_id, p.ruc, p.razon_social, p.activo, p.ultima_evaluacion,
           round(max(c.precio) FILTER (WHERE c.n = 1), 6) AS ultimo_precio_pen,
           round(avg(c.precio), 6) AS precio_promedio_pen,
           count(DISTINCT c.orden_id) AS ordenes, round(e.dias::numeric, 1) AS plazo_entrega_dias,
           CASE WHEN e.recibido > 0 THEN round(coalesce(e.conforme, 0) * 100 / e.recibido, 3) END AS calidad_pct
    FROM compras c JOIN proveedores p ON p.id = c.proveedor_id LEFT JOIN entregas e ON e.proveedor_id = p.id
    GROUP BY p.id, e.dias, e.recibido, e.conforme
    ORDER BY precio_promedio_pen, p.id
""")


def comparar(session: Session, proveedor_id: int, producto_id: int) -> list[dict]:
    """Every supplier that sold the product: last and average price in PEN (each OC at its own rate), average
    lead time from order to reception, quality (% of the quantity received on CONFORME lines), last
    evaluation; `proveedor_id` (the one asked about) is flagged."""
    obtener(session, proveedor_id)
    get_or_404(session, Producto, producto_id, "Producto no encontrado")
    return [dict(f._mapping) | {"es_consultado": f.proveedor_id == proveedor_id}
            for f in session.execute(_COMPARAR, {"producto": producto_id})]
