"""Operation routes, generated from the contract's operations table.

Every operation answers at ``POST /v1/op/{id}`` and ``POST /v1/{resource}/{action}``
through the same pipeline: authenticate (401) -> scope (403) -> read the body (415 not
a JSON media type / 413 too large / 408 too slow / 422 not JSON) -> rate limit (429) ->
validate the body (422, in a worker thread) -> idempotency -> prepare (the slow domain
work of a placement: validation, pricing, feasibility, outside the write transaction) ->
handler (domain 4xx, inside it) -> serialise (JSON, or NDJSON with a trailer for
list-like operations). A caller without the scope spends no rate-limit budget; an
idempotent replay of a stored answer counts against the general bucket only.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from geopera_nb.contract import OPERATIONS, Operation

from ..problems import Problem
from ..service.call import Call
from ..service.clock import catch_up
from ..service.registry import HANDLERS, PREPARE
from ..state.backend import Backend
from ..state.idempotency import Stored, body_hash, check_key, lookup, run_once
from ..state.scopes import granted, missing_scope_detail
from .bodies import body_model, read_json, validate
from .body_schemas import BodySchemas
from .openapi import NDJSON

#: Quick reads answered on the event loop (a thread hop costs more than they do).
INLINE_OPS = frozenset({
    "orders.get", "orders.list", "orders.get_schema", "orders.tasking.sensors",
    "orders.tasking.templates.list", "orders.tasking.decisions.pending",
    "orders.tasking.feasibility_studies.list", "orders.tasking.quotations.list",
})

JSON = "application/json"
_NDJSON_CHUNK = 200


def wants_ndjson(request: Request) -> bool:
    """Whether the client asked for NDJSON (``Accept: application/x-ndjson``)."""
    return NDJSON in request.headers.get("accept", "")


def json_response(result: Any, status: int) -> Response:
    """A JSON answer (orjson; raw fragments pass through)."""
    return Response(content=orjson.dumps(result), status_code=status, media_type=JSON)


def _ndjson_lines(records: list[Any], extra: dict[str, Any]) -> Iterator[bytes]:
    count = 0
    try:
        for start in range(0, len(records), _NDJSON_CHUNK):
            batch = records[start:start + _NDJSON_CHUNK]
            yield b"".join(orjson.dumps(r) + b"\n" for r in batch)
            count += len(batch)
        yield orjson.dumps({"stream": {"status": "complete", "count": count, **extra}}) + b"\n"
    except Exception as exc:  # pragma: no cover - serialisation failure mid-stream
        problem = Problem(500, f"stream failed after {count} records: {type(exc).__name__}")
        yield orjson.dumps({"stream": {"status": "error", "problem": problem.to_dict()}}) + b"\n"


def ndjson_response(op: Operation, result: Any) -> Response:
    """The records of a list-like answer, one per line, then the trailer."""
    assert op.records is not None
    records = list(result.get(op.records) or []) if isinstance(result, dict) else []
    extra: dict[str, Any] = {}
    if isinstance(result, dict) and "next" in result:
        extra["next"] = result["next"]
    return StreamingResponse(_ndjson_lines(records, extra), media_type=NDJSON)


def execute(backend: Backend, op: Operation, call: Call, idem_key: str | None,
            ndjson: bool) -> Response:
    """Run an authorised, validated call (in a worker thread)."""
    handler = HANDLERS[op.id]
    catch_up(backend, call.org_id)
    call.now_ms = backend.now_ms
    if op.side_effect == "read":
        result = handler(call)
        return ndjson_response(op, result) if ndjson else json_response(result, op.success_status)

    prepare_fn = PREPARE.get(op.id)

    def prepare() -> None:
        if prepare_fn is not None:
            call.extra["prepared"] = prepare_fn(call)

    def work(tx: Any) -> Stored:
        call.tx = tx
        result = handler(call)
        return Stored(op.success_status, JSON, orjson.dumps(result))

    if op.spends and idem_key is not None:
        key = idem_key

        def peek(digest: str) -> Stored | None:
            return lookup(backend.store, call.org_id, op.id, key, digest, backend.now_ms)

        stored = run_once(backend.claims, backend.write, call.org_id, op.id, idem_key,
                          call.extra["raw"], lambda: backend.now_ms, work, prepare, peek)
    else:
        prepare()
        with backend.write() as tx:
            stored = work(tx)
    headers = {"Idempotent-Replayed": "true"} if stored.replayed else {}
    return Response(content=stored.body, status_code=stored.status, media_type=stored.media_type,
                    headers=headers)


def _is_replay(backend: Backend, org_id: str, op_id: str, key: str, raw: Any) -> bool:
    """Whether a stored answer exists for this key and body (a replay spends nothing)."""
    try:
        found = lookup(backend.store, org_id, op_id, key, body_hash(raw), backend.now_ms)
    except Problem:  # same key, other body: the 409 comes later, as a counted call
        return False
    return found is not None


def make_endpoint(backend: Backend, schemas: BodySchemas, op: Operation) -> Any:
    """The ASGI endpoint of one operation."""
    model = body_model(op)

    async def endpoint(request: Request) -> Response:
        now = backend.now_ms
        principal = backend.auth.authenticate(request.headers.get("authorization"),
                                              request.headers.get("x-api-key"), now)
        if not granted(principal.scopes, op.scope):
            raise Problem(403, missing_scope_detail(op.scope, op.id), scope=op.scope,
                          operation=op.id)
        raw = await read_json(request, backend.config.max_body_bytes)
        idem_key = request.headers.get("idempotency-key")
        replay = False
        if idem_key is not None and op.spends:
            check_key(idem_key)
            replay = _is_replay(backend, principal.org_id, op.id, idem_key, raw)
        backend.limiter.hit(principal.org_id, op.id, op.spends, replay=replay)
        ndjson = op.records is not None and wants_ndjson(request)

        def run() -> Response:
            # validating a large body (pydantic, then the documented JSON Schema) takes
            # as long as its AOIs are big: off the event loop, like the work itself, so
            # it never stalls another org's request
            body = validate(model, raw, op)
            schemas.check(op.id, {} if raw is None else raw)
            call = Call(backend=backend, principal=principal, body=body, now_ms=now,
                        stream_all=ndjson, extra={"raw": raw})
            return execute(backend, op, call, idem_key if op.spends else None, ndjson)

        if op.id in INLINE_OPS and not ndjson:
            return run()
        return await run_in_threadpool(run)

    endpoint.__name__ = "op_" + op.id.replace(".", "_")
    return endpoint


def operation_routes(backend: Backend, schemas: BodySchemas) -> list[Route]:
    """Both URL forms of every operation of the contract."""
    routes: list[Route] = []
    for op in OPERATIONS:
        endpoint = make_endpoint(backend, schemas, op)
        routes.append(Route(op.op_path, endpoint, methods=["POST"]))
        routes.append(Route(op.resource_path, endpoint, methods=["POST"]))
    return routes
