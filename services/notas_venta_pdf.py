"""The issued sales note as a PDF (Jinja2 + WeasyPrint), byte-for-byte reproducible from the database.

Everything printed comes from the note: the company block from `emisor_json` (frozen at issue), the footer
time from `emitted_at` (never now()), and the PDF creation date from the same `emitted_at`.
"""

from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from weasyprint import HTML

from models.notas_venta import SalesNote, SalesNoteItem

SANTIAGO = ZoneInfo("America/Santiago")
TEMPLATES = Path(__file__).parent / "templates"
FOOTER_FMT = "{url} {dt} {addr}"


def clp(value: Decimal) -> str:
    """Chilean peso display: `$ 1.234.567` (whole pesos, dot thousands separator)."""
    return "$ " + f"{int(value):,}".replace(",", ".")


def number(value: Decimal) -> str:
    """Quantities and rates without trailing zeros, decimal comma: 2.5000 -> 2,5."""
    text = format(value.normalize(), "f")
    return text.replace(".", ",")


@lru_cache
def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    env.filters.update(clp=clp, number=number)
    return env


def footer_line(nota: SalesNote) -> str:
    """`www.empresa.cl 17-09-2025 / 14:12 Dirección | Comuna | Ciudad | Chile` (issue time in Santiago)."""
    emisor = nota.emisor_json or {}
    when = nota.emitted_at.astimezone(SANTIAGO).strftime("%d-%m-%Y / %H:%M")
    return FOOTER_FMT.format(url=emisor.get("url", ""), dt=when, addr=emisor.get("direccion", ""))


def render_html(nota: SalesNote, items: list[SalesNoteItem]) -> str:
    return _env().get_template("nota_venta.html").render(
        nota=nota, items=items, emisor=nota.emisor_json or {}, footer_line=footer_line(nota),
        created=nota.emitted_at.isoformat(), iva_pct=number(nota.vat_rate * 100),
    )


def render_pdf(nota: SalesNote, items: list[SalesNoteItem]) -> bytes:
    if nota.emitted_at is None or nota.emisor_json is None:
        raise ValueError("only an issued note (emitted_at and emisor_json set) has a PDF")
    return HTML(string=render_html(nota, items), base_url=str(TEMPLATES)).write_pdf()
