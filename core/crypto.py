"""Encryption at rest for secrets (API tokens, SOL passwords, PFX certificates).

Values are Fernet tokens (AES-128-CBC + HMAC-SHA256) keyed by ENCRYPTION_KEY from the environment.
"""

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import LargeBinary, String, TypeDecorator

from core.settings import get_settings


@lru_cache
def _fernet(key: str) -> Fernet:
    if not key:
        raise RuntimeError("ENCRYPTION_KEY is not set")
    return Fernet(key.encode())


def fernet() -> Fernet:
    return _fernet(get_settings().encryption_key)


def encrypt(data: bytes) -> bytes:
    return fernet().encrypt(data)


def decrypt(token: bytes) -> bytes:
    try:
        return fernet().decrypt(token)
    except InvalidToken as exc:
        raise RuntimeError("cannot decrypt a stored secret: wrong ENCRYPTION_KEY?") from exc


class EncryptedBytes(TypeDecorator):
    """A bytes column stored encrypted."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: bytes | None, dialect) -> bytes | None:  # noqa: ANN001
        return None if value is None else encrypt(value)

    def process_result_value(self, value: bytes | None, dialect) -> bytes | None:  # noqa: ANN001
        return None if value is None else decrypt(value)


class EncryptedString(TypeDecorator):
    """A text column stored encrypted (as a Fernet token, itself ASCII)."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect) -> str | None:  # noqa: ANN001
        return None if value is None else encrypt(value.encode()).decode()

    def process_result_value(self, value: str | None, dialect) -> str | None:  # noqa: ANN001
        return None if value is None else decrypt(value.encode()).decode()
