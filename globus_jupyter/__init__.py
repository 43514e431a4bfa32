"""
Globus from Jupyter: ``%load_ext globus_jupyter``, then ``%globus help``.

Loading the extension stays light: pandas, ipywidgets and the sandbox are imported
only when something needs them.
"""

from __future__ import annotations

import typing as t

__version__ = "0.1.0"

if t.TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

    from .core import Session


def load_ipython_extension(ipython: InteractiveShell) -> None:
    from .magics import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: InteractiveShell) -> None:
    from .magics import unload_ipython_extension as unload

    unload(ipython)


def session() -> Session:
    """The current session: ``globus_jupyter.session().whoami()``."""
    from .core import session as current

    return current()


__all__ = ["__version__", "load_ipython_extension", "session"]
