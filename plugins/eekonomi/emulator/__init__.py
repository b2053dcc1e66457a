"""A local emulator of the Visma eEkonomi (eAccounting) API v2 and its
identity server, for testing the ``eekonomi`` plugin over real HTTP
(docs/eekonomi-emulator.md).  Test infrastructure: the plugin's production
code never imports it; it only knows base URLs."""

from .app import create_app
from .config import EmulatorConfig
from .seed import SeedOptions, seed_books
from .server import RunningEmulator, running, serve

__all__ = ["EmulatorConfig", "RunningEmulator", "SeedOptions", "create_app", "running", "seed_books", "serve"]
