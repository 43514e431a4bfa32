"""
Turning Globus responses into DataFrames with stable columns and real dtypes.

pandas is imported here, on the first frame, never when the extension loads.
Frames are built column-wise from lists: listings can be very long.
"""

from __future__ import annotations

import typing as t

if t.TYPE_CHECKING:
    import pandas as pd

    from .session import TokenSummary

IDENTITY_COLUMNS = (
    "username",
    "name",
    "email",
    "identity_provider",
    "organization",
    "id",
    "primary",
)

TOKEN_COLUMNS = ("resource_server", "scopes", "expires_at", "expired", "refreshable")


def identity_frame(
    identities: t.Sequence[t.Mapping[str, t.Any]], *, primary_id: str
) -> pd.DataFrame:
    """One row per identity in a userinfo identity set, the primary one first."""
    import pandas as pd

    ordered = sorted(identities, key=lambda i: i.get("sub") != primary_id)
    columns: dict[str, list[t.Any]] = {
        "username": [i.get("username") or i.get("preferred_username") for i in ordered],
        "name": [i.get("name") for i in ordered],
        "email": [i.get("email") for i in ordered],
        "identity_provider": [
            i.get("identity_provider_display_name") or i.get("identity_provider")
            for i in ordered
        ],
        "organization": [i.get("organization") for i in ordered],
        "id": [i.get("sub") for i in ordered],
        "primary": [i.get("sub") == primary_id for i in ordered],
    }
    frame = pd.DataFrame(columns, columns=list(IDENTITY_COLUMNS))
    frame = frame.astype({"primary": "bool"})
    frame.attrs["primary_identity"] = primary_id
    return frame


def token_summary_frame(tokens: t.Sequence[TokenSummary]) -> pd.DataFrame:
    """Scopes and expiry per resource server; there is no column for token values."""
    import pandas as pd

    columns: dict[str, t.Any] = {
        "resource_server": [tok.resource_server for tok in tokens],
        "scopes": [" ".join(tok.scopes) for tok in tokens],
        "expires_at": pd.to_datetime([tok.expires_at for tok in tokens], utc=True),
        "expired": [tok.expired for tok in tokens],
        "refreshable": [tok.refreshable for tok in tokens],
    }
    frame = pd.DataFrame(columns, columns=list(TOKEN_COLUMNS))
    return frame.astype({"expired": "bool", "refreshable": "bool"})
