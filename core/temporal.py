"""Temporal client, the search attributes operators use in the UI, and their registration."""

import contextlib
import contextvars
import functools
import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from datetime import timedelta
from typing import ParamSpec, TypeVar

from temporalio import activity
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
from temporalio.client import Client
from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes
from temporalio.exceptions import ApplicationError

from core.errors import DomainError
from core.settings import get_settings

log = logging.getLogger(__name__)

# What an operator types in the Temporal UI to find a business document's workflow, e.g.
#   Documento = "F001-123"   or   Ruc = "20100066603" and Estado = "CONTINGENCIA"
DOCUMENTO = SearchAttributeKey.for_keyword("Documento")  # business key: F001-123, NV 001-2026, venta 45
SERIE = SearchAttributeKey.for_keyword("Serie")
NUMERO = SearchAttributeKey.for_int("Numero")
RUC = SearchAttributeKey.for_keyword("Ruc")  # the customer's document number
ESTADO = SearchAttributeKey.for_keyword("Estado")
TRANSPORTISTA = SearchAttributeKey.for_keyword("Transportista")  # module 4: the carrier's plate (ABC-123)

SEARCH_ATTRIBUTES: dict[str, SearchAttributeKey] = {k.name: k for k in (DOCUMENTO, SERIE, NUMERO, RUC, ESTADO)}
SEARCH_ATTRIBUTES |= {k.name: k for k in (TRANSPORTISTA,)}

# Activities that call out (SUNAT, SMTP, PDF rendering) heartbeat: if the worker running one dies, the server
# hands the attempt to another worker after this long instead of after the whole start-to-close timeout.
HEARTBEAT_TIMEOUT = timedelta(seconds=10)
# The ApplicationError type an activity raises for a core.errors.DomainError, carrying (status, body): final (not
# retried), and turned back into the same HTTP answer by the API that waits for the workflow.
DOMAIN_ERROR = "DomainError"
P = ParamSpec("P")
R = TypeVar("R")


@contextlib.contextmanager
def domain_errors_are_final() -> Iterator[None]:
    """Inside an activity: a business refusal (core.errors.DomainError) is not retried, and keeps its HTTP status
    and body for the API that waits for the workflow (type DOMAIN_ERROR)."""
    try:
        yield
    except DomainError as exc:
        raise ApplicationError(exc.message, exc.status, exc.body(), type=DOMAIN_ERROR, non_retryable=True) from exc


def heartbeating(fn: Callable[P, R]) -> Callable[P, R]:
    """Wrap a sync activity so it heartbeats from a side thread (three times per heartbeat timeout) while
    its one long call runs; without a heartbeat timeout on the call it runs unchanged."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        timeout = activity.info().heartbeat_timeout
        if not timeout:
            return fn(*args, **kwargs)
        context, done = contextvars.copy_context(), threading.Event()

        def beat() -> None:
            while not done.wait(timeout.total_seconds() / 3):
                context.run(activity.heartbeat)

        beater = threading.Thread(target=beat, name=f"heartbeat-{fn.__name__}", daemon=True)
        beater.start()
        try:
            return fn(*args, **kwargs)
        finally:
            done.set()
            beater.join(timeout.total_seconds())  # a heartbeat stuck on a stopping worker must not hold the activity

    return wrapper


async def connect(address: str | None = None) -> Client:
    settings = get_settings()
    return await Client.connect(address or settings.temporal_address, namespace=settings.temporal_namespace)


def typed_search_attributes(values: Mapping[str, object]) -> TypedSearchAttributes:
    """{"Serie": "F001", "Numero": 12} -> TypedSearchAttributes, ignoring unknown names."""
    pairs = [SearchAttributePair(SEARCH_ATTRIBUTES[k], v) for k, v in values.items() if k in SEARCH_ATTRIBUTES]
    return TypedSearchAttributes(pairs)


async def ensure_search_attributes(client: Client) -> None:
    """Register our custom search attributes in the namespace if missing (idempotent)."""
    namespace = client.namespace
    existing = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace)
    )
    missing = {
        key.name: IndexedValueType.ValueType(key.indexed_value_type)
        for key in SEARCH_ATTRIBUTES.values()
        if key.name not in existing.custom_attributes
    }
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(search_attributes=missing, namespace=namespace)
        )
        log.info("registered search attributes %s", sorted(missing))
