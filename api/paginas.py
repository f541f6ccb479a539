"""The API's own HTML pages (templates/): each may place the shared login form with `<!-- login -->`."""

from functools import cache
from pathlib import Path

CARPETA = Path(__file__).parent / "templates"


@cache
def pagina(nombre: str) -> str:
    texto = (CARPETA / nombre).read_text(encoding="utf-8")
    return texto.replace("<!-- login -->", (CARPETA / "login.html").read_text(encoding="utf-8"))
