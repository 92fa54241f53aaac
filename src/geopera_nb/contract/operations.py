"""The operations table: one row per Geopera operation, the single source of truth.

The client's namespaces, the sandbox's routes, the CLI's commands and the README's
operations table are all generated from :data:`OPERATIONS`. Adding an operation is one
row here plus its behaviour in the sandbox.

Examples
--------
>>> from geopera_nb.contract import OPERATIONS_BY_ID
>>> op = OPERATIONS_BY_ID["orders.tasking.feasibility_studies.list"]
>>> op.scope, op.side_effect, op.resource_path
('orders:read', 'read', '/v1/orders/tasking/feasibility_studies/list')
>>> op.attribute_path
('orders', 'tasking', 'feasibility_studies', 'list')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel

from . import models as m

SideEffect = Literal["read", "spend", "compute"]
ResponseKind = Literal["typed", "payload"]


@dataclass(frozen=True)
class Operation:
    """One row of the operations table.

    Attributes
    ----------
    id
        The operation id, e.g. ``"orders.tasking.estimate"``.
    summary
        The reference's one-line description (the client's docstring).
    scope
        The scope a credential needs, e.g. ``"orders:read"``.
    side_effect
        ``"read"`` (nothing changes), ``"compute"`` (changes metadata) or ``"spend"``
        (moves money; accepts an ``Idempotency-Key``).
    request_model
        The pydantic model of the JSON body, or ``None`` for a free-form object.
    request_schema
        The OpenAPI schema name of the body (``None`` for free-form).
    response_kind
        ``"typed"`` when the reference names an output model, else ``"payload"``.
    response_model
        The output model for ``"typed"`` responses.
    success_status
        200, or 202 for the two ``*.place`` operations.
    paged
        Whether the operation answers a Spring page and takes ``page``/``size``.
    records
        The field of the answer that holds the records streamed as NDJSON
        (``None``: no NDJSON form).
    in_reference
        False only for ``catalog.search``, which the OpenAPI subset adds.
    """

    id: str
    summary: str
    scope: str
    side_effect: SideEffect
    request_model: type[BaseModel] | None
    request_schema: str | None
    response_kind: ResponseKind
    response_model: type[BaseModel] | None = None
    success_status: int = 200
    paged: bool = False
    records: str | None = None
    in_reference: bool = True

    @property
    def op_path(self) -> str:
        """``/v1/op/{id}``, the first URL form."""
        return f"/v1/op/{self.id}"

    @property
    def resource_path(self) -> str:
        """``/v1/{resource}/{action}`` (dots become slashes), the second URL form."""
        return "/v1/" + self.id.replace(".", "/")

    @property
    def attribute_path(self) -> tuple[str, ...]:
        """Where the operation lives on a client, e.g. ``("orders", "get")``."""
        return tuple(self.id.split("."))

    @property
    def cli_words(self) -> tuple[str, ...]:
        """The official CLI's command words, e.g. ``("orders", "get-schema")``."""
        return tuple(part.replace("_", "-") for part in self.id.split("."))

    @property
    def spends(self) -> bool:
        """True for spending operations (they carry an ``Idempotency-Key``)."""
        return self.side_effect == "spend"


def _op(
    id: str,
    summary: str,
    scope: str,
    side_effect: SideEffect,
    request_model: type[BaseModel] | None,
    response_model: type[BaseModel] | None = None,
    **extra: object,
) -> Operation:
    return Operation(
        id=id,
        summary=summary,
        scope=scope,
        side_effect=side_effect,
        request_model=request_model,
        request_schema=request_model.__name__ if request_model is not None else None,
        response_kind="typed" if response_model is not None else "payload",
        response_model=response_model,
        **extra,  # type: ignore[arg-type]
    )


