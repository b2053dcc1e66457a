"""A company's configuration of a source (``Source.config_schema``).

Validated where it enters (``configure``: the source's marshmallow schema,
then its ``check_config``), stored per ``CompanySource`` as JSON::

    {"version": 1, "values": {"region": "se"}, "secrets": {"api_token": "<Fernet token>"}}

Fields with ``metadata={"secret": True}`` exist only encrypted (encryption.py)
and are never shown back: ``public_view`` says ``{"set": true}`` instead.
``load`` hands an import the decrypted, validated values.

Given values merge into the stored ones: a field left out keeps its value;
an empty one (``""`` or None) clears a plain field and keeps a secret (a form
shows secrets empty, so leaving one empty must not erase it).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from marshmallow import Schema, ValidationError, fields
from sqlalchemy import text

from . import models as m
from . import rules
from .encryption import Keyring
from ..errors import ConfigError
from ..events import Event

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlmodel import Session

    from ..engine.plugins import PluginManager
    from ..source import Source

STORED_VERSION = 1


@dataclass(frozen=True)
class ConfigField:
    """One field of a source's configuration, as forms and the API show it.
    ``label`` and ``description`` come from the field's metadata (Swedish,
    written by the plugin); the name stands in for a missing label."""

    name: str
    label: str
    type: str  # string, integer, number, boolean
    required: bool
    secret: bool
    description: str | None = None
    internal: bool = False  # kept by the source itself (a token): shown, never asked for in a form


@dataclass
class Stored:
    """What the ``config`` column holds, parsed (secrets still encrypted)."""

    values: dict[str, Any] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, raw: str | None) -> Stored:
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise ConfigError("The stored configuration is not JSON: set it again.")
        if "version" not in data:  # written by hand before configuration existed: plain values
            return cls(values=data)
        return cls(values=dict(data.get("values") or {}), secrets=dict(data.get("secrets") or {}))

    def dumps(self) -> str:
        return json.dumps({"version": STORED_VERSION, "values": self.values, "secrets": self.secrets}, sort_keys=True)


def _type_of(f: fields.Field) -> str:
    if isinstance(f, fields.Boolean):
        return "boolean"
    if isinstance(f, fields.Integer):
        return "integer"
    if isinstance(f, (fields.Float, fields.Decimal)):
        return "number"
    return "string"


def config_fields(source: Source) -> list[ConfigField]:
    """The fields of ``source``'s configuration, in the schema's order."""
    if source.config_schema is None:
        return []
    out = []
    for name, f in source.config_schema().load_fields.items():
        meta = f.metadata or {}
        out.append(
            ConfigField(
                name=f.data_key or name,
                label=str(meta.get("label") or name),
                type=_type_of(f),
                required=bool(f.required),
                secret=bool(meta.get("secret")),
                description=meta.get("description"),
                internal=bool(meta.get("internal")),
            )
        )
    return out


def _schema(source: Source) -> Schema:
    if source.config_schema is None:
        raise ConfigError(f"The source {source.name!r} ({source.title}) takes no configuration.")
    return source.config_schema()


def _secret_names(source: Source) -> set[str]:
    return {f.name for f in config_fields(source) if f.secret}


def _validate(source: Source, plain: dict[str, Any], problem: str) -> dict[str, Any]:
    """The schema's load of ``plain``, then the source's own check; a
    ConfigError naming every field that fails, its message led by ``problem``."""
    schema = _schema(source)
    try:
        loaded: dict[str, Any] = schema.load(plain)
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        raise _invalid(problem, {k: _flat(v) for k, v in messages.items()}) from None
    wrong = {}
    for issue in source.check_config(schema.dump(loaded)):
        if issue.severity == "error":  # a StrEnum or the plain text
            name, sep, message = issue.message.partition(": ")
            wrong.setdefault(name if sep else "_schema", []).append(message if sep else issue.message)
    if wrong:
        raise _invalid(problem, wrong)
    return loaded


def _flat(messages: Any) -> list[str]:
    if isinstance(messages, dict):  # a nested field
        return [f"{k}: {'; '.join(_flat(v))}" for k, v in messages.items()]
    return [str(x) for x in messages] if isinstance(messages, list) else [str(messages)]


def _invalid(problem: str, wrong: dict[str, list[str]]) -> ConfigError:
    detail = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in sorted(wrong.items()))
    return ConfigError(f"{problem}: {detail}", fields={name: list(msgs) for name, msgs in wrong.items()})


def _decrypt_all(stored: Stored, source: Source, keys: Keyring | None) -> dict[str, Any]:
    if not stored.secrets:
        return {}
    ring = keys or Keyring.from_settings()
    return {
        name: ring.decrypt(token, f"The stored secret {name!r} of {source.name}") for name, token in stored.secrets.items()
    }


def _merge(
    stored: Stored, given: Mapping[str, Any], secret: set[str], clear: Iterable[str] = ()
) -> tuple[dict[str, Any], set[str]]:
    """Plain values after applying ``given``, and the secrets kept as stored;
    the fields named in ``clear`` are removed, secrets too."""
    values = {k: v for k, v in stored.values.items() if k not in clear}
    kept = set(stored.secrets) - set(clear)
    for name, value in given.items():
        empty = value is None or value == ""
        if name in secret:
            if not empty:
                kept.discard(name)
                values[name] = value
        elif empty:
            values.pop(name, None)
        else:
            values[name] = value
    return values, kept


def configure(
    session: Session,
    pm: PluginManager,
    company: m.Company,
    source_name: str,
    values: Mapping[str, Any],
    actor: str,
    keys: Keyring | None = None,
    clear: Iterable[str] = (),
    audit: bool = True,
) -> tuple[dict[str, Any], Event]:
    """Validate ``values`` (merged into the stored configuration, less the
    fields named in ``clear``) and store them, secrets encrypted with the
    newest key (so re-saving rotates).  Returns the public view and the event
    to emit once committed.  ``audit=False``: a source keeping its own state
    (a rotated token), which is no person's change and stays out of the
    company's event log."""
    source = pm.source(source_name)
    secret = _secret_names(source)
    row = session.get(m.CompanySource, (company.id, source_name))
    try:
        stored = Stored.parse(row.config if row is not None else None)
    except ConfigError:
        stored = Stored()  # unreadable: what is given now replaces it
    clear = set(clear)
    plain, kept = _merge(stored, values, secret, clear)
    kept_plain = _decrypt_all(Stored(secrets={k: stored.secrets[k] for k in kept}), source, keys)
    loaded = _validate(source, {**plain, **kept_plain}, f"Invalid configuration of {source.title}")
    dumped = _schema(source).dump(loaded)
    secrets = {k: v for k, v in dumped.items() if k in secret}
    ring = (keys or Keyring.from_settings()) if secrets else None
    new = Stored(
        values={k: v for k, v in dumped.items() if k not in secret},
        secrets={k: ring.encrypt(v) for k, v in secrets.items()} if ring is not None else {},
    )
    if row is None:
        enabled = rules.source_enabled(session, pm, company, source_name)
        row = m.CompanySource(company_id=company.id, source=source_name, enabled=enabled)  # type: ignore[arg-type]
    row.config = new.dumps()
    session.add(row)
    changed = sorted((set(values) | clear) & {f.name for f in config_fields(source)})
    data = {"source": source_name, "fields": changed}  # names only: a secret's value never reaches the log
    if audit:
        event = m.CompanyEvent(company_id=company.id, kind="source_configured", actor=actor, data=json.dumps(data))  # type: ignore[arg-type]
        session.add(event)
    return _view(source, new), Event("source_configured", company.orgnr, actor=actor, data=data)


