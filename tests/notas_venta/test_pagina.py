"""The detail page /finanzas/notas-venta/{id} in a real headless Chromium against a real uvicorn server."""

import time
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect, sync_playwright

from tests.notas_venta.conftest import documento
from tests.test_auth import _enable_2fa, _fresh_totp_window

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture
def page() -> Iterator[Page]:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            yield browser.new_page()
        finally:
            browser.close()


def test_page_approves_issues_locks_and_cancels_with_motivo(live_server, worker, page, admin_headers):
    with httpx.Client(base_url=live_server.url) as http:
        nota = http.post("/api/notas-venta/", json=documento(), headers=admin_headers).json()
        public = http.get(f"/finanzas/notas-venta/{nota['id']}")
    assert public.status_code == 200 and "76.086.428-5" not in public.text  # no data without a token

    page.goto(f"{live_server.url}/finanzas/notas-venta/{nota['id']}")
    expect(page.locator("#login")).to_be_visible()
    page.fill("#email", "admin@test.pe")
    page.fill("#password", "admin-password-123")
    page.click("#login-form button")
    expect(page.locator("#estado")).to_have_text("draft")
    expect(page.locator("input[name=customer_rut]")).to_have_value("76.086.428-5")
    expect(page.locator("input[name=customer_rut]")).to_be_enabled()

    page.click("#aprobar")
    expect(page.locator("#estado")).to_have_text("approved")
    expect(page.locator("#approved_by_name")).to_have_text("Administrador")
    expect(page.locator("#approved_ip")).to_have_text("127.0.0.1")
    expect(page.locator("#approved_ua")).to_contain_text("Chrome")

    page.click("#emitir")
    expect(page.locator("#estado")).to_have_text("issued", timeout=15_000)
    pdf_hash = page.locator("#pdf_hash").inner_text()
    assert len(pdf_hash) == 64
    for field in page.locator("#doc input").all():
        expect(field).to_be_disabled()
    expect(page.locator("#aprobar")).to_be_disabled()
    expect(page.locator("#emitir")).to_be_disabled()
    expect(page.locator("#guardar")).to_be_disabled()
    expect(page.locator("#pdf")).to_be_visible()

    # Anular: confirmation, then an empty motivo is refused in the page; a real motivo cancels.
    answers = iter(["", "Cliente desiste de la compra"])
    dialogs: list[str] = []

    def answer(dialog) -> None:  # noqa: ANN001 - playwright Dialog
        dialogs.append(dialog.type)
        dialog.accept(next(answers)) if dialog.type == "prompt" else dialog.accept()

    page.on("dialog", answer)
    page.click("#anular")
    expect(page.locator("#error")).to_have_text("La anulación requiere un motivo")
    expect(page.locator("#estado")).to_have_text("issued")
    page.click("#anular")
    expect(page.locator("#estado")).to_have_text("cancelled")
    expect(page.locator("#cancel_reason")).to_have_text("Cliente desiste de la compra")
    expect(page.locator("#pdf_hash")).to_have_text(pdf_hash)
    assert dialogs == ["confirm", "prompt", "confirm", "prompt"]


def test_the_pages_login_form_asks_for_the_2fa_code(live_server, page, client, make_user, admin_headers):
    """The login form every API page shares (api/templates/login.html) takes a 2FA user through both steps."""
    user_id, headers = make_user("ADMIN", email="pagina2fa@test.pe")
    _fresh_totp_window()
    totp, _ = _enable_2fa(client, user_id, headers)
    with httpx.Client(base_url=live_server.url) as http:
        nota = http.post("/api/notas-venta/", json=documento(), headers=admin_headers).json()
    page.goto(f"{live_server.url}/finanzas/notas-venta/{nota['id']}")
    expect(page.locator("#paso2fa")).to_be_hidden()
    page.fill("#email", "pagina2fa@test.pe")
    page.fill("#password", "secret-pass-123")
    page.click("#entrar")
    expect(page.locator("#login-error")).to_have_text("Ingrese su código de verificación")
    expect(page.locator("#paso2fa")).to_be_visible()
    page.fill("#codigo2fa", "000000" if totp.now() != "000000" else "111111")
    page.click("#entrar")
    expect(page.locator("#login-error")).to_have_text("Código de verificación inválido o ya utilizado")
    page.fill("#codigo2fa", totp.at(int(time.time()) + totp.interval))  # the activation spent the current one
    page.click("#entrar")
    expect(page.locator("#estado")).to_have_text("draft")
    expect(page.locator("#login")).to_be_hidden()
