"""Builds the optional C accelerators; all metadata is in setup.cfg.

plugins/sie4/_scan.c reads plain SIE voucher blocks, core/_rows.c runs the
import's two loops over voucher rows.  Without a C compiler the build goes on
without them (``optional=True``) and the Python code they mirror runs: the
same results, slower.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("ekonomi.plugins.sie4._scan", ["plugins/sie4/_scan.c"], optional=True),
        Extension("ekonomi.core._rows", ["core/_rows.c"], optional=True),
    ]
)
