"""The ``Source`` contract: what a source plugin is and does.

A plugin's ``ekonomi_sources`` hook returns instances of ``Source`` subclasses;
the core calls their methods inside its own error handling, so isolation,
progress, timing and the import log are core code, not plugin code.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from .records import RECORD_KINDS, Issue, Record

if TYPE_CHECKING:
    from marshmallow import Schema

    from .context import ImportContext

SourceKind = Literal["file", "integration", "push"]
SOURCE_KINDS: tuple[str, ...] = ("file", "integration", "push")

# The hook API this core provides.  A plugin may set ``EKONOMI_HOOK_API`` in
# its module (or ``api_version`` on its Source); a higher major is refused.
HOOK_API_VERSION = 1


class Source:
    """Base class of every source.  Subclass it, set the class attributes,
    and implement ``normalize`` (and ``fetch`` for non-file sources).

    * ``name``: stable identifier (``sie4``), used in the CLI, API and log.
    * ``title``: what a person sees ("SIE4-fil").
    * ``version``: the plugin's version, written into every ImportRun.
    * ``kind``: ``file`` (uploaded or given on the command line),
      ``integration`` (pulls from an API with an incremental cursor) or
      ``push`` (an ERP sends bundles over HTTP).
    * ``config_schema``: a marshmallow Schema class for per-company
      configuration, handed to the import as ``ctx.config``; fields with
      ``metadata={"secret": True}`` are stored encrypted and never shown back
      (core/books/config.py); ``metadata={"label": ...}`` is what forms show;
      ``metadata={"internal": True}``: kept by the source itself (its tokens,
      through ``ctx.save_config``), never asked for in a form.
    * ``provides``: which record kinds it can deliver (records.RECORD_KINDS).
    * ``mode``: the default Scope (``replace``, ``append`` or ``upsert``).
    """

    name: ClassVar[str]
    title: ClassVar[str]
    version: ClassVar[str] = "0"
    kind: ClassVar[SourceKind]
    config_schema: ClassVar[type[Schema] | None] = None
    provides: ClassVar[frozenset[str]] = frozenset()
    mode: ClassVar[str] = "replace"
    api_version: ClassVar[int] = HOOK_API_VERSION
    # File sources: extensions shown in the upload dialog.
    file_extensions: ClassVar[tuple[str, ...]] = ()

    def identify(self, head: bytes, filename: str) -> bool:
        """File sources: does this file look like ours?  ``head`` is the first
        64 KiB.  Every file source is asked; a file two claim is refused."""
        return False

    def describe_refused(self, head: bytes, filename: str) -> str | None:
        """File sources, optionally: for a file no source claims, what it
        looks like to you ("an HTML page"), so the refusal can say what the
        file *is*.  None if you cannot tell."""
        return None

    def fetch(self, ctx: ImportContext) -> Any:
        """Bring in the raw input.  File and push sources get it ready-made in
        ``ctx.input``; integrations pull here, using ``ctx.state``."""
        return ctx.input

    def normalize(self, raw: Any, ctx: ImportContext) -> Iterator[Record]:
        """Turn raw input into canonical records, streamed, in record order.
        Problems in the data are yielded as ``Issue`` values, not raised."""
        raise NotImplementedError

    def connection(self, config: Mapping[str, Any]) -> Connection | None:
        """Integrations, optionally: whether the company is connected to the
        outside service, judged from its configuration's public view
        (``values``, and ``secrets`` as ``{name: {"set": bool}}``: never the
        secrets themselves).  None: the source has no such notion."""
        return None

    def explain(self, code: str) -> str | None:
        """A person's words (Swedish) for one of this source's issue codes
        (``eekonomi.reconnect``), for pages that show a failure; None where
        the issue's own message will do."""
        return None

    def check_config(self, config: dict[str, Any]) -> list[Issue]:
        """Validate a company's configuration for this source: called with
        the schema's dump of the values once the schema accepted them, so an
        override can check across fields.  Error issues refuse it; their
        message starts with the field's name and ": "."""
        if self.config_schema is None:
            return []
        errors = self.config_schema().validate(config)
        return [
            Issue("error", "config.invalid", f"{field}: {'; '.join(map(str, msgs))}")  # type: ignore[arg-type]
            for field, msgs in errors.items()
        ]


@dataclass(frozen=True)
class Connection:
    """An integration's link to its service (``Source.connection``):
    ``connected``, and what a person reads about it, in Swedish."""

    connected: bool
    text: str


@dataclass(frozen=True)
class SettingsPanel:
    """A part of a company's settings page that a plugin shows
    (``ekonomi_settings_panels``): a heading and its HTML."""

    title: str
    html: str


def contract_problems(source: object) -> list[str]:
    """What is wrong with an object a plugin offered as a Source (empty if fine)."""
    problems: list[str] = []
    if not isinstance(source, Source):
        return [f"{source!r} is not an ekonomi.core.Source"]
    for attr in ("name", "title", "kind"):
        if not isinstance(getattr(source, attr, None), str) or not getattr(source, attr):
            problems.append(f"missing or empty {attr!r}")
    if getattr(source, "kind", None) not in SOURCE_KINDS:
        problems.append(f"kind must be one of {', '.join(SOURCE_KINDS)}, not {getattr(source, 'kind', None)!r}")
    unknown = set(source.provides) - RECORD_KINDS
    if unknown:
        problems.append(f"unknown record kinds in provides: {', '.join(sorted(unknown))}")
    if type(source).normalize is Source.normalize:
        problems.append("normalize() is not implemented")
    if source.api_version > HOOK_API_VERSION:
        problems.append(
            f"written for ekonomi hook API {source.api_version}, this ekonomi provides "
            f"{HOOK_API_VERSION}: upgrade ekonomi, or install a version of the plugin made for API {HOOK_API_VERSION}"
        )
    return problems
