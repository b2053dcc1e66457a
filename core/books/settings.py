"""Settings from the environment (docs/contracts.md "Settings").

The instance folder holds the default SQLite database, the secret key and the
file store; it is ``./instance`` under the working directory unless
``EKONOMI_INSTANCE_PATH`` says otherwise.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

DEFAULT_MAX_UPLOAD_MB = 512


def instance_path() -> Path:
    return Path(os.environ.get("EKONOMI_INSTANCE_PATH") or Path.cwd() / "instance").resolve()


def database_url(explicit: str | None = None) -> str:
    """``--database-url``, else ``EKONOMI_DATABASE_URL``, else a SQLite file
    in the instance folder."""
    if explicit:
        return explicit
    env = os.environ.get("EKONOMI_DATABASE_URL")
    if env:
        return env
    folder = instance_path()
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'ekonomi.db'}"


def secret_key() -> str:
    """``EKONOMI_SECRET_KEY``, else one generated once and kept in the
    instance folder, so serve, worker and the CLI agree."""
    env = os.environ.get("EKONOMI_SECRET_KEY")
    if env:
        return env
    path = instance_path() / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # Another process may have written it meanwhile: the first writer wins.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def secret_keys() -> list[str]:
    """``EKONOMI_SECRET_KEYS``: the Fernet keys of secret configuration
    fields, newest first; empty when unset (then one is derived from
    ``secret_key()``, see encryption.py)."""
    raw = os.environ.get("EKONOMI_SECRET_KEYS") or ""
    return [key.strip() for key in raw.split(",") if key.strip()]


def file_store() -> Path:
    path = Path(os.environ.get("EKONOMI_FILE_STORE") or instance_path() / "files")
    path.mkdir(parents=True, exist_ok=True)
    return path


def max_upload_bytes() -> int:
    return int(os.environ.get("EKONOMI_MAX_UPLOAD_MB") or DEFAULT_MAX_UPLOAD_MB) * 1024 * 1024


DEFAULT_SESSION_IDLE_HOURS = 8.0


def session_idle_hours() -> float:
    """``EKONOMI_SESSION_IDLE_HOURS``: a web session unused this long ends."""
    return float(os.environ.get("EKONOMI_SESSION_IDLE_HOURS") or DEFAULT_SESSION_IDLE_HOURS)


def ratelimit_storage_url() -> str:
    """``EKONOMI_RATELIMIT_STORAGE_URL`` (``redis://…`` so that every web
    process counts sign-in attempts together); memory in this process else."""
    return os.environ.get("EKONOMI_RATELIMIT_STORAGE_URL") or "memory://"
