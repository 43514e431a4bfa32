"""
Finding or starting the sandbox for a notebook.

This is the only place the core reaches the sandbox package, and only when a
sandbox is asked for: to the rest of the core it is just another environment.
"""

from __future__ import annotations

import logging
import threading
import typing as t

from .errors import SandboxUnavailable
from .settings import Settings

if t.TYPE_CHECKING:
    from globus_jupyter.sandbox import Sandbox

log = logging.getLogger(__name__)

_lock = threading.Lock()
_in_process: Sandbox | None = None


def running_sandbox() -> Sandbox | None:
    """The sandbox started in this process, if it is running."""
    return _in_process if _in_process is not None and _in_process.running else None


def start_sandbox(settings: Settings, *, port: int = 0) -> Sandbox:
    """Start the in-process sandbox (once), keeping its state under the data dir."""
    global _in_process
    with _lock:
        if _in_process is not None and _in_process.running:
            return _in_process
        try:
            from globus_jupyter.sandbox import Sandbox
        except ImportError as error:
            raise SandboxUnavailable(
                f"the sandbox needs its extra ({error.name} is missing): "
                "pip install 'globus-jupyter[sandbox]'"
            ) from None
        _in_process = Sandbox(root=settings.data_dir / "sandbox", port=port).start()
        log.debug("sandbox started at %s", _in_process.url)
        return _in_process


def stop_sandbox() -> bool:
    """Stop the in-process sandbox; ``False`` if none was running."""
    global _in_process
    with _lock:
        if _in_process is None or not _in_process.running:
            return False
        _in_process.stop()
        _in_process = None
        return True


def sandbox_url(settings: Settings, *, start: bool) -> str:
    """
    The sandbox to use: one named in the settings, the one running here, or a new
    one when ``start`` is true.
    """
    if settings.sandbox_url:
        return settings.sandbox_url
    running = running_sandbox()
    if running is not None:
        return running.url
    if not start:
        raise SandboxUnavailable(
            "no sandbox is running: expected %globus sandbox start, or "
            "GLOBUS_JUPYTER_SANDBOX_URL naming one started elsewhere"
        )
    return start_sandbox(settings).url
