"""A sandbox and a logged-in session for the benchmarks, in a temporary directory."""

from __future__ import annotations

import contextlib
import tempfile
import typing as t
from pathlib import Path

from globus_jupyter import core
from globus_jupyter.sandbox import SANDBOX_COLLECTIONS, Sandbox
from globus_jupyter.sandbox.process import SandboxProcess


@contextlib.contextmanager
def logged_in_sandbox(
    *,
    separate_process: bool = False,
    poll_interval: float = 1.0,
    **sandbox_options: t.Any,
) -> t.Iterator[tuple[Path, Sandbox | None, core.Session]]:
    """
    Start a sandbox (in this process, or as ``python -m globus_jupyter.sandbox``
    so that its work does not share this process's interpreter lock) and log in.

    Yields the sandbox root, the in-process ``Sandbox`` (or ``None``) and a session
    with the aliases home, scratch, remote and guarded.
    """
    with tempfile.TemporaryDirectory(prefix="globus-jupyter-bench-") as tmp:
        root = Path(tmp) / "sandbox"
        with contextlib.ExitStack() as stack:
            if separate_process:
                url = stack.enter_context(SandboxProcess(root)).url
                sandbox = None
            else:
                sandbox = stack.enter_context(Sandbox(root, **sandbox_options))
                url = sandbox.url
            session = core.Session(
                core.Settings.for_sandbox(
                    url, data_dir=Path(tmp) / "data", poll_interval=poll_interval
                )
            )
            stack.callback(session.close)
            session.login(prompt=core.approve_in_sandbox)
            for name, collection_id in SANDBOX_COLLECTIONS.items():
                base = "/~/" if name == "home" else "/"
                session.transfer.set_alias(name, f"{collection_id}:{base}")
            yield root, sandbox, session


def collection_dir(root: Path, name: str) -> Path:
    return root / "collections" / name
