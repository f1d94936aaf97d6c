"""What every repository module shares: the session type, the caller's :class:`Scope` and
the JSON conversion of stored values.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Connection, Executable, true
from sqlalchemy.orm import Session

from geo_service.analysis import schema as S
from geo_service.analysis._util import jsonable
from geo_service.errors import AccessDeniedError

Bind = Session | Connection


_KODE_KAB_RE = S.KODE_KAB_PATTERN


def rows_changed(session: Bind, stmt: Executable) -> int:
    """Run an UPDATE or DELETE and return how many rows it changed (0 when the driver
    does not say)."""
    # A CursorResult for UPDATE/DELETE; typed as the general Result by SQLAlchemy.
    return int(getattr(session.execute(stmt), "rowcount", 0) or 0)


@dataclass(frozen=True)
class Scope:
    """The kabupaten a caller may see: a set of codes, or every kabupaten (``Scope.all()``,
    for the CLI and administrators). There is no default: every call states it."""

    kabupaten: frozenset[str] | None

    @classmethod
    def all(cls) -> Scope:
        return cls(None)

    @classmethod
    def of(cls, *kode_kab: str | Iterable[str]) -> Scope:
        codes: set[str] = set()
        for k in kode_kab:
            codes.update([k] if isinstance(k, str) else k)
        return cls(frozenset(codes))

    @property
    def is_all(self) -> bool:
        return self.kabupaten is None

    def allows(self, kode_kab: str) -> bool:
        return self.kabupaten is None or kode_kab in self.kabupaten

    def check(self, kode_kab: str) -> None:
        """Raise :class:`AccessDeniedError` unless ``kode_kab`` is in the scope."""
        if not self.allows(kode_kab):
            raise AccessDeniedError(
                f"Anda tidak berwenang atas kabupaten {kode_kab}.",
                f"You are not allowed to access kabupaten {kode_kab}.",
            )

    def where(self, column):
        """SQL condition limiting ``column`` (a kabupaten code) to the scope."""
        if self.kabupaten is None:
            return true()
        return column.in_(sorted(self.kabupaten))


def _geoms(values) -> np.ndarray:
    return shapely.from_wkb([None if v is None else bytes(v) for v in values])


_py = jsonable  # the one converter (analysis._util)


def _jsonable(obj: Any) -> Any:
    return json.loads(
        json.dumps(
            _py(obj) if not isinstance(obj, Mapping) else {str(k): _py(v) for k, v in obj.items()}
        )
    )


def _row_json(row: pd.Series) -> dict[str, Any]:
    return {str(k): _py(v) for k, v in row.items() if k != "geometry"}


def _str_or_none(v: Any, n: int) -> str | None:
    return None if v is None else str(v)[:n]


def _float_or_none(v: Any) -> float | None:
    return (
        float(v)
        if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
        else None
    )


def _restore(s: pd.Series, dtype: str) -> pd.Series:
    """Back to the stored dtype (JSON gave Python values)."""
    try:
        if dtype.startswith(("int", "uint")):
            if s.isna().any():
                return s.astype("Int64" if dtype.startswith("int") else "UInt64")
            return pd.Series(np.array(s.tolist(), dtype=dtype), index=s.index, name=s.name)
        if dtype.startswith("float"):
            return pd.to_numeric(s).astype(dtype)
        if dtype == "bool":
            return s.astype(bool)
        if dtype.startswith("datetime64"):
            return pd.to_datetime(s, utc="UTC" in dtype or "tz" in dtype)
        if dtype == "object":
            return s.astype(object)
        return s.astype(dtype)
    except (TypeError, ValueError):
        return s
