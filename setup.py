"""Builds the optional C accelerators; all metadata is in setup.cfg.

plugins/sie4/_scan.c reads plain SIE voucher blocks, core/engine/_rows.c runs the
import's two loops over voucher rows, core/engine/_stage.c writes SQLite staging
files from packed batches (it needs SQLite's header, sqlite3.h).  Without a
C compiler (or that header) the build goes on without them
(``optional=True``) and the Python code they mirror runs: the same results,
slower.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("ekonomi.plugins.sie4._scan", ["plugins/sie4/_scan.c"], optional=True),
        Extension("ekonomi.core.engine._rows", ["core/engine/_rows.c"], depends=["core/engine/_pack.h"], optional=True),
        Extension("ekonomi.core.engine._stage", ["core/engine/_stage.c"], depends=["core/engine/_pack.h"], libraries=["sqlite3"], optional=True),
    ]
)
