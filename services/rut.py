"""Chilean RUT (Rol Único Tributario): check digit validation and the `99.999.999-K` display form."""

from stdnum.cl import rut as stdnum_rut
from stdnum.exceptions import InvalidChecksum, InvalidLength
from stdnum.exceptions import ValidationError as StdnumError

from core.errors import ValidationError


def _reason(exc: StdnumError) -> str:
    if isinstance(exc, InvalidChecksum):
        return "dígito verificador incorrecto"
    if isinstance(exc, InvalidLength):
        return "largo inválido (7 u 8 dígitos más el dígito verificador)"
    return "formato inválido (use 12.345.678-K)"


def normalize_rut(value: str, field: str = "customer_rut") -> str:
    """Validate format and check digit (modulo 11, `K` included) and return `12.345.678-K`.

    Accepts the usual spellings (`12345678k`, `12.345.678-K`, ` 12345678-K `); raises a 400 naming `field`.
    """
    try:
        stdnum_rut.validate(value or "")
    except StdnumError as exc:
        raise ValidationError(f"RUT inválido: {_reason(exc)}", field=field) from exc
    return stdnum_rut.format(value)
