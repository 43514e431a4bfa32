"""
ipywidgets views over the core: panels that never block the kernel.

Imported lazily, so that ``globus_jupyter.widgets.text`` works without ipywidgets.
"""

from __future__ import annotations

import importlib
import typing as t

if t.TYPE_CHECKING:
    from .board import TaskBoard
    from .browser import FileBrowser
    from .login import LoginPanel
    from .progress import TaskProgress

_LAZY = {
    "FileBrowser": ".browser",
    "LoginPanel": ".login",
    "TaskBoard": ".board",
    "TaskProgress": ".progress",
}


def __getattr__(name: str) -> t.Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(name)


__all__ = ["FileBrowser", "LoginPanel", "TaskBoard", "TaskProgress"]
