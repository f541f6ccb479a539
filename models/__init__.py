"""Every table, imported so SQLModel.metadata (Alembic, tests) sees them all."""

from core.outbox import OutboxMessage
from models.conciliacion import Conciliacion, CuentaBancaria, ImportacionExtracto, MovimientoBancario
from models.configuracion import Configuracion, Sucursal
from models.distribucion import (
    AsignacionPedido,
    DetallePedido,
    EventoPedido,
    Pedido,
    Ruta,
    TrackingTransportista,
    Transportista,
)
from models.facturacion import (
    Comprobante,
    ComunicacionBaja,
    CuotaComprobante,
    DetalleComprobante,
    EnvioSunat,
    ResumenDiario,
    ResumenDiarioItem,
    Serie,
)
from models.finanzas import (
    AsientoContable,
    CentroCosto,
    CostoPromedio,
    CuentaContable,
    CuentaOperacion,
    CuentaPorCobrar,
    CuentaPorPagar,
    FirmaUsuario,
    LineaAsiento,
    PagoCobro,
    PeriodoTributario,
    TipoCambio,
)
from models.idempotencia import ClaveIdempotencia
from models.inventario import (
    Almacen,
    CategoriaProducto,
    DetalleTransferencia,
    IncidenciaTransferencia,
    LoteSerie,
    MovimientoStock,
    Producto,
    ProductoAlmacen,
    Transferencia,
    UbicacionAlmacen,
    UsuarioAlmacen,
)
from models.notas_venta import (
    ConfiguracionChile,
    SalesNote,
    SalesNoteAudit,
    SalesNoteItem,
    SalesNoteSequence,
)
from models.notificaciones import Notificacion
from models.usuarios import AuditLog, IntentoLogin, Permiso, Rol, Sesion, TokenRevocado, Usuario, UsuarioSucursal
from models.ventas import (
    ArqueoCaja,
    Caja,
    Cliente,
    Cotizacion,
    DetalleCotizacion,
    DetalleVenta,
    FormaPago,
    OrdenVenta,
    Venta,
    VentaOffline,
)
from models.whatsapp import (
    IntentoNotificacion,
    NotificacionCliente,
    WaCampana,
    WaContacto,
    WaCuenta,
    WaEstadoPendiente,
    WaEvento,
    WaLogWebhook,
    WaMensaje,
    WaMensajeEntrante,
    WaPlantilla,
)

__all__ = [
    "AuditLog", "ClaveIdempotencia", "Configuracion", "IntentoLogin", "OutboxMessage", "Permiso", "Rol", "Sesion",
    "Sucursal", "TokenRevocado", "Usuario", "UsuarioSucursal",
]
__all__ += [  # modules 1 (ventas) and 2 (inventario)
    "Almacen", "ArqueoCaja", "Caja", "CategoriaProducto", "Cliente", "Cotizacion", "DetalleCotizacion",
    "DetalleTransferencia", "DetalleVenta", "FormaPago", "IncidenciaTransferencia", "LoteSerie", "MovimientoStock",
    "Notificacion", "OrdenVenta", "Producto", "ProductoAlmacen", "Transferencia", "UbicacionAlmacen", "UsuarioAlmacen",
    "Venta", "VentaOffline",
]
__all__ += [  # module 3 (facturación)
    "Comprobante", "ComunicacionBaja", "CuotaComprobante", "DetalleComprobante", "EnvioSunat", "ResumenDiario",
    "ResumenDiarioItem", "Serie",
]
__all__ += [  # spec 003 (notas de venta, Chile)
    "ConfiguracionChile", "SalesNote", "SalesNoteAudit", "SalesNoteItem", "SalesNoteSequence",
]
__all__ += [  # module 6 (finanzas)
    "AsientoContable", "CentroCosto", "CostoPromedio", "CuentaContable", "CuentaOperacion", "CuentaPorCobrar",
    "CuentaPorPagar", "FirmaUsuario", "LineaAsiento", "PagoCobro", "PeriodoTributario", "TipoCambio",
]
__all__ += [  # module 7 (WhatsApp)
    "WaCampana", "WaContacto", "WaCuenta", "WaEstadoPendiente", "WaLogWebhook", "WaMensaje", "WaMensajeEntrante",
    "WaPlantilla",
]
__all__ += ["IntentoNotificacion", "NotificacionCliente", "WaEvento"]  # module 7: customer notifications
from models.compras import (  # noqa: E402 - module 5 (compras)
    ConfiguracionCompras,
    CostoVinculado,
    DetalleCostoVinculado,
    DetalleFacturaProveedor,
    DetalleOrdenCompra,
    DetalleRecepcion,
    EvaluacionProveedor,
    FacturaProveedor,
    IncidenciaCompra,
    NivelAprobacionCompra,
    OrdenCompra,
    Proveedor,
    Recepcion,
)

__all__ += [  # module 5 (compras)
    "ConfiguracionCompras", "DetalleFacturaProveedor", "DetalleOrdenCompra", "DetalleRecepcion",
    "EvaluacionProveedor", "FacturaProveedor", "IncidenciaCompra", "OrdenCompra", "Proveedor", "Recepcion",
    "CostoVinculado", "DetalleCostoVinculado", "NivelAprobacionCompra",
]
__all__ += [  # module 4 (distribución)
    "AsignacionPedido", "DetallePedido", "EventoPedido", "Pedido", "Ruta", "TrackingTransportista", "Transportista",
]
__all__ += [  # module 6 (conciliación bancaria, issue 14)
    "Conciliacion", "CuentaBancaria", "ImportacionExtracto", "MovimientoBancario",
]
from models.reportes import EnvioReporte, ExportacionLog, ProgramacionReporte  # noqa: E402 - module 8 (reportes)

__all__ += [  # module 8 (exports and scheduled reports)
    "EnvioReporte", "ExportacionLog", "ProgramacionReporte",
]
from models.dashboard import ConfiguracionDashboard, SnapshotKpi  # noqa: E402 - module 8 (dashboard)

__all__ += ["ConfiguracionDashboard", "SnapshotKpi"]  # module 8 (dashboard)
from models.conciliacion import CuentaBancariaTercero  # noqa: E402 - module 6 (parties' bank accounts, issue 14)

__all__ += ["CuentaBancariaTercero"]
