"""Fixtures for tests that talk HTTP to a real sandbox on 127.0.0.1."""

from __future__ import annotations

import time
import typing as t
from pathlib import Path

import globus_sdk
import pytest
from globus_sdk.config.environments import EnvConfig
from globus_sdk.scopes import Scope, TransferScopes

from globus_jupyter.sandbox import Sandbox

from .people import approve_in_browser

SANDBOX_TEST_ENVIRONMENT = "globus-jupyter-sandbox"

#: any client id logs in to the sandbox as a native app
TEST_NATIVE_APP_ID = "5e1b6d54-6f0b-4a8b-9d64-3c2d8f0e7a19"

_SDK_SERVICES = ("auth", "transfer", "search", "flows", "compute", "groups", "timer")


def register_sdk_environment(sandbox: Sandbox | str) -> str:
    """
    Point a globus-sdk environment at ``sandbox`` (or a sandbox's base URL);
    clients made with ``environment=<the returned name>`` talk to it.
    """
    base = sandbox if isinstance(sandbox, str) else sandbox.url
    attributes = {"envname": SANDBOX_TEST_ENVIRONMENT, "domain": "sandbox.invalid"}
    for service in _SDK_SERVICES:
        attributes[f"{service}_url"] = f"{base}{service}/"
    # defining the subclass registers it, replacing an earlier one of this name
    type("SandboxTestEnvConfig", (EnvConfig,), attributes)
    return SANDBOX_TEST_ENVIRONMENT


def transfer_client_for(
    environment: str,
    *,
    username: str | None = None,
    scopes: t.Sequence[str | Scope] = (TransferScopes.all,),
) -> globus_sdk.TransferClient:
    """
    Log in as a person would (consent page, then the code it shows) and give a
    TransferClient with the Transfer token of that login.
    """
    auth = globus_sdk.NativeAppAuthClient(TEST_NATIVE_APP_ID, environment=environment)
    auth.oauth2_start_flow(requested_scopes=list(scopes))
    code = approve_in_browser(auth.oauth2_get_authorize_url(), username=username)
    tokens = auth.oauth2_exchange_code_for_tokens(code)
    token = tokens.by_resource_server[TransferScopes.resource_server]["access_token"]
    return globus_sdk.TransferClient(
        environment=environment,
        authorizer=globus_sdk.AccessTokenAuthorizer(token),
    )


def wait_for_task(
    client: globus_sdk.TransferClient, task_id: str, *, timeout: float = 60.0
) -> dict[str, t.Any]:
    """Poll a task until it ends; its final Task document."""
    give_up = time.monotonic() + timeout
    while True:
        task = client.get_task(task_id).data
        if task["status"] not in ("ACTIVE", "INACTIVE"):
            return dict(task)
        if time.monotonic() > give_up:
            raise AssertionError(f"task {task_id} still {task['status']}: {task}")
        time.sleep(0.05)


@pytest.fixture
def sandbox(tmp_path: Path) -> t.Iterator[Sandbox]:
    """
    A sandbox serving from a fresh root, stopped after the test; the globus-sdk
    environment ``globus-jupyter-sandbox`` points at it meanwhile.
    """
    with Sandbox(tmp_path / "sandbox-root") as running:
        register_sdk_environment(running)
        yield running


@pytest.fixture
def sandbox_environment(sandbox: Sandbox) -> str:
    """The name of the globus-sdk environment that points at ``sandbox``."""
    return SANDBOX_TEST_ENVIRONMENT


@pytest.fixture
def ada_transfer(sandbox_environment: str) -> globus_sdk.TransferClient:
    """Transfer as ada, the sandbox's first user."""
    return transfer_client_for(sandbox_environment)


@pytest.fixture
def collections_dir(sandbox: Sandbox) -> Path:
    """Where the sandbox keeps its collections: ``<dir>/<name>/``."""
    return Path(sandbox.root) / "collections"
