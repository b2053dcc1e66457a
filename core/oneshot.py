"""Settings for a command that reads one big input and then exits.

Reading a million vouchers allocates tens of millions of short-lived tuples,
none of which form reference cycles, and CPython's cyclic garbage collector
would walk the young ones every 700 allocations and, now and then,
everything alive (the plugins, the caches).  Such a command moves what is
alive at start-up out of the collector's sight (``gc.freeze``) and collects
far less often.  Not for a process that lives on (the web, a worker): it
must collect as usual.
"""

from __future__ import annotations

import gc


def tune_gc_for_one_batch() -> None:
    gc.freeze()
    gc.set_threshold(100_000, 50, 50)
