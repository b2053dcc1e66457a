"""Secret configuration values, encrypted at rest (Fernet).

The keys are ``EKONOMI_SECRET_KEYS``: comma-separated Fernet keys, newest
first.  The first encrypts; every one decrypts, so a key is rotated by
putting a new one in front and re-saving (``Keyring.rotate``).  Unset, one
key is derived from ``EKONOMI_SECRET_KEY`` (HKDF-SHA256), so serve, worker
and the CLI agree without any set-up.

Every failure is a ``ConfigError`` in plain words, never a traceback.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from . import settings
from ..errors import ConfigError

# Changing this changes every derived key: stored secrets would no longer decrypt.
_HKDF_INFO = b"ekonomi: secret configuration fields, v1"


def derive_key(secret: str) -> bytes:
    """A Fernet key from the app's secret key (not the key itself, so a
    leaked session key and a leaked configuration key stay apart)."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(secret.encode("utf-8"))
    return base64.urlsafe_b64encode(raw)


class Keyring:
    """The keys of this process: encrypt with the newest, decrypt with any."""

    def __init__(self, keys: list[bytes | str]) -> None:
        fernets = []
        for n, key in enumerate(keys, 1):
            try:
                fernets.append(Fernet(key))
            except (ValueError, TypeError):
                raise ConfigError(
                    f"EKONOMI_SECRET_KEYS: key {n} is not a Fernet key (32 bytes in url-safe base64, as "
                    "cryptography's Fernet.generate_key() makes them)."
                ) from None
        if not fernets:
            raise ConfigError("EKONOMI_SECRET_KEYS holds no key.")
        self._ring = MultiFernet(fernets)

    @classmethod
    def from_settings(cls) -> Keyring:
        return cls(list(settings.secret_keys()) or [derive_key(settings.secret_key())])

    def encrypt(self, value: Any) -> str:
        return self._ring.encrypt(json.dumps(value).encode("utf-8")).decode("ascii")

    def decrypt(self, token: str, what: str) -> Any:
        """The value of ``token``; ``what`` names it in the error."""
        try:
            return json.loads(self._ring.decrypt(token.encode("ascii")))
        except (InvalidToken, UnicodeEncodeError, ValueError):
            raise ConfigError(
                f"{what} cannot be decrypted with the keys in EKONOMI_SECRET_KEYS (or the key derived from "
                "EKONOMI_SECRET_KEY): the key it was encrypted with is not among them. Put that key back behind "
                "the newest one, or set the value again."
            ) from None
