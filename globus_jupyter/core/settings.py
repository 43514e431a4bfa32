"""
What a session is configured with, read from ``GLOBUS_JUPYTER_*`` variables.

The magics expose the same names as traitlets (``%config GlobusMagics.client_id``)
and hand a :class:`Settings` to the core, so that scripts and notebooks share one
set of defaults.
"""

from __future__ import annotations

import dataclasses
import os
import typing as t
from pathlib import Path

from .errors import UsageProblem

#: The token sources a session can use, in the order they are tried by default.
TOKEN_SOURCES: tuple[str, ...] = ("hub", "client", "stored", "login")

ENV_PREFIX = "GLOBUS_JUPYTER_"


def default_data_dir() -> Path:
    """A per-user directory for stored tokens, task history and sandbox state."""
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg) if xdg else Path.home() / ".local" / "share"
    return base / "globus-jupyter"


@dataclasses.dataclass(frozen=True)
class Settings:
    """
    :param client_id: the native app client id used for interactive logins against
        real Globus (register one at https://app.globus.org/settings/developers)
    :param environment: the globus-sdk environment name ("production" by default)
    :param token_sources: which sources to try, in order; a subset of
        :data:`TOKEN_SOURCES`
    :param data_dir: where tokens, history and sandbox state are kept
    :param sandbox_url: the base URL of a sandbox started elsewhere
        (``python -m globus_jupyter.sandbox``)
    """

    client_id: str | None = None
    environment: str = "production"
    token_sources: tuple[str, ...] = TOKEN_SOURCES
    data_dir: Path = dataclasses.field(default_factory=default_data_dir)
    sandbox_url: str | None = None
    poll_interval: float = 2.0

    def __post_init__(self) -> None:
        sources: t.Any = self.token_sources
        if isinstance(sources, str):
            sources = parse_token_sources(sources)
        else:
            sources = parse_token_sources(",".join(sources))
        object.__setattr__(self, "token_sources", sources)

    @classmethod
    def from_environ(
        cls, environ: t.Mapping[str, str] | None = None, **overrides: t.Any
    ) -> Settings:
        """Settings from ``GLOBUS_JUPYTER_*`` variables, then explicit overrides."""
        env = os.environ if environ is None else environ
        values: dict[str, t.Any] = {}
        if env.get(ENV_PREFIX + "CLIENT_ID"):
            values["client_id"] = env[ENV_PREFIX + "CLIENT_ID"]
        if env.get(ENV_PREFIX + "ENVIRONMENT"):
            values["environment"] = env[ENV_PREFIX + "ENVIRONMENT"]
        elif env.get("GLOBUS_SDK_ENVIRONMENT"):
            values["environment"] = env["GLOBUS_SDK_ENVIRONMENT"]
        if env.get(ENV_PREFIX + "TOKEN_SOURCES"):
            values["token_sources"] = parse_token_sources(
                env[ENV_PREFIX + "TOKEN_SOURCES"]
            )
        if env.get(ENV_PREFIX + "DATA_DIR"):
            values["data_dir"] = Path(env[ENV_PREFIX + "DATA_DIR"]).expanduser()
        if env.get(ENV_PREFIX + "POLL_INTERVAL"):
            values["poll_interval"] = _positive_float(
                env[ENV_PREFIX + "POLL_INTERVAL"], "GLOBUS_JUPYTER_POLL_INTERVAL"
            )
        if env.get(ENV_PREFIX + "SANDBOX_URL"):
            values["sandbox_url"] = env[ENV_PREFIX + "SANDBOX_URL"]
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @classmethod
    def for_sandbox(cls, url: str, **values: t.Any) -> Settings:
        """Settings for the sandbox at ``url``; a session registers its environment."""
        from .environment import SANDBOX_ENVIRONMENT

        return cls(environment=SANDBOX_ENVIRONMENT, sandbox_url=url, **values)

    def replace(self, **changes: t.Any) -> Settings:
        return dataclasses.replace(self, **changes)


def _positive_float(text: str, name: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value <= 0:
        raise UsageProblem(f"{name} is {text!r}: expected a number of seconds above 0")
    return value


def parse_token_sources(text: str) -> tuple[str, ...]:
    """``"hub, stored"`` -> ``("hub", "stored")``, refusing unknown names."""
    sources = tuple(part.strip() for part in text.split(",") if part.strip())
    if not sources:
        raise UsageProblem(
            "token sources are empty: expected a comma-separated list of "
            + ", ".join(TOKEN_SOURCES)
        )
    for source in sources:
        if source not in TOKEN_SOURCES:
            raise UsageProblem(
                f"unknown token source {source!r}: expected some of "
                + ", ".join(TOKEN_SOURCES)
            )
    return sources