OPERATIONS: tuple[Operation, ...] = (
    _op("orders.archive.estimate",
        "Preview the server-authoritative AOI price for a cart of archive captures.",
        "orders:read", "read", m.ArchiveEstimateInput, m.ArchiveEstimateOutput),
    _op("orders.archive.place", "Invoke Archive Place.", "orders:write", "spend", None,
        success_status=202),
    _op("orders.cancel", "Cancel an order (policy-gated), refunding/voiding its reservation.",
        "orders:write", "spend", m.OrderCancelInput, m.OrderCancelOutput),
    _op("orders.coverage.get",
        "Covered-vs-remainder coverage for a fulfilled/fulfilling tasking order.",
        "orders:read", "read", m.CoverageInput),
    _op("orders.coverage.groups.list",
        "Per-AOI delivered-vs-requested coverage for a tasking order (any status).",
        "orders:read", "read", m.CoverageInput, records="groups"),
    _op("orders.estimate", "Price-preview an order without committing (provider-compatible).",
        "items:read", "read", m.EstimateInput),
    _op("orders.get", "Get a single order (org-scoped).", "orders:read", "read",
        m.OrderGetInput),
    _op("orders.get_schema", "Get the dynamic order-form schema for a data product (reference).",
        "items:read", "read", m.OrderSchemaInput),
    _op("orders.list", "List the org’s orders (filtered, paged, provider-compatible).",
        "orders:read", "read", m.OrdersListInput, paged=True, records="content"),
    _op("orders.list_assets",
        "List the items + assets delivered for an order (STAC FeatureCollection).",
        "items:read", "read", m.OrderAssetsInput, records="features"),
    _op("orders.place",
        "Place order(s) from a FeatureCollection (archive reserves; tasking queues feasibility).",
        "orders:write", "spend", m.OrderPlaceInput, m.OrderPlaceOutput),
    _op("orders.tasking.decisions.pending",
        "Unified inbox of the org’s pending tasking decisions (feasibility + quotation).",
        "orders:read", "read", m.DecisionsPendingInput, paged=True, records="content"),
    _op("orders.tasking.estimate",
        "Preview the server-authoritative price for an AOI-priced tasking request.",
        "orders:read", "read", m.TaskingEstimateInput, m.TaskingEstimateOutput),
    _op("orders.tasking.feasibility_check",
        "Predict whether a tasking order needs a feasibility study (per-feature).",
        "orders:read", "read", m.FeasibilityCheckInput),
    _op("orders.tasking.feasibility_decide",
        "Accept a feasibility-study option (one-step priced accept reserves/post-pays).",
        "orders:write", "spend", m.FeasibilityDecideInput),
    _op("orders.tasking.feasibility_studies.list",
        "List the org’s feasibility studies (+ their options, paged).",
        "orders:read", "read", m.StudiesListInput, paged=True, records="content"),
    _op("orders.tasking.opportunities_list",
        "Predicted satellite passes for a tasking AOI (manual-feasibility: empty).",
        "orders:read", "read", m.FeasibilityCheckInput, records="features"),
    _op("orders.tasking.place", "Invoke Tasking Place.", "orders:write", "spend", None,
        success_status=202),
    _op("orders.tasking.quotation_decide",
        "Accept or reject a tasking quotation (accept reserves/post-pays).",
        "orders:write", "spend", m.QuotationDecideInput),
    _op("orders.tasking.quotations.list", "List the org’s tasking quotations (paged).",
        "orders:read", "read", m.StudiesListInput, paged=True, records="content"),
    _op("orders.tasking.sensors",
        "List the tasking sensor catalog (ids, resolution, bands, pricing inputs).",
        "orders:read", "read", m.TaskingSensorsInput, m.TaskingSensorsOutput, records="sensors"),
    _op("orders.tasking.templates.delete", "Soft-delete a tasking template (org-scoped).",
        "orders:write", "compute", m.TemplateDeleteInput, m.TemplateDeleteOutput),
    _op("orders.tasking.templates.list",
        "List the caller organization’s active tasking templates.",
        "orders:read", "read", m.TemplateListInput, m.TemplateListOutput, records="templates"),
    _op("orders.tasking.templates.save",
        "Save a reusable tasking acquisition template for the caller’s organization.",
        "orders:write", "compute", m.TemplateSaveInput, m.TemplateSaveOutput),
    _op("orders.update", "Patch an order’s tags (metadata only; provider merge-patch).",
        "orders:write", "compute", m.OrderUpdateInput, m.OrderUpdateOutput),
    _op("catalog.search",
        "Search a commercial-imagery host's catalog (STAC, price-enriched).",
        "catalog:read", "read", m.CatalogSearchInput, m.CatalogSearchOutput,
        records="features", in_reference=False),
)

OPERATIONS_BY_ID: dict[str, Operation] = {op.id: op for op in OPERATIONS}

#: Our body models for the two operations the OpenAPI document leaves free-form.
PLACE_BODY_MODELS: dict[str, type[BaseModel]] = {
    "orders.archive.place": m.ArchivePlaceBody,
    "orders.tasking.place": m.TaskingPlaceBody,
}
