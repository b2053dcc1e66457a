"""Events the core emits to ``ekonomi_event`` observers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

EVENT_KINDS = frozenset(
    {
        "import_started",
        "import_progress",
        "import_finished",
        "import_failed",
        "source_switched",
        "data_deleted",
        "import_undone",
    }
)


@dataclass(frozen=True)
class Event:
    """One thing that happened.  ``data`` holds the details: for imports the
    result object of docs/contracts.md (so far), for a switch ``{"from", "to"}``."""

    kind: str
    company: str | None  # orgnr
    import_id: int | None = None
    actor: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
