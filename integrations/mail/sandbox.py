"""A local SMTP server (aiosmtpd) that accepts every message and keeps it in a Maildir, so a
development install and the tests exercise the real SMTP conversation without sending mail out.

    python -m integrations.mail.sandbox --port 8025 --maildir .erp/mail
"""

import argparse
import mailbox
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from integrations.standin import run_until_signalled


class _MaildirHandler:
    def __init__(self, maildir: Path):
        self.box = mailbox.Maildir(maildir, create=True)
        self.lock = threading.Lock()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        msg = message_from_bytes(envelope.content, policy=policy.default)
        msg["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        with self.lock:
            self.box.add(msg)
        return "250 Message accepted for delivery"


class SmtpSandbox:
    """Start/stop the server in a background thread; `messages()` reads what it received."""

    def __init__(self, maildir: Path, port: int, host: str = "127.0.0.1"):
        self.maildir, self.port, self.host = maildir, port, host
        self._handler = _MaildirHandler(maildir)
        self._controller = Controller(self._handler, hostname=host, port=port)

    def start(self) -> "SmtpSandbox":
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def messages(self) -> list[EmailMessage]:
        with self._handler.lock:
            return [message_from_bytes(m.as_bytes(), policy=policy.default) for m in self._handler.box]

    def clear(self) -> None:
        with self._handler.lock:
            self._handler.box.clear()


def main() -> None:
    parser = argparse.ArgumentParser(description="Local SMTP sandbox")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--maildir", type=Path, default=Path(".erp/mail"))
    args = parser.parse_args()
    server = SmtpSandbox(args.maildir, args.port).start()
    print(f"SMTP sandbox on 127.0.0.1:{args.port}, messages in {args.maildir}", flush=True)
    run_until_signalled(server.stop)


if __name__ == "__main__":
    main()
