"""Injected faults (E.7): a test asks for the next calls to fail in a given
way.  A fault waits ``after_n_calls`` API calls, then fires ``times`` times
on the calls that match its ``path`` prefix.  Faults that only change a
setting (company state, tokens, Retry-After) act at once in ``control``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# E.7's names → the kind of fault they make
ALIASES = {
    "429_after_n_calls": "429", "429": "429", "401_next_call": "401", "401": "401",
    "500_once": "500", "500": "500", "503_once": "503", "503": "503",
    "latency_ms": "latency", "latency": "latency", "page_drift": "page_drift",
}


@dataclass
class Fault:
    kind: str
    after_n_calls: int = 0
    times: int = 1
    path: str = "/v2/"
    params: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"fault": self.kind, "after_n_calls": self.after_n_calls, "times": self.times, "path": self.path, **self.params}


class Faults:
    def __init__(self) -> None:
        self.pending: list[Fault] = []

    def add(self, spec: dict[str, Any]) -> Fault:
        """A fault from its JSON spec; ValueError if the name is unknown."""
        spec = dict(spec)
        name = str(spec.pop("fault", ""))
        if name not in ALIASES:
            raise ValueError(f"unknown fault {name!r}; known: {', '.join(sorted(ALIASES))}")
        after = int(spec.pop("after_n_calls", spec.pop("n", 0)))
        fault = Fault(ALIASES[name], after, int(spec.pop("times", 1)), str(spec.pop("path", "/v2/")), spec)
        self.pending.append(fault)
        return fault

    def on_call(self, path: str, kinds: tuple[str, ...]) -> Fault | None:
        """The fault of one of ``kinds`` that fires on this call, if any;
        counts the call for those still waiting."""
        fired = None
        for fault in list(self.pending):
            if fault.kind not in kinds or not path.lower().startswith(fault.path.lower()):
                continue
            if fault.after_n_calls > 0:
                fault.after_n_calls -= 1
                continue
            if fired is None:
                fired = fault
                fault.times -= 1
                if fault.times <= 0:
                    self.pending.remove(fault)
        return fired

    def clear(self) -> None:
        self.pending.clear()
