"""wait_for: bounded, visible, interruptible polling."""

from __future__ import annotations

import httpx
import pytest
from client_helpers import json_response

from geopera_nb import errors


def statuses(*seq: tuple[str, str | None]):
    items = list(seq)

    def handler(request: httpx.Request) -> httpx.Response:
        status, sub = items.pop(0) if len(items) > 1 else items[0]
        return json_response({"id": "order-123456789", "status": status, "subStatus": sub,
                              "statusReason": "cloud limit under sensor minimum"
                              if status == "FAILED" else None})

    return handler


def test_waits_until_fulfilled(make_client, fake_time) -> None:
    client, rec = make_client(statuses(("PLACED", "QUOTATION_ACCEPTED"),
                                       ("BEING_FULFILLED", "IN_PROGRESS"), ("FULFILLED", None)))
    seen: list[str] = []
    order = client.wait_for("order-123456789", poll=5, progress=False,
                            on_progress=lambda o: seen.append(o["status"]))
    assert order["status"] == "FULFILLED"
    assert seen == ["PLACED", "BEING_FULFILLED", "FULFILLED"]
    assert fake_time.sleeps == [5, 5]
    assert all(r.url.path == "/v1/op/orders.get" for r in rec.api_requests)


def test_until_substatus_and_callable(make_client) -> None:
    client, _ = make_client(statuses(("PLACED", "QUOTATION_WAITING_UPLOAD"),
                                     ("PLACED", "QUOTATION_WAITING_RESPONSE")))
    order = client.wait_for("order-123456789", until="QUOTATION_WAITING_RESPONSE",
                            progress=False)
    assert order["subStatus"] == "QUOTATION_WAITING_RESPONSE"
    client2, _ = make_client(statuses(("PLACED", None), ("BEING_FULFILLED", "IN_PROGRESS")))
    order = client2.wait_for("order-123456789", until=lambda o: o["status"] != "PLACED",
                             progress=False)
    assert order["status"] == "BEING_FULFILLED"


@pytest.mark.parametrize("final", ["FAILED", "CANCELED"])
def test_terminal_status_not_awaited_raises(make_client, final) -> None:
    client, _ = make_client(statuses(("PLACED", None), (final, None)))
    with pytest.raises(errors.OrderFailedError) as info:
        client.wait_for("order-123456789", progress=False)
    assert info.value.order["status"] == final
    if final == "FAILED":
        assert "cloud limit" in str(info.value)


def test_awaiting_a_terminal_status_returns_it(make_client) -> None:
    client, _ = make_client(statuses(("CANCELED", None)))
    assert client.wait_for("order-123456789", until=("CANCELED", "FULFILLED"),
                           progress=False)["status"] == "CANCELED"


def test_timeout_is_bounded(make_client, fake_time) -> None:
    client, rec = make_client(statuses(("PLACED", "FEASIBILITY_WAITING_UPLOAD")))
    with pytest.raises(errors.WaitTimeoutError) as info:
        client.wait_for("order-123456789", timeout=10, poll=3, progress=False)
    assert isinstance(info.value, TimeoutError)
    assert info.value.order is not None and "FEASIBILITY_WAITING_UPLOAD" in str(info.value)
    assert sum(fake_time.sleeps) == pytest.approx(10)
    assert fake_time.sleeps == [3, 3, 3, 1]
    assert len(rec.api_requests) == 5


def test_keyboard_interrupt_propagates_and_closes_the_display(make_client, monkeypatch) -> None:
    client, _ = make_client(statuses(("PLACED", None)))
    closed: list[bool] = []

    class Bar:
        def set_description_str(self, text: str) -> None:
            self.text = text

        def update(self, n: int) -> None:
            pass

        def close(self) -> None:
            closed.append(True)

    from geopera_nb.client import waiting

    monkeypatch.setattr(waiting.Waiter, "progress_bar", lambda self, enabled: Bar())

    def interrupt(seconds: float) -> None:
        raise KeyboardInterrupt

    client._transport.sleep = interrupt
    with pytest.raises(KeyboardInterrupt):
        client.wait_for("order-123456789")
    assert closed == [True]


def test_progress_display_shows_status(make_client, capsys) -> None:
    client, _ = make_client(statuses(("PLACED", "IN_PROGRESS"), ("FULFILLED", None)))
    client.wait_for("order-123456789", poll=1, progress=True)
    err = capsys.readouterr().err
    assert "order order-12" in err and "FULFILLED" in err


def test_bad_arguments() -> None:
    from geopera_nb.client.waiting import Waiter

    with pytest.raises(errors.RequestValidationError):
        Waiter("o", poll=0)
    with pytest.raises(errors.RequestValidationError):
        Waiter("o", until=())


async def test_async_wait_for(make_async_client, fake_time) -> None:
    aclient, _ = make_async_client(statuses(("PLACED", None), ("FULFILLED", None)))
    async with aclient:
        order = await aclient.wait_for("order-123456789", poll=2, progress=False)
    assert order["status"] == "FULFILLED" and fake_time.sleeps == [2]


async def test_async_wait_for_timeout(make_async_client) -> None:
    aclient, _ = make_async_client(statuses(("PLACED", None)))
    async with aclient:
        with pytest.raises(errors.WaitTimeoutError):
            await aclient.wait_for("order-123456789", timeout=4, poll=2, progress=False)
