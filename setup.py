"""Builds the optional C accelerator of the SIE reader; all metadata is in setup.cfg.

Without a C compiler the build goes on without it (``optional=True``) and the
reader uses its pure-Python path, which gives the same results, slower.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("ekonomi.plugins.sie4._scan", ["plugins/sie4/_scan.c"], optional=True),
    ]
)
