"""A string that never shows itself: credentials live in :class:`Secret` everywhere.

Examples
--------
>>> key = Secret("gpra_0123456789abcdef")
>>> key
Secret('gpra_…cdef')
>>> str(key), f"{key}"
('gpra_…cdef', 'gpra_…cdef')
>>> key.get_secret_value()
'gpra_0123456789abcdef'
"""

from __future__ import annotations

from typing import Any, NoReturn

__all__ = ["Secret", "mask"]


def mask(value: str) -> str:
    """The masked form of a secret: its ``gpra_`` prefix (if any) and last four characters.

    Short values show nothing but the ellipsis.

    Examples
    --------
    >>> mask("gpra_0123456789abcdef"), mask("eyJhbGciOi.x.yz123456"), mask("short")
    ('gpra_…cdef', '…3456', '…')
    """
    prefix = "gpra_" if value.startswith("gpra_") else ""
    rest = value[len(prefix):]
    tail = rest[-4:] if len(rest) >= 12 else ""
    return f"{prefix}…{tail}"


class Secret:
    """Holds a credential; ``repr``, ``str`` and formatting show only :func:`mask`.

    Pickling is refused so a secret does not travel by accident.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str | Secret) -> None:
        if isinstance(value, Secret):
            value = value.get_secret_value()
        if not isinstance(value, str) or not value:
            raise TypeError("a secret must be a non-empty string")
        self._value = value

    def get_secret_value(self) -> str:
        """The credential itself (use it only to build a request)."""
        return self._value

    @property
    def masked(self) -> str:
        """The masked form, e.g. ``gpra_…abcd``."""
        return mask(self._value)

    @property
    def is_api_key(self) -> bool:
        """True for a ``gpra_`` API key."""
        return self._value.startswith("gpra_")

    def __repr__(self) -> str:
        return f"Secret({self.masked!r})"

    def __str__(self) -> str:
        return self.masked

    def __format__(self, spec: str) -> str:
        return format(self.masked, spec)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __reduce__(self) -> NoReturn:
        raise TypeError("Secret values cannot be pickled")

    def __deepcopy__(self, memo: dict[int, Any]) -> Secret:
        return self

    def __copy__(self) -> Secret:
        return self
