"""Everything one emulator holds, in one object kept on the Flask app:
configuration, clock, companies, tokens, faults, rate windows, temporary
file links and the request log.  One lock serialises requests, so the
control API and the API never see each other half-done."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from flask import current_app

from .clock import DEFAULT_START, Clock
from .config import EmulatorConfig
from .errors import ApiError
from .faults import Faults
from .files import TemporaryFiles
from .ratelimit import RateLimiter
from .store import Books
from .tokens import Tokens

TEST_USER = "demo.anvandare@example.se"


class Emulator:
    def __init__(self, seed: Callable[[], list[Books]], config: EmulatorConfig | None = None) -> None:
        self.seed = seed  # what ``/_emulator/reset`` goes back to
        self.config = config or EmulatorConfig()
        self.clock = Clock()
        self.lock = threading.RLock()
        self.companies: dict[str, Books] = {}
        self.tokens = Tokens()
        self.faults = Faults()
        self.limiter = RateLimiter()
        self.files = TemporaryFiles()
        self.requests: list[dict[str, Any]] = []
        self.load(seed())

    def load(self, companies: list[Books]) -> None:
        self.companies = {books.id: books for books in companies}

    def reset(self) -> None:
        """Back to the start: the seed, default settings, no tokens, faults or log."""
        clients = self.config.clients
        self.config = EmulatorConfig(clients=clients)
        self.clock.set(DEFAULT_START)
        self.tokens, self.faults, self.limiter = Tokens(), Faults(), RateLimiter()
        self.files.clear()
        self.requests.clear()
        self.load(self.seed())

    def company(self, company_id: str | None = None) -> Books:
        if company_id is None:
            if not self.companies:
                raise ApiError(400, 4004, "The emulator has no company")
            return next(iter(self.companies.values()))
        books = self.companies.get(company_id)
        if books is None:
            raise ApiError(404, 3000, f"No company {company_id}")
        return books


def current() -> Emulator:
    emulator: Emulator = current_app.extensions["eekonomi_emulator"]
    return emulator
