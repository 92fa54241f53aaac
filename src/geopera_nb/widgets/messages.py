"""The server's problems as sentences a person reads: the one mapping every widget uses.

The API reports problems in three shapes: a 422 ``detail`` list of ``{loc, msg, type}``
items, an RFC 7807 problem with a ``detail`` string (402, 409, 410, ...), and the
per-row ``errors`` of an estimate (``{index, message, loc}``). The client raises them as
typed errors (:mod:`geopera_nb.errors`). Here each becomes one sentence with the field
named by its label ("End date", not ``body.params.end``), areas in km², numbers with
thousands separators and sensor ids replaced by their names; a list of problems is
reduced to its distinct sentences (one message once).

Examples
--------
>>> from geopera_nb.widgets.messages import sentence, tidy
>>> sentence(["body", "params", "end"], "end must be after start")
'End date: must be after the start'
>>> tidy("the AOI covers 97650.3 km2; geo-owl-30 takes at most 2000 km2",
...      names={"geo-owl-30": "Owl 30 cm"})
'the AOI covers 97,650.3 km²; Owl 30 cm takes at most 2,000 km²'
>>> tidy("invalid geometry: Self-intersection[138.78 -34.53]")
'the outline crosses itself near 138.78° E, 34.53° S'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = [
    "LABELS",
    "error_message",
    "field_label",
    "problem_sentences",
    "row_sentence",
    "sentence",
    "tidy",
    "unique",
    "window_problem",
]

#: API field names -> the label a person sees (the widgets' own control labels).
LABELS: Mapping[str, str] = {
    "start": "Start date",
    "end": "End date",
    "maxCloudCoverage": "Max cloud",
    "max_cloud_coverage": "Max cloud",
    "maxOffNadir": "Max off-nadir",
    "max_nadir_angle": "Max off-nadir",
    "priority": "Priority",
    "featureCollection": "AOI",
    "features": "AOI",
    "geometry": "AOI",
    "coordinates": "AOI",
    "intersects": "AOI",
    "sensor": "Sensor",
    "dataProduct": "Sensor",
    "displayName": "Order name",
    "tags": "Tags",
    "name": "Name",
    "captures": "Capture",
    "acceptedOptionId": "Option",
    "decision": "Decision",
    "size": "Page size",
    "page": "Page",
    "status": "Status",
    "type": "Type",
    "resolution": "Resolution",
}

#: Fields of the acquisition window (a problem there concerns every AOI of the request).
WINDOW_FIELDS = frozenset({"start", "end"})

#: shapely's validity reasons -> words.
_SHAPELY: Mapping[str, str] = {
    "self-intersection": "the outline crosses itself",
    "ring self-intersection": "the outline touches itself",
    "hole lies outside shell": "a hole lies outside the outline",
    "holes are nested": "holes lie inside each other",
    "interior is disconnected": "the shape falls apart into pieces",
    "nested shells": "one part lies inside another",
    "duplicate rings": "a ring is repeated",
    "too few points": "the outline has too few corners",
    "invalid coordinate": "a corner has an invalid position",
    "ring is not closed": "the outline is not closed",
}
_SHAPELY_RE = re.compile(
    r"(?:invalid geometry: )?(?P<what>[A-Za-z][A-Za-z -]*?)\s*"
    r"\[(?P<x>-?[\d.eE+-]+)\s+(?P<y>-?[\d.eE+-]+)\]")
#: a number followed by a unit: gets thousands separators
_QUANTITY_RE = re.compile(r"(?<![\w.:/-])(\d{4,})(\.\d+)?(?=\s*(?:km2|km²|credits|h\b|m\b))")
_CAMEL_RE = re.compile(r"(?<=[a-z])(?=[A-Z])")


def _degrees(x: float, y: float) -> str:
    return f"{abs(x):.2f}° {'E' if x >= 0 else 'W'}, {abs(y):.2f}° {'N' if y >= 0 else 'S'}"


def _shapely_words(match: re.Match[str]) -> str:
    what = match.group("what").strip()
    words = _SHAPELY.get(what.lower(), what[0].lower() + what[1:])
    try:
        return f"{words} near {_degrees(float(match.group('x')), float(match.group('y')))}"
    except ValueError:
        return words


def tidy(text: Any, names: Mapping[str, str] | None = None) -> str:
    """A server message made readable: km², thousands separators, names for ids.

    Parameters
    ----------
    text
        The message (anything; ``str()`` is taken).
    names
        Ids to replace by names (e.g. sensor id -> sensor name), whole words only.
    """
    out = str(text).strip()
    out = _SHAPELY_RE.sub(_shapely_words, out)
    out = re.sub(r"\bkm2\b", "km²", out)
    out = _QUANTITY_RE.sub(lambda m: f"{int(m.group(1)):,}{m.group(2) or ''}", out)
    for key, name in (names or {}).items():
        if key and name and key != name:
            out = re.sub(rf"(?<![\w-]){re.escape(key)}(?![\w-])", name, out)
    return out


def _humanise(token: str) -> str:
    words = _CAMEL_RE.sub(" ", token).replace("_", " ").strip()
    return words[:1].upper() + words[1:].lower()


def field_label(loc: Sequence[Any]) -> str | None:
    """The label of the field a ``loc`` points at (the deepest one with a label).

    Examples
    --------
    >>> field_label(["body", "groups", 0, "maxCloudCoverage"])
    'Max cloud'
    >>> field_label(["body"]) is None
    True
    """
    names = [str(p) for p in loc if isinstance(p, str) and p not in ("body", "query", "params")]
    for token in reversed(names):
        if token in LABELS:
            return LABELS[token]
    if names and names[-1] not in ("groups", "__root__"):
        return _humanise(names[-1])
    return None


def _field_token(loc: Sequence[Any]) -> str | None:
    for p in reversed(list(loc)):
        if isinstance(p, str) and p in LABELS:
            return p
    return None


def _last_name(loc: Sequence[Any]) -> str | None:
    names = [p for p in loc if isinstance(p, str) and p not in ("body", "query", "params")]
    return names[-1] if names else None


def sentence(loc: Sequence[Any] | None, msg: Any,
             names: Mapping[str, str] | None = None) -> str:
    """``"End date: must be after the start"`` from a ``loc`` and its ``msg``.

    The field's own name is dropped from the start of the message (it is the label),
    other field names in it get an article ("after start" -> "after the start").
    """
    text = tidy(msg, names)
    token = _field_token(loc or ()) or _last_name(loc or ())
    label = field_label(loc or ())
    if token and re.match(rf"{re.escape(token)}\b", text):
        text = text[len(token):].lstrip(" :")
    for other in WINDOW_FIELDS - {token or ""}:
        text = re.sub(rf"(?<!the )\b{other}\b(?![-\w])", f"the {other}", text)
    if not label:
        return text[:1].upper() + text[1:]
    return f"{label}: {text}"


def unique(messages: Iterable[str]) -> list[str]:
    """The distinct messages, in their first order (one message once)."""
    seen: dict[str, None] = {}
    for message in messages:
        if message:
            seen.setdefault(message, None)
    return list(seen)


def row_sentence(error: Mapping[str, Any], names: Mapping[str, str] | None = None) -> str:
    """One ``errors[k]`` item of an estimate (``{index, message, loc}``) as a sentence."""
    loc = error.get("loc") or ()
    message = error.get("message") or error.get("msg") or "cannot be priced"
    if _field_token(loc) in ("featureCollection", "features", "geometry", "coordinates", None):
        text = tidy(message, names)  # the row already names the AOI
        return text[:1].upper() + text[1:]
    return sentence(loc, message, names)


def window_problem(error: Mapping[str, Any]) -> bool:
    """Whether an estimate error concerns the acquisition window (shared by all AOIs)."""
    return _field_token(error.get("loc") or ()) in WINDOW_FIELDS


def problem_sentences(items: Iterable[Mapping[str, Any]],
                      names: Mapping[str, str] | None = None) -> list[str]:
    """The distinct sentences of a 422 ``detail`` list (``{loc, msg}`` items)."""
    return unique(sentence(item.get("loc"), item.get("msg") or item.get("message") or "",
                           names) for item in items if isinstance(item, Mapping))


#: How each HTTP status is introduced.
_LEADS: Mapping[int, str] = {
    401: "Not signed in",
    402: "Not enough credits",
    403: "Not allowed",
    404: "Not found",
    409: "Not possible any more",
    410: "Too late",
    413: "Too large",
    429: "Too many requests",
}


def error_message(exc: BaseException, names: Mapping[str, str] | None = None) -> str:
    """One line for a person about any exception a widget meets.

    API errors say the server's ``detail`` (or, without one, what the status means)
    and keep the status code at the end, in parentheses (for support); a 422 lists its
    distinct field problems; transport errors say the server was not
    reached; anything else (a bug) keeps the exception type.

    Examples
    --------
    >>> error_message(ValueError("bad AOI"))
    'ValueError: bad AOI'
    """
    from geopera_nb import errors

    status = getattr(exc, "status", None)
    if isinstance(exc, errors.ValidationError) or (
            isinstance(exc, errors.RequestValidationError) and getattr(exc, "errors", None)):
        found = problem_sentences(getattr(exc, "errors", None) or [], names)
        text = "; ".join(found) or tidy(getattr(exc, "detail", None) or exc, names)
        return f"{text} ({status})" if isinstance(status, int) else text
    if isinstance(exc, errors.RateLimitedError):
        wait = getattr(exc, "retry_after", None)
        after = f"; try again in {wait:.0f} s" if isinstance(wait, int | float) else ""
        return f"Too many requests{after} (429)"
    if isinstance(exc, errors.APIError) or (isinstance(status, int) and hasattr(exc, "problem")):
        problem = getattr(exc, "problem", None) or {}
        detail = getattr(exc, "detail", None) or (
            problem.get("detail") if isinstance(problem, Mapping) else None)
        if isinstance(detail, list):  # a 422-shaped problem on another status
            detail = "; ".join(problem_sentences(detail, names))
        lead = _LEADS.get(int(status or 0)) or (
            "The server failed" if int(status or 0) >= 500 else "The server refused")
        text = tidy(detail, names) if detail else ""
        body = text[:1].upper() + text[1:] if text else lead  # the server's words first
        return f"{body} ({status})" if isinstance(status, int) else body
    if isinstance(exc, errors.TransportError):
        return f"Cannot reach the server: {exc}"
    if isinstance(exc, errors.GeoperaError):
        return tidy(exc, names)
    return f"{type(exc).__name__}: {exc}"
