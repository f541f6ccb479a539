"""Activities (sync `def`s run in the worker's thread pool), one module per process, and what they share."""

from collections.abc import Callable

from sqlmodel import Session

from core.db import session_scope
from integrations.mail.client import send_mail


def mail_then_mark(recipients: list[str], subject: str, body: str, mark: Callable[[Session], None]) -> None:
    """At-least-once e-mail from a retried activity: send (when there is anyone to send to), then record it in a
    transaction of its own. A retry after a lost mark sends again; nothing is ever marked sent unsent."""
    if recipients:
        send_mail(recipients, subject, body)
    with session_scope() as session:
        mark(session)
