"""Which service function answers which operation (and which does work before the lock).

Every operation of the contract has exactly one handler here;
``tests/sandbox/test_server_layers.py`` checks the table against
:data:`geopera_nb.contract.OPERATIONS`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import (
    archive,
    assets,
    catalog,
    coverage,
    decisions,
    feasibility,
    orders,
    orders_place,
    quotations,
    tasking_orders,
    templates,
)
from .call import Call

Handler = Callable[[Call], Any]

#: Domain work done before the write transaction (slow, needs no lock); its result is
#: handed to the handler as ``call.extra["prepared"]``.
PREPARE: dict[str, Handler] = {
    "orders.archive.place": archive.prepare,
    "orders.tasking.place": tasking_orders.prepare,
    "orders.place": orders_place.prepare,
}

HANDLERS: dict[str, Handler] = {
    "orders.archive.estimate": archive.estimate,
    "orders.archive.place": archive.place,
    "orders.cancel": orders.cancel,
    "orders.coverage.get": coverage.get,
    "orders.coverage.groups.list": coverage.groups,
    "orders.estimate": orders_place.estimate,
    "orders.get": orders.get,
    "orders.get_schema": catalog.get_schema,
    "orders.list": orders.list_orders,
    "orders.list_assets": assets.list_assets,
    "orders.place": orders_place.place,
    "orders.tasking.decisions.pending": decisions.pending,
    "orders.tasking.estimate": tasking_orders.estimate,
    "orders.tasking.feasibility_check": feasibility.check,
    "orders.tasking.feasibility_decide": feasibility.decide,
    "orders.tasking.feasibility_studies.list": feasibility.studies_list,
    "orders.tasking.opportunities_list": feasibility.opportunities,
    "orders.tasking.place": tasking_orders.place,
    "orders.tasking.quotation_decide": quotations.decide,
    "orders.tasking.quotations.list": quotations.quotations_list,
    "orders.tasking.sensors": catalog.sensors,
    "orders.tasking.templates.delete": templates.delete,
    "orders.tasking.templates.list": templates.list_templates,
    "orders.tasking.templates.save": templates.save,
    "orders.update": orders.update,
    "catalog.search": catalog.catalog_search,
}
