"""Auth strategies: bearer key, given token, OIDC exchange with refresh and rotation,
and secret redaction everywhere (reprs, messages, logs, tracebacks)."""

from __future__ import annotations

import logging
import traceback
from urllib.parse import parse_qs

import httpx
import orjson
import pytest
from client_helpers import BASE, KEY, json_response, problem, sequence

from geopera_nb import errors
from geopera_nb.client import Secret
from geopera_nb.client.credentials import Credentials

TOKEN_PATH = "/realms/public/protocol/openid-connect/token"


class TokenServer:
    """Token endpoint + API that accepts only the latest access token."""

    def __init__(self, *, refresh_ok: bool = True, exchange_ok: bool = True) -> None:
        self.n = 0
        self.grants: list[dict[str, list[str]]] = []
        self.valid: set[str] = set()
        self.refresh_ok = refresh_ok
        self.exchange_ok = exchange_ok

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == TOKEN_PATH:
            form = parse_qs(request.content.decode())
            self.grants.append(form)
            grant = form["grant_type"][0]
            if (grant == "refresh_token" and not self.refresh_ok) or (
                    grant == "client_credentials" and not self.exchange_ok):
                return json_response({"error": "invalid_grant",
                                      "error_description": "Token is not active"}, 400)
            self.n += 1
            access = f"eyJaccess.{self.n}.signature-abcdefgh"
            self.valid = {access}
            return json_response({"access_token": access, "token_type": "Bearer",
                                  "expires_in": 300, "refresh_token": f"refresh-{self.n}-xyzxyzxyz",
                                  "refresh_expires_in": 1800, "scope": "orders:read"})
        auth = request.headers.get("authorization", "")
        if auth.removeprefix("Bearer ") not in self.valid:
            return problem(401, "invalid or expired token", "unauthenticated")
        return json_response({"id": "o-1", "auth": "ok"})


def test_api_key_is_sent_as_bearer(make_client) -> None:
    client, rec = make_client(sequence(json_response({"ok": True})))
    client.orders.get(order_id="o")
    assert rec.api_requests[0].headers["authorization"] == f"Bearer {KEY}"
    assert "x-api-key" not in rec.api_requests[0].headers


def test_given_token_is_sent_as_bearer(make_client) -> None:
    client, rec = make_client(sequence(json_response({"ok": True})), api_key=None,
                              token="eyJhbGciOiJSUzI1NiJ9.payload.sig")
    client.orders.get(order_id="o")
    assert rec.api_requests[0].headers["authorization"] == "Bearer eyJhbGciOiJSUzI1NiJ9.payload.sig"


def test_oidc_exchange_refresh_and_rotation(make_client) -> None:
    server = TokenServer()
    client, rec = make_client(server, oidc=True)
    now = [10_000.0]
    client._auth._clock = lambda: now[0]
    assert client.orders.get(order_id="o")["auth"] == "ok"
    first = server.grants[0]
    assert first["grant_type"] == ["client_credentials"]
    assert first["client_id"] == ["geopera"] and first["client_secret"] == [KEY]
    # cached while valid
    client.orders.get(order_id="o")
    assert len(server.grants) == 1
    # near expiry (300 s, 30 s leeway): refresh with the refresh token
    now[0] += 275
    client.orders.get(order_id="o")
    assert server.grants[1]["grant_type"] == ["refresh_token"]
    assert server.grants[1]["refresh_token"] == ["refresh-1-xyzxyzxyz"]
    # rotation: the next refresh uses the *new* refresh token
    now[0] += 275
    client.orders.get(order_id="o")
    assert server.grants[2]["refresh_token"] == ["refresh-2-xyzxyzxyz"]
    assert all(r.headers["authorization"].startswith("Bearer eyJaccess.")
               for r in rec.api_requests)


def test_oidc_falls_back_to_a_new_exchange_when_refresh_fails(make_client) -> None:
    server = TokenServer()
    client, _ = make_client(server, oidc=True)
    now = [0.0]
    client._auth._clock = lambda: now[0]
    client.orders.get(order_id="o")
    server.refresh_ok = False
    now[0] += 290
    assert client.orders.get(order_id="o")["auth"] == "ok"
    assert [g["grant_type"][0] for g in server.grants] == [
        "client_credentials", "refresh_token", "client_credentials"]


def test_oidc_refresh_token_expiry_goes_straight_to_exchange(make_client) -> None:
    server = TokenServer()
    client, _ = make_client(server, oidc=True)
    now = [0.0]
    client._auth._clock = lambda: now[0]
    client.orders.get(order_id="o")
    now[0] += 1800
    client.orders.get(order_id="o")
    assert [g["grant_type"][0] for g in server.grants] == ["client_credentials"] * 2


