"""Each error class from real-shaped bodies (problem+json and the 422 ``detail`` list)."""

from __future__ import annotations

import pickle

import httpx
import orjson
import pytest
from client_helpers import json_response, problem, sequence

from geopera_nb import errors

CASES = [
    (401, "unauthenticated", "invalid or expired token", errors.UnauthenticatedError),
    (402, "insufficient-credits", "needs 74880 credits, balance 100",
     errors.InsufficientCreditsError),
    (403, "forbidden", "missing scope 'orders:write' for 'orders.archive.place'",
     errors.ForbiddenError),
    (404, "not-found", "order not found", errors.NotFoundError),
    (409, "conflict", "quotation already decided", errors.ConflictError),
    (410, "gone", "quotation expired", errors.GoneError),
    (429, "rate-limited", "60 calls per minute", errors.RateLimitedError),
    (500, "internal", "boom", errors.ServerError),
    (503, "unavailable", "maintenance", errors.ServerError),
    (413, "payload-too-large", "body over 5 MB", errors.APIError),
]


@pytest.mark.parametrize(("status", "slug", "detail", "cls"), CASES)
def test_problem_json_maps_to_its_class(status: int, slug: str, detail: str,
                                        cls: type[errors.APIError]) -> None:
    err = errors.from_response(problem(status, detail, slug), "orders.get")
    assert type(err) is cls
    assert isinstance(err, errors.APIError) and isinstance(err, errors.GeoperaError)
    assert err.status == status
    assert err.detail == detail
    assert err.problem["type"].endswith(slug)
    assert err.operation == "orders.get"
    assert detail in str(err) and "orders.get" in str(err)


def test_forbidden_names_the_scope_from_detail_or_member() -> None:
    err = errors.from_response(problem(403, "missing scope 'orders:write' for 'orders.cancel'"))
    assert isinstance(err, errors.ForbiddenError) and err.scope == "orders:write"
    member = errors.from_response(problem(403, "no", scope="items:read"))
    assert isinstance(member, errors.ForbiddenError) and member.scope == "items:read"


def test_insufficient_credits_members() -> None:
    err = errors.from_response(problem(402, "short", required_credits=500, balance_credits=10))
    assert isinstance(err, errors.InsufficientCreditsError)
    assert (err.required_credits, err.balance_credits) == (500, 10)


def test_validation_error_keeps_every_loc_and_msg() -> None:
    body = {"detail": [
        {"loc": ["body", "featureCollection", "features", 0, "geometry"],
         "msg": "Self-intersection[150.05 -33.95]", "type": "value_error"},
        {"loc": ["body", "dataProduct"], "msg": "Field required", "type": "missing"},
    ]}
    err = errors.from_response(json_response(body, 422), "orders.place")
    assert isinstance(err, errors.ValidationError)
    assert [e["loc"] for e in err.errors] == [
        ["body", "featureCollection", "features", 0, "geometry"], ["body", "dataProduct"]]
    text = str(err)
    assert "body.featureCollection.features.0.geometry: Self-intersection" in text
    assert "body.dataProduct: Field required" in text


def test_rate_limited_retry_after_seconds_and_date() -> None:
    err = errors.from_response(problem(429, "slow down", headers={"Retry-After": "7"}))
    assert isinstance(err, errors.RateLimitedError) and err.retry_after == 7.0
    dated = errors.from_response(problem(429, "x", headers={
        "Retry-After": "Wed, 21 Oct 2099 07:28:00 GMT"}))
    assert isinstance(dated, errors.RateLimitedError)
    assert dated.retry_after is not None and dated.retry_after > 1e8


def test_non_json_error_body_is_kept_as_detail() -> None:
    response = httpx.Response(502, text="<html>Bad gateway</html>",
                              headers={"content-type": "text/html"})
    err = errors.from_response(response, "orders.list")
    assert isinstance(err, errors.ServerError) and err.status == 502
    assert "Bad gateway" in err.detail


def test_empty_error_body() -> None:
    err = errors.from_response(httpx.Response(404), "orders.get")
    assert isinstance(err, errors.NotFoundError) and "no body" in err.detail


def test_from_problem_for_stream_trailers() -> None:
    err = errors.from_problem({"status": 410, "title": "Gone", "detail": "expired"}, "x")
    assert isinstance(err, errors.GoneError)


def test_request_validation_error_is_a_type_error_and_aoi_error_a_value_error() -> None:
    assert issubclass(errors.RequestValidationError, TypeError)
    assert issubclass(errors.AOIError, ValueError) and issubclass(errors.AOIError, TypeError)
    assert issubclass(errors.RequestTimeoutError, TimeoutError)
    assert issubclass(errors.WaitTimeoutError, TimeoutError)
    assert issubclass(errors.TruncatedStreamError, errors.StreamError)


def test_client_raises_typed_errors_never_returns_none(make_client) -> None:
    client, _ = make_client(sequence(problem(404, "order not found", "not-found")))
    with pytest.raises(errors.NotFoundError) as info:
        client.orders.get(order_id="nope")
    assert info.value.status == 404 and info.value.operation == "orders.get"


def test_success_with_wrong_content_type_raises(make_client) -> None:
    client, _ = make_client(sequence(httpx.Response(200, text="<html>login</html>",
                                                    headers={"content-type": "text/html"})))
    with pytest.raises(errors.ResponseError, match="expected application/json"):
        client.orders.get(order_id="o")


def test_success_with_invalid_json_raises(make_client) -> None:
    client, _ = make_client(sequence(httpx.Response(200, content=b"{not json",
                                                    headers={"content-type": "application/json"})))
    with pytest.raises(errors.ResponseError, match="not valid JSON"):
        client.orders.get(order_id="o")


def test_api_errors_pickle_free_of_requests() -> None:
    err = errors.from_response(problem(409, "twice"), "orders.cancel")
    assert not any(isinstance(v, httpx.Request) for v in vars(err).values())
    assert orjson.dumps(err.problem)
    # the problem survives a round trip through pickle-able data
    assert pickle.loads(pickle.dumps(err.problem)) == err.problem


def test_an_unread_error_body_still_gives_a_typed_error() -> None:
    """A streamed error whose body could not be read stays inside the error tree."""
    import httpx

    from geopera_nb.errors import ServerError, from_response

    response = httpx.Response(503, stream=httpx.ByteStream(b""))  # never read
    error = from_response(response, "orders.list")
    assert isinstance(error, ServerError) and error.status == 503
