"""orjson parsing with the cyclic garbage collector paused.

Parsing a page of orders allocates thousands of containers; when the caller keeps them
(a list of 10,000 orders for a frame), CPython's generational GC runs again and again
over the growing heap and costs 3-5x the parse itself. JSON trees cannot hold reference
cycles, so pausing the collector while orjson builds them is safe; it is resumed right
after (only if it was enabled: a caller's ``gc.disable()`` is respected).

Examples
--------
>>> loads(b'{"content": [{"id": 1}]}')
{'content': [{'id': 1}]}
>>> import gc
>>> with paused_gc():
...     gc.isenabled()
False
>>> gc.isenabled()
True
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson

__all__ = ["loads", "paused_gc"]


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic GC for the block (no-op when it is already disabled)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def loads(data: bytes | bytearray | memoryview | str) -> Any:
    """``orjson.loads`` with the GC paused (raises ``orjson.JSONDecodeError``)."""
    if not gc.isenabled():
        return orjson.loads(data)
    gc.disable()
    try:
        return orjson.loads(data)
    finally:
        gc.enable()
