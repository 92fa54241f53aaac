"""Credential resolution order, as the official CLI: arguments > env > profile file."""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest
from client_helpers import json_response

from geopera_nb import errors
from geopera_nb.client import Client
from geopera_nb.client.credentials import credentials_path, resolve_credentials

ENV_KEY = "gpra_fromenv_0123456789abcd"
FILE_KEY = "gpra_fromfile_0123456789abcd"
ARG_KEY = "gpra_fromargs_0123456789abcd"


def write_store(store: dict) -> Path:
    path = credentials_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(store))
    return path


def profile_store() -> dict:
    return {
        "default": {"api_url": "https://default.example", "auth": {"type": "api_key",
                                                                   "api_key": FILE_KEY}},
        "staging": {"api_url": "https://staging.example/",
                    "auth": {"type": "oauth", "access_token": "eyJstaging.access.token-1234",
                             "refresh_token": "staging-refresh-0001", "expires_at": None}},
    }


def test_nothing_found_raises_a_helpful_error() -> None:
    with pytest.raises(errors.CredentialsError, match="geopera login"):
        resolve_credentials()
    with pytest.raises(errors.CredentialsError):
        Client()


def test_default_url() -> None:
    creds = resolve_credentials(api_key=ARG_KEY)
    assert creds.base_url == "https://api.geopera.com" and creds.source == "arguments"


def test_profile_file_is_read_from_home(monkeypatch) -> None:
    write_store(profile_store())
    creds = resolve_credentials()
    assert creds.kind == "api_key" and creds.secret.get_secret_value() == FILE_KEY
    assert creds.base_url == "https://default.example" and creds.source == "profile:default"


def test_profile_selected_by_env_and_argument(monkeypatch) -> None:
    write_store(profile_store())
    monkeypatch.setenv("GEOPERA_PROFILE", "staging")
    creds = resolve_credentials()
    assert creds.kind == "oauth" and creds.base_url == "https://staging.example"
    assert creds.refresh_token is not None
    assert resolve_credentials(profile="default").secret.get_secret_value() == FILE_KEY


def test_env_token_beats_profile_but_profile_url_still_applies(monkeypatch) -> None:
    write_store(profile_store())
    monkeypatch.setenv("GEOPERA_API_TOKEN", ENV_KEY)
    creds = resolve_credentials()
    assert creds.secret.get_secret_value() == ENV_KEY and creds.kind == "api_key"
    assert creds.source == "env:GEOPERA_API_TOKEN"
    assert creds.base_url == "https://default.example"  # as the CLI: env token, stored url


def test_env_token_that_is_not_a_key_is_a_bearer(monkeypatch) -> None:
    monkeypatch.setenv("GEOPERA_API_TOKEN", "eyJhbGciOi.jwt.sig")
    assert resolve_credentials().kind == "bearer"


def test_env_url_beats_profile_url_and_aliases(monkeypatch) -> None:
    write_store(profile_store())
    monkeypatch.setenv("GEOPERA_BASE_URL", "http://alias.example/")
    assert resolve_credentials().base_url == "http://alias.example"
    monkeypatch.setenv("GEOPERA_API_URL", "http://official.example")
    assert resolve_credentials().base_url == "http://official.example"
    monkeypatch.delenv("GEOPERA_API_URL")
    monkeypatch.delenv("GEOPERA_BASE_URL")
    monkeypatch.setenv("GEOPERA_API_KEY", ENV_KEY)
    creds = resolve_credentials()
    assert creds.source == "env:GEOPERA_API_KEY" and creds.kind == "api_key"
    monkeypatch.setenv("GEOPERA_API_TOKEN", "gpra_token_wins_0123456789")
    assert resolve_credentials().source == "env:GEOPERA_API_TOKEN"


def test_arguments_beat_everything(monkeypatch) -> None:
    write_store(profile_store())
    monkeypatch.setenv("GEOPERA_API_TOKEN", ENV_KEY)
    monkeypatch.setenv("GEOPERA_API_URL", "http://env.example")
    creds = resolve_credentials(api_key=ARG_KEY, base_url="http://arg.example/")
    assert creds.secret.get_secret_value() == ARG_KEY
    assert creds.base_url == "http://arg.example" and creds.source == "arguments"
    assert resolve_credentials(api_key=ARG_KEY).base_url == "http://env.example"


def test_both_key_and_token_is_an_error() -> None:
    with pytest.raises(errors.RequestValidationError):
        resolve_credentials(api_key=ARG_KEY, token="x")


def test_bad_profile_entries() -> None:
    write_store({"default": {"auth": {"type": "saml"}}})
    with pytest.raises(errors.CredentialsError, match="unknown auth type"):
        resolve_credentials()
    write_store({"default": {"auth": {"type": "api_key"}}})
    with pytest.raises(errors.CredentialsError):
        resolve_credentials()


def test_unreadable_file_is_ignored_like_the_cli() -> None:
    path = credentials_path()
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    with pytest.raises(errors.CredentialsError, match="no Geopera credentials"):
        resolve_credentials()


def test_oauth_profile_refresh_near_expiry_like_the_cli(monkeypatch) -> None:
    store = profile_store()
    store["staging"]["auth"]["expires_at"] = time.time() + 10  # inside the 30 s leeway
    path = write_store(store)
    monkeypatch.setenv("GEOPERA_PROFILE", "staging")
    grants: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/openid-connect/token"):
            grants.append(parse_qs(request.content.decode()))
            return json_response({"access_token": "eyJnew.access.token-5678",
                                  "refresh_token": "staging-refresh-0002", "expires_in": 300,
                                  "scope": "openid profile"})
        assert request.headers["authorization"] == "Bearer eyJnew.access.token-5678"
        return json_response({"ok": True})

    with Client(transport=httpx.MockTransport(handler)) as client:
        assert client.orders.get(order_id="o") == {"ok": True}
    assert grants == [{"grant_type": ["refresh_token"], "refresh_token": ["staging-refresh-0001"],
                       "client_id": ["geopera-cli"]}]
    saved = json.loads(path.read_text())
    assert saved["staging"]["auth"]["access_token"] == "eyJnew.access.token-5678"
    assert saved["staging"]["auth"]["refresh_token"] == "staging-refresh-0002"
    assert saved["staging"]["auth"]["expires_at"] > time.time() + 200
    assert saved["default"] == store["default"]  # other profiles untouched
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert not path.with_suffix(".json.tmp").exists()


def test_oauth_profile_without_expiry_is_used_as_is(monkeypatch) -> None:
    write_store(profile_store())
    monkeypatch.setenv("GEOPERA_PROFILE", "staging")
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return json_response({"ok": True})

    with Client(transport=httpx.MockTransport(handler)) as client:
        client.orders.get(order_id="o")
    assert seen == ["/v1/op/orders.get"]


def test_oauth_profile_refresh_failure_says_login(monkeypatch) -> None:
    store = profile_store()
    store["staging"]["auth"]["expires_at"] = 1.0
    write_store(store)
    monkeypatch.setenv("GEOPERA_PROFILE", "staging")

    def handler(request: httpx.Request) -> httpx.Response:
        return json_response({"error": "invalid_grant"}, 400)

    with Client(transport=httpx.MockTransport(handler)) as client, pytest.raises(
            errors.CredentialsError, match="geopera login"):
        client.orders.get(order_id="o")
