"""ipywidgets views over the core: panels that never block the kernel."""

from __future__ import annotations

from .login import LoginPanel

__all__ = ["LoginPanel"]
