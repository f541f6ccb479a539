"""The order's state machine, a pure rule shared by the service (which enforces it on the database) and the
`EntregaPedido` workflow (which knows which states end it)."""

PENDIENTE, PLANIFICADO, EN_RUTA = "PENDIENTE", "PLANIFICADO", "EN_RUTA"
ENTREGADO, NO_ENTREGADO, CANCELADO = "ENTREGADO", "NO_ENTREGADO", "CANCELADO"
TRANSICIONES: dict[str, frozenset[str]] = {
    PENDIENTE: frozenset({PLANIFICADO, CANCELADO}),
    PLANIFICADO: frozenset({EN_RUTA, PENDIENTE, CANCELADO}),
    EN_RUTA: frozenset({ENTREGADO, NO_ENTREGADO}),
    NO_ENTREGADO: frozenset({PENDIENTE, CANCELADO}),  # retried the next day, or returned to stock
    ENTREGADO: frozenset(),
    CANCELADO: frozenset(),
}
FINALES = frozenset(e for e, siguientes in TRANSICIONES.items() if not siguientes)
