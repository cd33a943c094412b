"""The cyclic garbage collector, held off while a stage makes many containers that form no
cycle (records read, rows packed): run again and again while millions of them
are made, it walks the growing heap each time and finds nothing. They are freed by reference
counting as ever; a collection runs again once the stage has ended.

And what a process holds to its end, never freed: freeing every record one by one when a
command ends takes seconds (at 200,000 households, about 3) that nobody waits for. In the
command-line process (``cli.entry``) and in a forked child, both of which end by ``os._exit``
with nothing left to do, ``kept`` objects stay until the process ends; elsewhere (a test
calling ``cli.main``) ``kept`` does nothing and they are freed as ever."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import TypeVar

T = TypeVar("T")

_KEPT: list[object] | None = None  # None: nothing is kept (``ends_unfreed``)


@contextmanager
def held(*, freeze: bool = False) -> Iterator[None]:
    """The collector off inside the block (as it was, after it; a block inside another
    leaves it off). ``freeze``: what exists at the block's end is left out of every later
    collection (``gc.freeze``): for what a process keeps to its end, such as the records.
    In a process that ends unfreed (``ends_unfreed``) every block freezes: what the block
    made and still holds would otherwise be walked by the next collections, once for each
    generation it passes (at 200,000 households, 3.6 s of ``bangfu site`` after the
    figures, disclosure control and the packing of the tables); what it made and let go
    was freed by reference counting, as ever."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze or _KEPT is not None:
            gc.freeze()
            _unfreeze_at_exit()
        if enabled:
            gc.enable()


def keep() -> None:
    """What exists now is left out of every later collection (``gc.freeze``): for a stage
    that makes many containers (the pages) beside what the process keeps to its end (the
    records, figures and tables), which each full collection would walk again. Reference
    counting frees them as ever."""
    gc.freeze()
    _unfreeze_at_exit()


@cache
def _unfreeze_at_exit() -> None:
    """Frozen objects are skipped by the collection at interpreter exit; native modules
    (DuckDB's bindings) then report their objects as leaked on stderr."""
    import atexit

    atexit.register(gc.unfreeze)


def ends_unfreed() -> None:
    """This process ends by ``os._exit`` and frees nothing it ``kept``: from now on, ``kept``
    keeps."""
    global _KEPT
    if _KEPT is None:
        _KEPT = []


def kept(obj: T) -> T:
    """``obj``, held to the end of a process that ends unfreed (``ends_unfreed``): what a
    command's stages built (a ``Pipeline``) is then not freed object by object when the
    command returns. In any other process, nothing is held."""
    if _KEPT is not None:
        _KEPT.append(obj)
    return obj
