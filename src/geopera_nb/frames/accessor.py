"""``frame.gn`` (also ``frame.geopera``): verbs on frames, as a pandas accessor.

The frames layer owns the accessor and its own verb (``to_stac``); layers above it plug
theirs in with :func:`verb` (export adds ``download``, pixels adds ``load``), so this
package never imports them (``lint-imports`` checks it). ``import geopera_nb`` wires
them whenever a frame is made through ``gn.*``; importing :mod:`geopera_nb.export` or
:mod:`geopera_nb.pixels` does too.

Examples
--------
>>> import geopera_nb.frames as F
>>> len(F.empty_frame("assets").gn.to_stac())
0
>>> "to_stac" in dir(F.empty_frame("assets").gn)
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import pystac

__all__ = ["GeoperaAccessor", "verb"]

#: verb name -> (function of the frame and the call's arguments, the layer that adds it)
_VERBS: dict[str, tuple[Callable[..., Any], str]] = {}
#: where each well-known verb comes from, for the error when its layer is not imported
_HOME = {"download": "geopera_nb.export", "load": "geopera_nb.pixels"}


def verb(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``fn(frame, *args, **kwargs)`` as ``frame.gn.<name>(*args, **kwargs)``.

    Examples
    --------
    >>> @verb("row_count")
    ... def _row_count(frame):
    ...     return len(frame)
    >>> import geopera_nb.frames as F
    >>> F.empty_frame("assets").gn.row_count()
    0
    """

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        _VERBS[name] = (fn, fn.__module__)
        return fn

    return register


class GeoperaAccessor:
    """``frame.gn.to_stac()``, plus the verbs other layers register (``download``, ``load``)."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self._frame = frame

    def to_stac(self) -> pystac.ItemCollection:
        """The rows as a :class:`pystac.ItemCollection` (see :func:`~geopera_nb.frames.to_stac`)."""
        from geopera_nb.frames.assets import to_stac

        return to_stac(self._frame)

    def __getattr__(self, name: str) -> Any:
        found = _VERBS.get(name)
        if found is None:
            home = _HOME.get(name)
            hint = f" (it comes with `import {home}`)" if home else ""
            raise AttributeError(f"frame.gn has no verb {name!r}{hint}")
        fn = found[0]

        def bound(*args: Any, **kwargs: Any) -> Any:
            return fn(self._frame, *args, **kwargs)

        bound.__doc__ = fn.__doc__
        bound.__name__ = name
        return bound

    def __dir__(self) -> list[str]:
        return sorted({"to_stac", *_VERBS})


pd.api.extensions.register_dataframe_accessor("gn")(GeoperaAccessor)
pd.api.extensions.register_dataframe_accessor("geopera")(GeoperaAccessor)
