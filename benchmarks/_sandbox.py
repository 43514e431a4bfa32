"""A sandbox and a logged-in session for the benchmarks, in a temporary directory."""

from __future__ import annotations

import contextlib
import tempfile
import typing as t
from pathlib import Path

from globus_jupyter import core
from globus_jupyter.sandbox import SANDBOX_COLLECTIONS, Sandbox


@contextlib.contextmanager
def logged_in_sandbox(
    **sandbox_options: t.Any,
) -> t.Iterator[tuple[Sandbox, core.Session]]:
    with tempfile.TemporaryDirectory(prefix="globus-jupyter-bench-") as tmp:
        root = Path(tmp)
        with Sandbox(root / "sandbox", **sandbox_options) as sandbox:
            session = core.Session(
                core.Settings(
                    environment=core.register_sandbox_environment(sandbox.url),
                    sandbox_url=sandbox.url,
                    data_dir=root / "data",
                    poll_interval=1.0,
                )
            )
            session.login(prompt=core.approve_in_sandbox)
            for name, collection_id in SANDBOX_COLLECTIONS.items():
                base = "/~/" if name == "home" else "/"
                session.transfer.set_alias(name, f"{collection_id}:{base}")
            try:
                yield sandbox, session
            finally:
                session.close()


def collection_dir(sandbox: Sandbox, name: str) -> Path:
    return Path(sandbox.root) / "collections" / name
