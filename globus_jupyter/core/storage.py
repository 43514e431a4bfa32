"""Where a user's tokens are kept between kernels, readable by that user only."""

from __future__ import annotations

import logging
import os
import threading
import typing as t
from pathlib import Path

from globus_sdk.token_storage import SQLiteTokenStorage, TokenStorageData

log = logging.getLogger(__name__)

TOKEN_DATABASE_NAME = "tokens.db"  # noqa: S105 (a file name)


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) and make it accessible to its owner only."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


class SharedSQLiteTokenStorage(SQLiteTokenStorage):
    """
    SQLite token storage usable from the task watcher's thread as well.

    The SDK's storage holds one connection that only its creating thread may use;
    this one lets any thread use it, one at a time, and keeps the file mode 0600
    even if it was created by something else.
    """

    def __init__(self, filepath: Path, *, namespace: str) -> None:
        ensure_private_dir(filepath.parent)
        self._lock = threading.RLock()
        super().__init__(
            filepath,
            namespace=namespace,
            connect_params={"check_same_thread": False},
        )
        os.chmod(filepath, 0o600)

    def store_token_data_by_resource_server(
        self, token_data_by_resource_server: t.Mapping[str, TokenStorageData]
    ) -> None:
        with self._lock:
            super().store_token_data_by_resource_server(token_data_by_resource_server)

    def get_token_data_by_resource_server(self) -> dict[str, TokenStorageData]:
        with self._lock:
            return super().get_token_data_by_resource_server()

    def get_token_data(self, resource_server: str) -> TokenStorageData | None:
        with self._lock:
            return super().get_token_data(resource_server)

    def remove_token_data(self, resource_server: str) -> bool:
        with self._lock:
            return super().remove_token_data(resource_server)

    def close(self) -> None:
        with self._lock:
            super().close()
