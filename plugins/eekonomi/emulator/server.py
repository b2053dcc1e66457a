"""Running the emulator: with waitress for ``ekonomi eekonomi-emulator``,
or on a thread (Werkzeug's server, a free port) for tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from werkzeug.serving import WSGIRequestHandler, make_server

from .state import Emulator


def serve(app: Flask, host: str = "127.0.0.1", port: int = 8765, threads: int = 4) -> None:
    from waitress import serve as waitress_serve

    waitress_serve(app, host=host, port=port, threads=threads, ident="eekonomi-emulator")


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: object, **kwargs: object) -> None:
        pass  # the emulator keeps its own request log


class RunningEmulator:
    """An emulator serving on a thread: ``base`` is ``http://127.0.0.1:PORT``;
    ``api_base`` and ``identity_base`` are what the plugin is configured with."""

    def __init__(self, app: Flask, host: str = "127.0.0.1") -> None:
        self.app = app
        self.server = make_server(host, 0, app, threaded=True, request_handler=QuietHandler)
        self.base = f"http://{host}:{self.server.server_port}"
        self.api_base = f"{self.base}/v2/"
        self.identity_base = self.base
        self.thread = threading.Thread(target=self.server.serve_forever, name="eekonomi-emulator", daemon=True)

    @property
    def emulator(self) -> Emulator:
        emulator: Emulator = self.app.extensions["eekonomi_emulator"]
        return emulator

    def start(self) -> RunningEmulator:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@contextmanager
def running(app: Flask) -> Iterator[RunningEmulator]:
    server = RunningEmulator(app).start()
    try:
        yield server
    finally:
        server.stop()
