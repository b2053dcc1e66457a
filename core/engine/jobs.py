"""Running imports in the background, behind one small interface.

``JobRunner.submit`` takes an ImportRequest, writes the queued ImportRun (so
refusals come back at once) and returns its id; the run itself happens
elsewhere.  The embedded default, ``ThreadRunner``, runs imports on a thread
pool inside the web process.  A Celery runner fits the same interface: its
``submit`` sends ``execute(import_id)`` to a worker, which reads the input
from the file store (``ImportRun.stored_path``).
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
import threading
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Protocol

from sqlalchemy.engine import Engine

from ..books import settings
from ..context import FileInput
from ..errors import EkonomiError
from ..books.db import writer
from . import runlog
from .pipeline import ImportRequest, execute, log_refusal, submit
from .retention import prune_inputs
from .plugins import PluginManager

log = logging.getLogger(__name__)


class JobRunner(Protocol):
    def submit(self, req: ImportRequest) -> int:
        """Queue an import; returns the ImportRun id.  Raises on refusal
        (the refusal is logged as a failed ImportRun where it can be)."""

    def wait(self, import_id: int, timeout: float | None = None) -> None:
        """Block until the import has finished (tests, the CLI)."""

    def resume(self, import_ids: list[int]) -> None:
        """Run queued imports this process has claimed (recovery.settle_orphans)."""


def keep_input(file: FileInput) -> FileInput:
    """Copy an input into the file store, so it outlives the request that
    brought it (and a worker on another machine can read it)."""
    folder = settings.file_store() / "inputs"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{uuid.uuid4().hex}{Path(file.filename).suffix.lower()[:10]}"
    try:
        shutil.copyfile(file.path, target)
    except OSError as exc:  # a full disk: no partial copy stays behind
        target.unlink(missing_ok=True)
        raise EkonomiError(f"The server could not store the input ({exc.strerror}).", code="insufficient_storage") from exc
    return FileInput(target, file.filename)


class ThreadRunner:
    """Imports on background threads of this process.  Imports of one company
    are serialised by the pipeline's lock; different companies run side by
    side up to ``workers``."""

    def __init__(self, engine: Engine, pm: PluginManager, workers: int = 2) -> None:
        self.engine = engine
        self.pm = pm
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ekonomi-import")
        self.futures: dict[int, Future[object]] = {}
        self._guard = threading.Lock()

    def submit(self, req: ImportRequest) -> int:
        if req.file is not None:
            try:
                kept = keep_input(req.file)
            except EkonomiError as exc:
                exc.import_id = log_refusal(self.engine, req, exc)  # type: ignore[attr-defined]
                raise
            req = dataclasses.replace(req, file=kept)
        try:
            import_id = submit(self.engine, self.pm, req)
        except BaseException:  # refused: nothing will read the copy
            if req.file is not None:
                req.file.path.unlink(missing_ok=True)
            raise
        if req.file is not None:
            with writer(self.engine).begin() as conn:
                runlog.keep_input(conn, import_id, str(req.file.path))
        self._start([import_id])
        return import_id

    def resume(self, import_ids: list[int]) -> None:
        # One after another in the order they were queued: the company lock
        # keeps imports apart, not in order, and a later upload must win.
        if import_ids:
            self._start(sorted(import_ids))

    def _start(self, import_ids: list[int]) -> None:
        future = self.pool.submit(self._run, import_ids)
        with self._guard:
            self.futures.update(dict.fromkeys(import_ids, future))
        # Forget them once done (at once, if they already are).
        future.add_done_callback(lambda _: self._forget(import_ids))

    def _forget(self, import_ids: list[int]) -> None:
        with self._guard:
            for import_id in import_ids:
                self.futures.pop(import_id, None)

    def _run(self, import_ids: list[int]) -> None:
        for import_id in import_ids:
            try:
                execute(self.engine, self.pm, import_id)
                prune_inputs(self.engine)
            except Exception:  # execute logs its own failures; this is a last guard
                log.exception("background import %s failed", import_id)

    def wait(self, import_id: int, timeout: float | None = None) -> None:
        with self._guard:
            future = self.futures.get(import_id)
        if future is not None:
            future.result(timeout=timeout)

    def shutdown(self) -> None:
        self.pool.shutdown(wait=True)
