"""Scope grants: ``resource:action``, matched exactly or by ``items:*`` / ``*:read`` wildcards.

Examples
--------
>>> granted(("orders:read",), "orders:read")
True
>>> granted(("items:*",), "items:read"), granted(("*:read",), "catalog:read")
(True, True)
>>> granted(("*:read",), "orders:write")
False
"""

from __future__ import annotations

from collections.abc import Iterable

#: Scopes of a new org's default key: every scope the 26 operations need.
DEFAULT_SCOPES: tuple[str, ...] = ("orders:read", "orders:write", "items:read", "catalog:read")


def granted(grants: Iterable[str], needed: str) -> bool:
    """Whether any grant covers ``needed`` (exact, ``res:*``, ``*:act`` or ``*:*``)."""
    resource, _, action = needed.partition(":")
    for grant in grants:
        if grant in (needed, "*", "*:*"):
            return True
        g_res, _, g_act = grant.partition(":")
        if (g_res == resource and g_act == "*") or (g_res == "*" and g_act == action):
            return True
    return False


def missing_scope_detail(scope: str, operation_id: str) -> str:
    """The documented 403 detail, e.g. ``missing scope 'orders:write' for 'orders.archive.place'``."""
    return f"missing scope '{scope}' for '{operation_id}'"


def valid_scope(scope: str) -> bool:
    """Whether ``scope`` looks like ``resource:action`` (wildcards allowed)."""
    resource, sep, action = scope.partition(":")
    return bool(sep and resource and action and " " not in scope)
