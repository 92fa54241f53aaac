"""Request and response models of the Orders & Tasking API (pydantic v2).

Each model mirrors one schema of Geopera's OpenAPI document (version 2.1.0): same field
names, types, defaults and required flags. ``tests/contract/test_drift.py`` loads the
OpenAPI subset from ``../shared/geopera-api/`` and fails on any difference.

Input models forbid unknown fields, so a typo'd keyword is reported with its name
before any request is sent. Output models allow extra fields (the API's outputs are
open objects), so nothing the server adds is dropped.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class InputModel(BaseModel):
    """Base of request bodies: unknown fields are errors, nothing is coerced silently."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class OutputModel(BaseModel):
    """Base of typed outputs: open objects, unknown fields are kept."""

    model_config = ConfigDict(extra="allow")


# --- archive ---------------------------------------------------------------------------


class ArchiveEstimateInput(InputModel):
    captures: list[dict[str, Any]] | None = None
    splitByDate: bool | None = False


class ArchiveEstimateOutput(OutputModel):
    groups: list[dict[str, Any]] | None = None
    errors: list[dict[str, Any]] | None = None
    total_aud: float = 0.0
    total_credits: int = 0


# --- catalog ---------------------------------------------------------------------------


class CloudQuery(InputModel):
    """Provider-shape comparison, ``query.cloudCoverage: {GT|GTE|LT|LTE: number}``."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    GT: float | None = None
    GTE: float | None = None
    LT: float | None = None
    LTE: float | None = None


class CatalogSearchInput(InputModel):
    collections: list[str] | None = None
    ids: list[str] | None = None
    datetime: str | None = None
    limit: int = Field(default=100, ge=1, le=500)
    query: dict[str, CloudQuery] | None = None
    bbox: list[float] | None = None
    intersects: dict[str, Any] | None = None
    full_catalog: bool | None = None
    host_name: str
    next: str | None = None


class CatalogSearchOutput(OutputModel):
    pass


# --- orders ----------------------------------------------------------------------------


class OrderIdInput(InputModel):
    order_id: str


class CoverageInput(OrderIdInput):
    pass


class OrderAssetsInput(OrderIdInput):
    pass


class OrderCancelInput(OrderIdInput):
    pass


class OrderGetInput(OrderIdInput):
    pass


class OrderCancelOutput(OutputModel):
    orderId: str
    status: str


class EstimateInput(InputModel):
    dataProduct: str
    displayName: str = ""
    params: dict[str, Any] | None = None
    featureCollection: dict[str, Any] | None = None
    tags: list[str] | None = None


class OrderPlaceInput(InputModel):
    workspaceId: str
    dataProduct: str
    displayName: str = ""
    params: dict[str, Any] | None = None
    featureCollection: dict[str, Any] | None = None
    tags: list[str] | None = None


class OrderPlaceOutput(OutputModel):
    pass


class OrderSchemaInput(InputModel):
    data_product_id: str


class OrderUpdateInput(InputModel):
    order_id: str
    tags: list[str] | None = None


class OrderUpdateOutput(OutputModel):
    pass


class OrdersListInput(InputModel):
    workspaceId: str | None = None
    type: str | None = None
    status: str | None = None
    subStatus: str | None = None
    displayName: str | None = None
    dataProductIds: str | None = None
    orderIds: str | None = None
    tags: str | None = None
    size: int = 20
    page: int = 0
    sort: str = "createdAt,desc"


# --- tasking ---------------------------------------------------------------------------


class DecisionsPendingInput(InputModel):
    workspaceId: str | None = None
    page: int = 0
    size: int = 20
    kinds: str | None = None


class FeasibilityCheckInput(InputModel):
    dataProduct: str
    displayName: str | None = None
    featureCollection: dict[str, Any] = Field(default_factory=dict)
    params: dict[str, Any] | None = None


class FeasibilityDecideInput(InputModel):
    study_id: str
    acceptedOptionId: str


class QuotationDecideInput(InputModel):
    quotation_id: str
    decision: str = Field(pattern=r"^(ACCEPTED|REJECTED)$")


class StudiesListInput(InputModel):
    id: str | None = None
    workspaceId: str | None = None
    orderId: str | None = None
    decision: str | None = None
    page: int = 0
    size: int = 20


class TaskingEstimateInput(InputModel):
    groups: list[dict[str, Any]] | None = None


class TaskingEstimateOutput(OutputModel):
    groups: list[dict[str, Any]] | None = None
    errors: list[dict[str, Any]] | None = None
    totalAud: float = 0.0
    totalCredits: int = 0


class TaskingSensorsInput(InputModel):
    pass


class TaskingSensorsOutput(OutputModel):
    sensors: list[dict[str, Any]] | None = None


class TemplateDeleteInput(InputModel):
    template_id: str


class TemplateDeleteOutput(OutputModel):
    template_id: str
    deleted: bool = True


class TemplateListInput(InputModel):
    pass


class TemplateListOutput(OutputModel):
    templates: list[dict[str, Any]] | None = None


class TemplateSaveInput(InputModel):
    name: str = Field(min_length=1, max_length=255)
    description: str | None = None
    capture_asap: bool = True
    resolution: str
    sensor: str
    capture_frequency: str
    datum: str
    file_format: str
    has_control: bool = False
    max_cloud_coverage: int = 0
    max_nadir_angle: int = 0


class TemplateSaveOutput(OutputModel):
    id: str
    name: str


# --- errors ----------------------------------------------------------------------------


class Problem(OutputModel):
    """RFC 7807 problem detail object."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str


