"""``wait_for``: bounded, visible, interruptible polling of one order.

:class:`Waiter` holds the rules (sans-I/O); the clients poll ``orders.get`` and feed it.

- Done when the order's ``status`` (or ``subStatus``) is in ``until``, or when
  ``until(order)`` is true for a callable.
- A sub-status that waits for the customer (``FEASIBILITY_WAITING_RESPONSE``,
  ``QUOTATION_WAITING_RESPONSE``) that is not awaited raises
  :class:`~geopera_nb.errors.DecisionRequiredError` at once: more waiting cannot help.
- A final status (``FULFILLED``, ``FAILED``, ``CANCELED``) that is not awaited raises
  :class:`~geopera_nb.errors.OrderFailedError` carrying the order and its
  ``statusReason``.
- Past ``timeout`` seconds: :class:`~geopera_nb.errors.WaitTimeoutError` (a
  ``TimeoutError``) with the last order seen. Never an endless loop.
- A tqdm progress display (``tqdm.auto``: a widget in Jupyter, text in a terminal) shows
  status/subStatus; ``on_progress(order)`` is called after every poll.
- ``KeyboardInterrupt`` (the notebook's stop button) propagates; the display is closed.
- On a sandbox (``client.sandbox`` set) time is the sandbox's: instead of sleeping,
  each poll moves the sandbox clock forward by ``sandbox_step`` seconds
  (:class:`SandboxTime`), and ``timeout`` counts sandbox seconds. A delivery that takes
  days on a real account takes a second, and the same notebook runs on both.
- A sandbox the client cannot move is said, with a :class:`SandboxWarning`: when
  ``GEOPERA_SANDBOX_ADMIN_TOKEN`` is set but the clock cannot be read with it, and when
  a client without ``sandbox`` talks to a local base URL (loopback or private) that
  answers ``/sandbox/ping`` (its orders only progress when someone advances its clock).

Examples
--------
>>> waiter = Waiter("o-1", until=("FULFILLED",), timeout=10, poll=1, clock=lambda: 0.0)
>>> waiter.done({"id": "o-1", "status": "PLACED", "subStatus": "IN_PROGRESS"})
False
>>> waiter.done({"id": "o-1", "status": "FULFILLED"})
True
"""

from __future__ import annotations

import ipaddress
import time
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import httpx

from ..contract import states
from ..contract.states import OrderStatus
from ..contract.timestamps import parse_instant
from ..errors import (
    DecisionRequiredError,
    GeoperaError,
    OrderFailedError,
    RequestValidationError,
    WaitTimeoutError,
)
from .sandbox_clock import ENV_SANDBOX_ADMIN_TOKEN

__all__ = [
    "SANDBOX_WAIT_TIMEOUT",
    "WAIT_TIMEOUT",
    "SandboxTime",
    "SandboxWarning",
    "Until",
    "Waiter",
    "may_be_sandbox",
    "sandbox_time",
    "warn_unmovable",
]

#: Default ``wait_for`` timeouts: wall seconds on an account, sandbox seconds on a sandbox
#: (where a poll costs no wall time, so waiting out a whole acquisition window is cheap).
WAIT_TIMEOUT = 600.0
SANDBOX_WAIT_TIMEOUT = 30 * 86_400.0

Until = Iterable[str] | str | Callable[[dict[str, Any]], bool]


