"""A sandbox and a logged-in session for the benchmarks, in a temporary directory."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import tempfile
import typing as t
from pathlib import Path

from globus_jupyter import core
from globus_jupyter.sandbox import SANDBOX_COLLECTIONS, Sandbox


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
                url = stack.enter_context(_sandbox_process(root))
                sandbox = None
            else:
                sandbox = stack.enter_context(Sandbox(root, **sandbox_options))
                url = sandbox.url
            session = core.Session(
                core.Settings(
                    environment=core.register_sandbox_environment(url),
                    sandbox_url=url,
                    data_dir=Path(tmp) / "data",
                    poll_interval=poll_interval,
                )
            )
            stack.callback(session.close)
            session.login(prompt=core.approve_in_sandbox)
            for name, collection_id in SANDBOX_COLLECTIONS.items():
                base = "/~/" if name == "home" else "/"
                session.transfer.set_alias(name, f"{collection_id}:{base}")
            yield root, sandbox, session


@contextlib.contextmanager
def _sandbox_process(root: Path) -> t.Iterator[str]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "globus_jupyter.sandbox",
            "--root",
            str(root),
            "--port",
            "0",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        yield line.rsplit(" ", 1)[-1].strip()
    finally:
        process.terminate()
        process.wait(30)


def collection_dir(root: Path, name: str) -> Path:
    return root / "collections" / name
