"""Client namespaces generated from the operations table.

``client.orders.tasking.feasibility_studies.list`` exists because the contract has a
row ``orders.tasking.feasibility_studies.list``: :func:`build_namespaces` turns the
dotted ids into a tree of namespace classes whose leaves are real methods with

- ``__doc__``: the reference's summary, scope, side effect, URL, and a numpydoc
  ``Parameters`` section listing the body fields;
- ``__signature__``: keyword-only parameters from the request model (plus
  ``idempotency_key`` for spending operations), so Jupyter's shift-tab shows them;
- ``dir()`` listing the children, so tab completion works.

The tree is built once per client class (at class creation, by :func:`with_operations`),
sync methods for :class:`~geopera_nb.client.Client`, coroutine methods for
:class:`~geopera_nb.client.AsyncClient`.

Examples
--------
>>> from geopera_nb.client import Client
>>> print(Client.namespace_class("orders").__doc__.splitlines()[0])
Geopera ``orders`` operations.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from ..contract import OPERATIONS, Operation
from ..geo import AOILike
from .bodies import AOI_FIELDS, body_model, is_liberal

__all__ = ["Namespace", "build_namespaces", "method_doc", "method_signature", "with_operations"]


class Namespace:
    """A group of operations (``client.orders``, ``client.orders.tasking``...)."""

    _path: tuple[str, ...] = ()
    _children: tuple[str, ...] = ()

    def __init__(self, client: Any) -> None:
        self._client = client
        for name in self._children:
            child = getattr(type(self), name)
            if isinstance(child, type) and issubclass(child, Namespace):
                object.__setattr__(self, name, child(client))

    def __dir__(self) -> list[str]:
        return sorted(self._children)

    def __repr__(self) -> str:
        return f"<{'.'.join(self._path)}: {', '.join(sorted(self._children))}>"

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        hint = difflib.get_close_matches(name, self._children, n=1)
        where = ".".join(self._path)
        suggestion = f"; did you mean {hint[0]!r}?" if hint else (
            f"; it has: {', '.join(sorted(self._children))}")
        raise AttributeError(f"'{where}' has no operation or group {name!r}{suggestion}")


def _type_name(annotation: Any) -> str:
    text = inspect.formatannotation(annotation)
    return text.replace("typing.", "")


def _default_of(info: FieldInfo) -> Any:
    if info.default is not PydanticUndefined:
        return info.default
    if info.default_factory is not None:
        factory: Callable[[], Any] = info.default_factory  # type: ignore[assignment]
        return factory()
    return inspect.Parameter.empty


def method_signature(op: Operation, *, is_async: bool) -> inspect.Signature:
    """Keyword-only parameters from the request model (and ``idempotency_key``)."""
    model = body_model(op)
    params = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    for name, info in model.model_fields.items():
        annotation: Any = info.annotation
        if name in AOI_FIELDS:
            annotation = AOILike | None if not info.is_required() else AOILike
        params.append(inspect.Parameter(
            name, inspect.Parameter.KEYWORD_ONLY,
            default=inspect.Parameter.empty if info.is_required() else _default_of(info),
            annotation=annotation))
    if op.spends:
        params.append(inspect.Parameter("idempotency_key", inspect.Parameter.KEYWORD_ONLY,
                                        default=None, annotation=str | None))
    params.append(inspect.Parameter("deadline", inspect.Parameter.KEYWORD_ONLY,
                                    default=None, annotation=float | None))
    if is_liberal(op):
        params.append(inspect.Parameter("extra", inspect.Parameter.VAR_KEYWORD,
                                        annotation=Any))
    return inspect.Signature(params, return_annotation=dict[str, Any])


def method_doc(op: Operation, *, is_async: bool) -> str:
    """The numpydoc docstring of an operation method."""
    model = body_model(op)
    call = "await client" if is_async else "client"
    lines = [
        op.summary,
        "",
        f"Scope ``{op.scope}`` · side effect ``{op.side_effect}`` · "
        f"``POST {op.op_path}`` (also ``{op.resource_path}``) · success {op.success_status}.",
    ]
    if op.spends:
        lines += ["", "A spending operation: an ``Idempotency-Key`` (UUID v4, or yours) is sent",
                  "and reused by every retry, so a retried call never spends twice."]
    if op.paged:
        lines += ["", "Answers one Spring page; ``iter_records`` walks every page lazily."]
    lines += ["", "Parameters", "----------"]
    fields = model.model_fields
    if not fields and not op.spends:
        lines.append("None.")
    for name, info in fields.items():
        kind = "AOI (shapely, GeoDataFrame, GeoJSON, WKT...)" if name in AOI_FIELDS else (
            _type_name(info.annotation))
        if info.is_required():
            head = f"{name} : {kind}"
            note = "Required."
        else:
            default = _default_of(info)
            head = f"{name} : {kind}, optional"
            note = f"Server default ``{default!r}``; sent only when given." if (
                default is not None) else "Sent only when given."
        lines += [head, f"    {note}"]
    if op.spends:
        lines += ["idempotency_key : str, optional",
                  "    Pin the key (e.g. to resume a call that failed); default: a new UUID v4."]
    lines += ["deadline : float, optional",
              "    Total seconds for this call, retries and waits included (default: the",
              "    client's ``deadline``); past it ``DeadlineExceededError``."]
    if is_liberal(op):
        lines += ["**extra", "    Further body members (the OpenAPI body is free-form)."]
    lines += [
        "", "Returns", "-------", "dict",
        "    The parsed JSON answer" + (f" ({op.response_model.__name__})."
                                       if op.response_model is not None else "."),
        "", "Raises", "------",
        "geopera_nb.errors.RequestValidationError",
        "    A field is unknown, missing or of the wrong type (nothing is sent).",
        "geopera_nb.errors.APIError",
        "    The server refused (typed by status: 401, 402, 403, 404, 409, 410, 422, 429, 5xx).",
        "", "Examples", "--------",
        f">>> {call}.{op.id}(...)  # doctest: +SKIP",
    ]
    return "\n".join(lines)


def _make_method(op: Operation, *, is_async: bool) -> Callable[..., Any]:
    spends = op.spends
    op_id = op.id

    if "deadline" in body_model(op).model_fields:  # pragma: no cover - a guard
        raise ValueError(f"{op_id}: a body field named 'deadline' would hide the keyword")

    if is_async:
        async def amethod(self: Namespace, **fields: Any) -> dict[str, Any]:
            key = fields.pop("idempotency_key", None) if spends else None
            deadline = fields.pop("deadline", None)
            result: dict[str, Any] = await self._client.call(op_id, fields,
                                                            idempotency_key=key,
                                                            deadline=deadline)
            return result

        method: Callable[..., Any] = amethod
    else:
        def smethod(self: Namespace, **fields: Any) -> dict[str, Any]:
            key = fields.pop("idempotency_key", None) if spends else None
            deadline = fields.pop("deadline", None)
            result: dict[str, Any] = self._client.call(op_id, fields, idempotency_key=key,
                                                       deadline=deadline)
            return result

        method = smethod
    leaf = op.attribute_path[-1]
    method.__name__ = leaf
    method.__qualname__ = ".".join(op.attribute_path)
    method.__doc__ = method_doc(op, is_async=is_async)
    method.__signature__ = method_signature(op, is_async=is_async)  # type: ignore[attr-defined]
    method.operation = op  # type: ignore[attr-defined]
    return method


def build_namespaces(*, is_async: bool,
                     operations: tuple[Operation, ...] = OPERATIONS) -> dict[str, type[Namespace]]:
    """The top-level namespace classes (``orders``, ``catalog``) for a client class."""
    tree: dict[str, Any] = {}
    for op in operations:
        node = tree
        *groups, leaf = op.attribute_path
        for part in groups:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ValueError(f"{op.id}: {part!r} is both an operation and a group")
            node = child
        if leaf in node:
            raise ValueError(f"{op.id}: {leaf!r} is both an operation and a group")
        node[leaf] = op

    suffix = "AsyncNamespace" if is_async else "Namespace"

    def make(path: tuple[str, ...], node: dict[str, Any]) -> type[Namespace]:
        attrs: dict[str, Any] = {"_path": path, "_children": tuple(sorted(node)),
                                 "__module__": __name__}
        for name, value in node.items():
            attrs[name] = (make((*path, name), value) if isinstance(value, dict)
                           else _make_method(value, is_async=is_async))
        ops = ", ".join(sorted(node))
        attrs["__doc__"] = f"Geopera ``{'.'.join(path)}`` operations.\n\nMembers: {ops}."
        class_name = "".join(p.title().replace("_", "") for p in path) + suffix
        return type(class_name, (Namespace,), attrs)

    return {name: make((name,), node) for name, node in sorted(tree.items())}


class _NamespaceProperty:
    """Class attribute that gives each client instance its namespace object (cached)."""

    def __init__(self, name: str, cls: type[Namespace]) -> None:
        self.name = name
        self.cls = cls
        self.__doc__ = cls.__doc__

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        cache: dict[str, Namespace] = instance.__dict__.setdefault("_namespaces", {})
        ns = cache.get(self.name)
        if ns is None:
            ns = cache[self.name] = self.cls(instance)
        return ns


def with_operations(*, is_async: bool) -> Callable[[type], type]:
    """Class decorator: attach the generated namespaces (``orders``, ``catalog``)."""

    def decorate(cls: type) -> type:
        classes = build_namespaces(is_async=is_async)
        for name, ns_cls in classes.items():
            setattr(cls, name, _NamespaceProperty(name, ns_cls))
        cls._namespace_classes = classes  # type: ignore[attr-defined]
        return cls

    return decorate