class Waiter:
    """The state of one ``wait_for`` call.

    Parameters
    ----------
    order_id
        The order polled.
    until
        Statuses/sub-statuses to wait for, or a predicate over the order.
    timeout
        Seconds before giving up.
    poll
        Seconds between polls.
    clock
        Monotonic clock (injectable).
    """

    def __init__(
        self,
        order_id: str,
        *,
        until: Until = (OrderStatus.FULFILLED,),
        timeout: float = 600.0,
        poll: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if timeout < 0 or poll <= 0:
            raise RequestValidationError("timeout must be >= 0 and poll > 0",
                                         fields=["timeout", "poll"])
        self.order_id = order_id
        if callable(until):
            self._predicate: Callable[[dict[str, Any]], bool] | None = until
            self.targets: frozenset[str] = frozenset()
        else:
            self._predicate = None
            self.targets = frozenset([until] if isinstance(until, str) else until)
            if not self.targets:
                raise RequestValidationError("until must name at least one status",
                                             fields=["until"])
        self.timeout = timeout
        self.poll = poll
        self._clock = clock
        self._start = clock()
        self.polls = 0
        self.last: dict[str, Any] | None = None

    @staticmethod
    def describe(order: dict[str, Any]) -> str:
        """``"PLACED/QUOTATION_WAITING_RESPONSE"``-style label for the display."""
        status = order.get("status") or "?"
        sub = order.get("subStatus")
        return f"{status}/{sub}" if sub else str(status)

    def done(self, order: dict[str, Any]) -> bool:
        """True when awaited; raises when the order ended otherwise."""
        self.polls += 1
        self.last = order
        if self._predicate is not None:
            if self._predicate(order):
                return True
        elif order.get("status") in self.targets or order.get("subStatus") in self.targets:
            return True
        todo = states.awaiting_customer(order.get("subStatus"))
        if todo is not None:
            # Polling on cannot help (and on a sandbox would only burn its clock, expiring
            # the quotation): the next step is the caller's.
            raise DecisionRequiredError(
                f"order {self.order_id} is {self.describe(order)}: it waits for your "
                f"decision; {todo}, then wait again", order=order)
        if states.is_final(order.get("status")):
            reason = order.get("statusReason")
            raise OrderFailedError(
                f"order {self.order_id} ended {self.describe(order)}"
                + (f": {reason}" if reason else "") + " (not what was awaited)",
                order=order)
        return False

    def next_sleep(self) -> float:
        """Seconds to sleep before the next poll; raises once the time is up."""
        remaining = self.timeout - (self._clock() - self._start)
        if remaining <= 0:
            last = self.describe(self.last) if self.last else "unknown"
            raise WaitTimeoutError(
                f"order {self.order_id} still {last} after {self.timeout:g}s "
                f"({self.polls} polls)", order=self.last)
        return min(self.poll, remaining)

    def progress_bar(self, enabled: bool) -> Any:
        """A tqdm (``tqdm.auto``) display of the polling, or ``None``."""
        if not enabled:
            return None
        from tqdm.auto import tqdm

        return tqdm(total=None, desc=f"order {self.order_id[:8]}", unit="poll",
                    bar_format="{desc} [{elapsed}]", leave=True)

    def report(self, bar: Any, order: dict[str, Any],
               on_progress: Callable[[dict[str, Any]], Any] | None) -> None:
        """Update the display and call ``on_progress``."""
        if bar is not None:
            bar.set_description_str(f"order {self.order_id[:8]}: {self.describe(order)}")
            bar.update(1)
        if on_progress is not None:
            on_progress(order)


def _epoch(iso: str) -> float:
    return parse_instant(iso).timestamp()


class SandboxTime:
    """The sandbox clock as ``wait_for``'s clock and sleep.

    ``clock()`` answers the sandbox time in epoch seconds; ``sleep(s)`` moves the
    sandbox clock ``s`` seconds forward (through the sandbox's admin API) instead of
    waiting.

    Parameters
    ----------
    handle
        A sandbox handle with ``now() -> ISO`` and ``advance(hours=...) -> ISO``.
    """

    def __init__(self, handle: Any) -> None:
        self._handle = handle
        self._now = _epoch(handle.now())

    def clock(self) -> float:
        """Sandbox time, epoch seconds."""
        return self._now

    def sleep(self, seconds: float) -> None:
        """Advance the sandbox clock by ``seconds``."""
        self._now = _epoch(self._handle.advance(hours=seconds / 3600.0))


class SandboxWarning(UserWarning):
    """``wait_for`` polls a Geopera sandbox whose clock it cannot move."""


def sandbox_time(handle: Any, *, from_env: bool, base_url: str) -> SandboxTime | None:
    """The sandbox clock of ``handle`` for ``wait_for``.

    A handle the client attached itself from ``GEOPERA_SANDBOX_ADMIN_TOKEN``
    (``from_env``) that cannot read the clock (a wrong token, not a sandbox, not
    running) gives a :class:`SandboxWarning` and ``None``: the wait polls in wall time.
    A handle given explicitly raises what it raises.
    """
    if not from_env:
        return SandboxTime(handle)
    failure: GeoperaError | None = None
    try:
        return SandboxTime(handle)
    except GeoperaError as exc:
        failure = exc
    warnings.warn(
        f"{ENV_SANDBOX_ADMIN_TOKEN} is set, but the sandbox clock of {base_url} cannot be "
        f"read with it ({failure}); wait_for polls in wall time, and a sandbox's orders "
        "only progress when its clock is advanced: check that the variable holds that "
        "sandbox's admin token", SandboxWarning, stacklevel=3)
    return None


def may_be_sandbox(base_url: str) -> bool:
    """Whether probing ``/sandbox/ping`` makes sense: a sandbox runs on this machine or
    this network (loopback, ``localhost`` or a private address); a public API is never
    probed.

    Examples
    --------
    >>> may_be_sandbox("http://127.0.0.1:8765"), may_be_sandbox("https://api.geopera.com")
    (True, False)
    """
    try:
        host = httpx.URL(base_url).host
    except httpx.InvalidURL:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private


def warn_unmovable(base_url: str) -> None:
    """The :class:`SandboxWarning` of a sandbox polled without its admin token."""
    warnings.warn(
        f"{base_url} is a Geopera sandbox, but this client cannot move its clock: wait_for "
        "polls in wall time while the sandbox's clock (and its orders) stand still. Set "
        f"{ENV_SANDBOX_ADMIN_TOKEN} to the sandbox's admin token beside GEOPERA_API_URL, "
        "or use the sandbox handle's .client(org)", SandboxWarning, stacklevel=3)
