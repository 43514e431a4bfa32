"""Fixtures for tests that talk HTTP to a real sandbox on 127.0.0.1."""

from __future__ import annotations

import typing as t
from pathlib import Path

import pytest
from globus_sdk.config.environments import EnvConfig

from globus_jupyter.sandbox import Sandbox

SANDBOX_TEST_ENVIRONMENT = "globus-jupyter-sandbox"

_SDK_SERVICES = ("auth", "transfer", "search", "flows", "compute", "groups", "timer")


def register_sdk_environment(sandbox: Sandbox) -> str:
    """
    Point a globus-sdk environment at ``sandbox``; clients made with
    ``environment=<the returned name>`` talk to it.
    """
    attributes = {"envname": SANDBOX_TEST_ENVIRONMENT, "domain": "sandbox.invalid"}
    for service in _SDK_SERVICES:
        attributes[f"{service}_url"] = sandbox.service_url(service)
    # defining the subclass registers it, replacing an earlier one of this name
    type("SandboxTestEnvConfig", (EnvConfig,), attributes)
    return SANDBOX_TEST_ENVIRONMENT


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
