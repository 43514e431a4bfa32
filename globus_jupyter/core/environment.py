"""
Pointing globus-sdk at the sandbox through its own environment registry.

globus-sdk keeps a registry of environments by name; registering one whose service
URLs are the sandbox's makes every client built with ``environment=SANDBOX_ENVIRONMENT``
talk to it, with no global variables changed for other code in the kernel.
"""

from __future__ import annotations

import logging

from globus_sdk.config.environments import EnvConfig

log = logging.getLogger(__name__)

#: Not "sandbox": globus-sdk already names one of Globus's own environments that.
SANDBOX_ENVIRONMENT = "globus-jupyter-sandbox"

#: The sandbox accepts any client id for a native app; this one needs no setup.
SANDBOX_NATIVE_CLIENT_ID = "7c5b6f1e-3c1d-4a8e-9d8e-51a0c6b0b1a7"

_SANDBOX_SERVICES = (
    "auth",
    "transfer",
    "search",
    "flows",
    "compute",
    "groups",
    "timer",
    "actions",
)


def register_sandbox_environment(base_url: str) -> str:
    """
    Register (or re-point) the sandbox environment at ``base_url``.

    Each service lives under its own path, ``{base_url}{service}/``; globus-sdk
    wants service URLs to end with a slash.

    :returns: the environment name to pass to clients and apps
    """
    if not base_url.endswith("/"):
        base_url += "/"
    attributes: dict[str, str] = {
        "envname": SANDBOX_ENVIRONMENT,
        "domain": "sandbox.invalid",
    }
    for service in _SANDBOX_SERVICES:
        attributes[f"{service}_url"] = f"{base_url}{service}/"
    # defining the subclass registers it, replacing any earlier one of this name
    type("GlobusJupyterSandboxEnvConfig", (EnvConfig,), attributes)
    log.debug("sandbox environment registered at %s", base_url)
    return SANDBOX_ENVIRONMENT


def sandbox_base_url() -> str | None:
    """The base URL the sandbox environment points at, if it is registered."""
    config = EnvConfig.get_by_name(SANDBOX_ENVIRONMENT)
    if config is None:
        return None
    auth_url: str = config.get_service_url("auth")
    return auth_url[: -len("auth/")]
