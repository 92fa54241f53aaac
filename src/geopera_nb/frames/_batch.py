"""Many calls at once: a bounded thread pool with progress, an ETA and cancellation.

Every many-order frame (and the widgets above them) runs its per-order calls through
:func:`run_batch`: at most ``concurrency`` calls in flight (the client's own limiter, if
any, paces them further), results in input order, a progress callback after each call,
and a stop as soon as ``cancel`` is set or the caller is interrupted (Ctrl-C / a kernel
interrupt): calls not yet started are dropped, running ones finish.

Examples
--------
>>> seen = []
>>> run_batch(lambda x: x * 2, [1, 2, 3], concurrency=2,
...           progress=lambda done, total: seen.append((done, total)))
[2, 4, 6]
>>> seen[-1]
(3, 3)
>>> import threading
>>> stop = threading.Event(); stop.set()
>>> run_batch(lambda x: x, [1, 2], cancel=stop)
Traceback (most recent call last):
...
geopera_nb.frames._batch.BatchCancelled: cancelled after 0 of 2
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from typing import Any, Protocol, TypeVar

__all__ = ["BatchCancelled", "ProgressCallback", "eta_seconds", "run_batch", "tqdm_progress"]

T = TypeVar("T")
R = TypeVar("R")


class BatchCancelled(Exception):
    """The batch was stopped before every call ran (``done`` of ``total`` finished)."""

    def __init__(self, done: int, total: int) -> None:
        super().__init__(f"cancelled after {done} of {total}")
        self.done = done
        self.total = total


class ProgressCallback(Protocol):
    """Called with ``(done, total)`` after every finished call (from worker threads)."""

    def __call__(self, done: int, total: int) -> None: ...


def eta_seconds(done: int, total: int, elapsed: float) -> float | None:
    """Seconds left at the pace so far (``None`` before the first result).

    Examples
    --------
    >>> eta_seconds(10, 40, 5.0)
    15.0
    >>> eta_seconds(0, 40, 5.0) is None
    True
    """
    if done <= 0 or elapsed <= 0:
        return None
    return max(0.0, (total - done) * elapsed / done)


def tqdm_progress(total: int, desc: str, unit: str = "call") -> tuple[ProgressCallback, Any]:
    """A tqdm bar (``tqdm.auto``: a widget in notebooks, text elsewhere) and its callback.

    Returns
    -------
    (callback, bar)
        Close ``bar`` when done.
    """
    from tqdm.auto import tqdm

    bar = tqdm(total=total, desc=desc, unit=unit)
    lock = threading.Lock()

    def update(done: int, total: int) -> None:
        with lock:
            bar.update(done - bar.n)

    return update, bar


def run_batch(
    fn: Callable[[T], R],
    items: Sequence[T],
    *,
    concurrency: int = 8,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> list[R]:
    """``[fn(item) for item in items]`` on up to ``concurrency`` threads, in input order.

    Parameters
    ----------
    fn, items
        The call and its inputs.
    concurrency
        Calls in flight at once (1: one after the other, on the caller's thread).
    progress
        ``progress(done, total)`` after each finished call.
    cancel
        Set it (from any thread) to stop: no new call starts.

    Raises
    ------
    BatchCancelled
        When ``cancel`` was set before every call ran.
    Exception
        The first exception of any call (calls not yet started are dropped).
    """
    total = len(items)
    results: list[Any] = [None] * total
    done = 0
    lock = threading.Lock()

    def stopped() -> bool:
        return cancel is not None and cancel.is_set()

    def one(index: int) -> None:
        nonlocal done
        if stopped():
            return
        results[index] = fn(items[index])
        with lock:
            done += 1
            count = done
        if progress is not None:
            progress(count, total)

    if concurrency <= 1 or total <= 1:
        for index in range(total):
            if stopped():
                raise BatchCancelled(done, total)
            one(index)
        return results

    pool = ThreadPoolExecutor(max_workers=min(concurrency, total), thread_name_prefix="gn-batch")
    try:
        futures: list[Future[None]] = [pool.submit(one, i) for i in range(total)]
        pending = set(futures)
        while pending:
            finished, pending = wait(pending, timeout=0.2, return_when=FIRST_EXCEPTION)
            for future in finished:
                error = future.exception()
                if error is not None:
                    raise error
            if stopped():
                raise BatchCancelled(done, total)
    finally:
        # drop what has not started (also on KeyboardInterrupt), let running calls end
        pool.shutdown(wait=False, cancel_futures=True)
    if stopped() and done < total:
        raise BatchCancelled(done, total)
    return results