def load(conn: Connection | Session, company_id: int, source: Source, keys: Keyring | None = None) -> dict[str, Any]:
    """The company's configuration of ``source``, decrypted and validated,
    for ``ImportContext.config``.  A source without a schema gets ``{}``; a
    configuration that no longer validates or decrypts is a ConfigError."""
    if source.config_schema is None:
        return {}
    raw = conn.execute(
        text("SELECT config FROM company_source WHERE company_id = :c AND source = :s"),
        {"c": company_id, "s": source.name},
    ).scalar()
    stored = Stored.parse(raw)
    plain = {**stored.values, **_decrypt_all(stored, source, keys)}
    return _validate(
        source,
        plain,
        f"The configuration of {source.title} for this company is not valid (a bureau admin sets it on the Byrå "
        f"page, or with `ekonomi companies configure`)",
    )


def public_view(session: Session, pm: PluginManager, company: m.Company, source_name: str) -> dict[str, Any]:
    """What pages, the API and the CLI show: plain values, and for each secret
    only whether it is set."""
    source = pm.source(source_name)
    _schema(source)
    row = session.get(m.CompanySource, (company.id, source_name))
    return _view(source, Stored.parse(row.config if row is not None else None))


def _view(source: Source, stored: Stored) -> dict[str, Any]:
    described = config_fields(source)
    return {
        "source": source.name,
        "title": source.title,
        "values": {f.name: stored.values[f.name] for f in described if not f.secret and f.name in stored.values},
        "secrets": {f.name: {"set": f.name in stored.secrets} for f in described if f.secret},
        "fields": [asdict(f) for f in described if not f.internal],
    }
