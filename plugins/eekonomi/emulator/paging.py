"""List semantics (E.4): ``$page`` (1-based) and ``$pagesize`` (default
50, clamped to the maximum 1000, the effective size echoed), and the
``{"Meta": …, "Data": […]}`` envelope.  A page past the last one is empty."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .config import EmulatorConfig
from .errors import bad_request
from .wire import server_time


def _positive(args: Mapping[str, str], name: str, default: int) -> int:
    text = args.get(name)
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise bad_request(f"{name} must be a positive integer, not {text!r}", name) from None
    if value < 1:
        raise bad_request(f"{name} must be a positive integer, not {text!r}", name)
    return value


def page_args(args: Mapping[str, str], config: EmulatorConfig) -> tuple[int, int]:
    """(page, effective page size) from the query."""
    size = _positive(args, "$pagesize", config.page_size_default)
    return _positive(args, "$page", 1), min(size, config.page_size_max)


def envelope(items: list[Any], page: int, size: int, total: int, now: datetime) -> dict[str, Any]:
    return {
        "Meta": {
            "CurrentPage": page,
            "PageSize": size,
            "TotalNumberOfPages": math.ceil(total / size) if total else 0,
            "TotalNumberOfResults": total,
            "ServerTimeUtc": server_time(now),
        },
        "Data": items,
    }
