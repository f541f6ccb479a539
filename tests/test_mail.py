"""The SMTP client speaks real SMTP to the local sandbox, attachments included."""

from integrations.mail.client import send_mail


def test_send_mail_with_attachment_reaches_the_smtp_server(smtp_server):
    message_id = send_mail(["cliente@example.pe"], "Su comprobante F001-1", "Adjuntamos su comprobante.",
                           [("F001-1.pdf", b"%PDF-1.7 test", "application/pdf")])
    [msg] = smtp_server.messages()
    assert msg["Message-ID"] == message_id
    assert msg["To"] == "cliente@example.pe"
    assert msg["X-Envelope-To"] == "cliente@example.pe"
    [attachment] = list(msg.iter_attachments())
    assert attachment.get_filename() == "F001-1.pdf"
    assert attachment.get_content() == b"%PDF-1.7 test"
