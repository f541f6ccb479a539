"""Every table, imported so SQLModel.metadata (Alembic, tests) sees them all."""

from core.outbox import OutboxMessage
from models.configuracion import Configuracion, Sucursal
from models.usuarios import AuditLog, IntentoLogin, Permiso, Rol, Sesion, TokenRevocado, Usuario, UsuarioSucursal

__all__ = [
    "AuditLog", "Configuracion", "IntentoLogin", "OutboxMessage", "Permiso", "Rol", "Sesion", "Sucursal",
    "TokenRevocado", "Usuario", "UsuarioSucursal",
]