class ValidationErrorItem(OutputModel):
    loc: list[str | int]
    msg: str
    type: str


class HTTPValidationError(OutputModel):
    detail: list[ValidationErrorItem] | None = None


# Our shapes for the two free-form placement bodies (docs/api-shapes.md). The OpenAPI
# document types them as any object; the sandbox validates them with these models.


class ArchivePlaceBody(InputModel):
    workspaceId: str | None = None
    displayName: str = ""
    tags: list[str] | None = None
    captures: list[dict[str, Any]]
    splitByDate: bool = False


class TaskingPlaceBody(InputModel):
    workspaceId: str | None = None
    displayName: str = ""
    tags: list[str] | None = None
    groups: list[dict[str, Any]]


#: The models named as in the OpenAPI document (``components.schemas``).
OPENAPI_MODELS: dict[str, type[BaseModel]] = {
    "ArchiveEstimateInput": ArchiveEstimateInput,
    "ArchiveEstimateOutput": ArchiveEstimateOutput,
    "CatalogSearchInput": CatalogSearchInput,
    "CatalogSearchOutput": CatalogSearchOutput,
    "CloudQuery": CloudQuery,
    "CoverageInput": CoverageInput,
    "DecisionsPendingInput": DecisionsPendingInput,
    "EstimateInput": EstimateInput,
    "FeasibilityCheckInput": FeasibilityCheckInput,
    "FeasibilityDecideInput": FeasibilityDecideInput,
    "HTTPValidationError": HTTPValidationError,
    "OrderAssetsInput": OrderAssetsInput,
    "OrderCancelInput": OrderCancelInput,
    "OrderCancelOutput": OrderCancelOutput,
    "OrderGetInput": OrderGetInput,
    "OrderPlaceInput": OrderPlaceInput,
    "OrderPlaceOutput": OrderPlaceOutput,
    "OrderSchemaInput": OrderSchemaInput,
    "OrderUpdateInput": OrderUpdateInput,
    "OrderUpdateOutput": OrderUpdateOutput,
    "OrdersListInput": OrdersListInput,
    "Problem": Problem,
    "QuotationDecideInput": QuotationDecideInput,
    "StudiesListInput": StudiesListInput,
    "TaskingEstimateInput": TaskingEstimateInput,
    "TaskingEstimateOutput": TaskingEstimateOutput,
    "TaskingSensorsInput": TaskingSensorsInput,
    "TaskingSensorsOutput": TaskingSensorsOutput,
    "TemplateDeleteInput": TemplateDeleteInput,
    "TemplateDeleteOutput": TemplateDeleteOutput,
    "TemplateListInput": TemplateListInput,
    "TemplateListOutput": TemplateListOutput,
    "TemplateSaveInput": TemplateSaveInput,
    "TemplateSaveOutput": TemplateSaveOutput,
    "ValidationError": ValidationErrorItem,
}
