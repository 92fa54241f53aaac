"""A trait for DataFrames: notifies on every new object, never compares contents.

traitlets decides whether to notify with ``bool(old == new)``; for a DataFrame that
compares every cell (tens of milliseconds for an AOI frame, on every vertex edit) only
to raise. :class:`FrameTrait` notifies whenever a different object is assigned.

Examples
--------
>>> import pandas as pd
>>> import traitlets as t
>>> class Box(t.HasTraits):
...     frame = FrameTrait(pd.DataFrame)
>>> box, seen = Box(frame=pd.DataFrame()), []
>>> box.observe(lambda change: seen.append(len(change["new"])), "frame")
>>> box.frame = pd.DataFrame({"a": [1]})
>>> seen
[1]
"""

from __future__ import annotations

from typing import Any

import traitlets as t

__all__ = ["FrameTrait"]


class FrameTrait(t.Instance):
    """``traitlets.Instance`` that notifies on identity change, without comparing values."""

    def set(self, obj: t.HasTraits, value: Any) -> None:
        """Validate, store and notify when ``value`` is a different object."""
        new_value = self._validate(obj, value)
        assert self.name is not None
        old_value = obj._trait_values.get(self.name, self.default_value)
        obj._trait_values[self.name] = new_value
        if old_value is not new_value:
            obj._notify_trait(self.name, old_value, new_value)
