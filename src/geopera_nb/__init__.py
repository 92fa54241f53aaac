"""geopera-nb: buy and follow Geopera satellite imagery from JupyterLab.

Heavy parts (geopandas frames, ipyleaflet widgets, the sandbox server) are imported on
first use, so ``import geopera_nb`` stays fast for command-line use.

Examples
--------
>>> import geopera_nb as gn
>>> sorted(gn.__all__)[:3]
['AsyncClient', 'Client', 'GeoperaError']
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# name -> module that defines it (imported lazily on first attribute access)
_LAZY: dict[str, str] = {
    "Client": "geopera_nb.client",
    "AsyncClient": "geopera_nb.client",
    "RetryPolicy": "geopera_nb.client",
    "connect": "geopera_nb.client",
    "GeoperaError": "geopera_nb.errors",
    "errors": "geopera_nb.errors",
    "sandbox": "geopera_nb.sandbox",
    "contract": "geopera_nb.contract",
    "OPERATIONS": "geopera_nb.contract",
}

__all__ = sorted([*_LAZY, "__version__"])


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'geopera_nb' has no attribute {name!r}")
    module = importlib.import_module(module_name)
    value = module if module_name.endswith("." + name) else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
