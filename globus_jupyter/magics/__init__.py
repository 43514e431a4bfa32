"""IPython magics: ``%globus`` and ``%%globus``."""

from __future__ import annotations

import typing as t

from .globus import GlobusMagics

if t.TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell


def load_ipython_extension(ipython: InteractiveShell) -> None:
    ipython.register_magics(GlobusMagics(shell=ipython))


def unload_ipython_extension(ipython: InteractiveShell) -> None:
    magics = ipython.magics_manager.registry.pop("GlobusMagics", None)
    if magics is not None:
        ipython.magics_manager.magics["line"].pop("globus", None)
        ipython.magics_manager.magics["cell"].pop("globus", None)
        if magics in getattr(ipython, "configurables", []):
            ipython.configurables.remove(magics)


__all__ = ["GlobusMagics", "load_ipython_extension", "unload_ipython_extension"]
