"""Activities of the foundation's housekeeping workflows."""

from temporalio import activity

from core.db import session_scope
from services.auth import purge_expired


@activity.defn(name="purgar_tokens_expirados")
def purgar_tokens_expirados() -> int:
    with session_scope() as session:
        return purge_expired(session)


ACTIVITIES = [purgar_tokens_expirados]