def test_oidc_401_forces_one_refresh_then_succeeds(make_client) -> None:
    server = TokenServer()
    client, _rec = make_client(server, oidc=True)
    client.orders.get(order_id="o")
    server.valid = set()  # the server revoked the access token
    assert client.orders.get(order_id="o")["auth"] == "ok"
    assert len(server.grants) == 2


def test_failed_exchange_raises_credentials_error_without_the_key(make_client) -> None:
    server = TokenServer(exchange_ok=False)
    client, _ = make_client(server, oidc=True)
    with pytest.raises(errors.CredentialsError) as info:
        client.orders.get(order_id="o")
    assert "invalid_grant" in str(info.value)
    assert KEY not in str(info.value)


def test_oidc_needs_an_api_key(make_client) -> None:
    with pytest.raises(errors.CredentialsError):
        make_client(sequence(json_response({})), api_key=None, token="eyJx.y.z", oidc=True)


def test_static_key_401_is_not_retried(make_client) -> None:
    client, rec = make_client(sequence(problem(401, "revoked key", "unauthenticated")))
    with pytest.raises(errors.UnauthenticatedError):
        client.orders.get(order_id="o")
    assert len(rec.api_requests) == 1


# -- redaction ----------------------------------------------------------------------


def test_secret_masks_itself() -> None:
    secret = Secret(KEY)
    assert KEY not in repr(secret) and KEY not in str(secret) and KEY not in f"{secret}"
    assert repr(secret) == "Secret('gpra_…WXYZ')"
    with pytest.raises(TypeError):
        import pickle

        pickle.dumps(secret)


def test_client_and_credentials_reprs_are_masked(make_client) -> None:
    client, _ = make_client(sequence(json_response({})))
    for text in (repr(client), str(client), repr(client._credentials), repr(client._auth)):
        assert KEY not in text
        assert "gpra_…WXYZ" in text


def _all_text(exc: BaseException) -> str:
    formatted = traceback.TracebackException.from_exception(exc, capture_locals=True)
    return "".join(formatted.format()) + repr(exc) + str(exc) + repr(vars(exc))


@pytest.mark.parametrize("failure", [problem(401, "bad token", "unauthenticated"),
                                     httpx.ConnectError("refused"),
                                     httpx.ReadTimeout("timed out")])
def test_no_secret_in_exceptions_or_tracebacks_with_locals(make_client, failure) -> None:
    client, _ = make_client(sequence(failure))
    with pytest.raises(errors.GeoperaError) as info:
        client.orders.get(order_id="o")
    text = _all_text(info.value)
    assert KEY not in text
    assert "test0123456789" not in text
    # no httpx request (whose headers hold the credential) rides on the exception
    assert info.value.__cause__ is None and info.value.__context__ is None
    assert not any(isinstance(v, httpx.Request | httpx.Response) for v in vars(info.value).values())


def test_no_secret_in_oidc_failure_tracebacks(make_client) -> None:
    server = TokenServer(exchange_ok=False)
    client, _ = make_client(server, oidc=True)
    with pytest.raises(errors.CredentialsError) as info:
        client.orders.get(order_id="o")
    assert KEY not in _all_text(info.value)


def test_no_secret_in_logs_at_debug(make_client, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    server = TokenServer()
    client, _ = make_client(server, oidc=True)
    client.orders.get(order_id="o")
    server.valid = set()
    client.orders.get(order_id="o")
    plain, _ = make_client(sequence(problem(503, "x"), json_response({})))
    plain.orders.get(order_id="o")
    text = caplog.text + "".join(repr(r.args) for r in caplog.records)
    assert caplog.records  # something was logged
    for secret in (KEY, "eyJaccess", "refresh-1-xyz", "refresh-2-xyz"):
        assert secret not in text


def test_token_responses_are_not_kept_in_plain_text(make_client) -> None:
    server = TokenServer()
    client, _ = make_client(server, oidc=True)
    client.orders.get(order_id="o")
    state = repr(vars(client._auth))
    assert "eyJaccess" not in state and "refresh-1" not in state


def test_credentials_dataclass_repr_is_safe() -> None:
    creds = Credentials(BASE, "oauth", Secret("eyJhbGciOi.payload.sig-0123456789"),
                        "profile:default", refresh_token=Secret("refresh-token-abcdefghijkl"))
    text = repr(creds)
    assert "payload" not in text and "refresh-token-abc" not in text
    assert orjson.dumps({"x": str(creds.secret)})
