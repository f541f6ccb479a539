"""Outgoing e-mail over SMTP (smtplib): used by alerts, comprobante delivery and scheduled reports."""

import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

from core.settings import get_settings

Attachment = tuple[str, bytes, str]  # (file name, content, MIME type such as "application/pdf")


def build_message(to: list[str], subject: str, body: str, attachments: list[Attachment] | None = None) -> EmailMessage:
    settings = get_settings()
    msg = EmailMessage()
    msg["From"] = settings.smtp_from
    msg["To"] = ", ".join(to)
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain=settings.smtp_from.split("@")[-1])
    msg.set_content(body)
    for name, content, mime in attachments or []:
        maintype, _, subtype = mime.partition("/")
        msg.add_attachment(content, maintype=maintype, subtype=subtype or "octet-stream", filename=name)
    return msg


def send_mail(to: list[str], subject: str, body: str, attachments: list[Attachment] | None = None,
              timeout: float = 15.0) -> str:
    """Send one message; returns its Message-ID. SMTP errors propagate so activities can retry."""
    if not to:
        raise ValueError("send_mail needs at least one recipient")
    settings = get_settings()
    msg = build_message(to, subject, body, attachments)
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
        smtp.send_message(msg)
    return msg["Message-ID"]
