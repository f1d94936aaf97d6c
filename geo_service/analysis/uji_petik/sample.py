"""The stratified random sample per desa and the whole verification list (random + flagged)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from geo_service.analysis import schema as S
from geo_service.analysis.uji_petik.columns import (
    JENIS_ACAK,
    JENIS_BENDERA,
    SAMPLE_COLUMNS,
    STRATA_DESIL,
    strata_of,
)
from geo_service.analysis.uji_petik.flags import _lookup, _pocket_ids, flag_families, flagged_list


def _desa_int(kode: str) -> int:
    digits = "".join(ch for ch in str(kode) if ch.isdigit())
    return int(digits) if digits else 0


def allocate(
    populasi: Sequence[int] | np.ndarray,
    n: int,
    *,
    alokasi: str = "proporsional",
    minimum: int = 2,
) -> np.ndarray:
    """Sample size per stratum for a desa.

    Every non-empty stratum first gets ``min(minimum, N_h)``; the rest of ``n`` is shared
    proportionally to ``N_h`` (``"proporsional"``) or equally (``"sama"``), never more than
    ``N_h``; shares are rounded by largest remainder (ties: earlier stratum). When ``n`` is
    too small for the minimum, strata get one each in their order (desil 1 first) until
    ``n`` is used. The sizes always sum to ``min(n, sum(N_h))``.
    """
    N = np.asarray(populasi, dtype=np.int64)
    if alokasi not in ("proporsional", "sama"):
        raise ValueError("alokasi must be 'proporsional' or 'sama'")
    n = int(min(max(n, 0), N.sum()))
    size = np.minimum(N, max(minimum, 0))
    if size.sum() >= n:
        size = np.zeros_like(N)
        while size.sum() < n:
            for h in range(len(N)):
                if size.sum() < n and size[h] < min(N[h], max(minimum, 1)):
                    size[h] += 1
        return size
    rest = n - int(size.sum())
    weight = N.astype(float) if alokasi == "proporsional" else (N > 0).astype(float)
    while rest > 0:
        cap = N - size
        open_ = (cap > 0) & (weight > 0)
        quota = np.zeros(len(N))
        quota[open_] = rest * weight[open_] / weight[open_].sum()
        full = open_ & (quota >= cap)
        if full.any():  # saturate and share again
            size[full] = N[full]
            rest = n - int(size.sum())
            continue
        whole = np.floor(quota).astype(np.int64)
        size += whole
        left = rest - int(whole.sum())
        frac = np.where(open_, quota - whole, -1.0)
        for h in np.argsort(-frac, kind="stable")[:left]:
            size[h] += 1
        rest = 0
    return size


def draw_random_sample(
    keluarga: pd.DataFrame,
    *,
    n_per_desa: int,
    seed: int,
    alokasi: str = "proporsional",
    min_per_strata: int = 2,
    strata: Sequence[tuple[str, int, int]] = STRATA_DESIL,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stratified random sample of ``n_per_desa`` families in every registered desa.

    Returns
    -------
    drawn
        The drawn rows of ``keluarga`` with ``strata``, ``n_populasi_strata`` (N_h),
        ``n_sampel_strata`` (n_h), ``bobot`` (N_h / n_h) and ``urutan_acak`` (draw order
        within the desa).
    design
        One row per desa x stratum (also strata with nothing drawn): ``kode_desa``,
        ``strata``, ``n_populasi``, ``n_sampel``.
    """
    if seed is None:
        raise ValueError("seed is required")
    labels = [s[0] for s in strata]
    st = strata_of(keluarga["desil"], strata)
    frame = keluarga.assign(strata=st)
    frame = frame[frame["strata"].notna()]
    picked: list[np.ndarray] = []
    design_rows: list[tuple] = []
    sizes: dict[tuple[str, str], tuple[int, int]] = {}
    codes = frame[S.KODE_DESA].astype(str).to_numpy()
    ids = frame[S.ID].astype(str).to_numpy()
    st_arr = frame["strata"].to_numpy()
    positions = np.arange(len(frame))
    order = np.lexsort((ids, codes))
    codes_sorted = codes[order]
    bounds = np.flatnonzero(np.r_[True, codes_sorted[1:] != codes_sorted[:-1], True])
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        rows = order[a:b]
        kode = codes_sorted[a]
        members = [rows[st_arr[rows] == label] for label in labels]
        N_h = np.array([len(m) for m in members])
        n_h = allocate(N_h, n_per_desa, alokasi=alokasi, minimum=min_per_strata)
        rng = np.random.default_rng([int(seed), _desa_int(kode)])
        for label, m, N, k in zip(labels, members, N_h, n_h, strict=True):
            design_rows.append((kode, label, int(N), int(k)))
            sizes[(kode, label)] = (int(N), int(k))
            if k:
                picked.append(positions[m[rng.choice(len(m), int(k), replace=False)]])
    take = np.concatenate(picked) if picked else np.empty(0, dtype=np.int64)
    drawn = frame.iloc[take].copy()
    keys = list(zip(drawn[S.KODE_DESA].astype(str), drawn["strata"], strict=True))
    drawn["n_populasi_strata"] = np.array([sizes[k][0] for k in keys], dtype=np.int64)
    drawn["n_sampel_strata"] = np.array([sizes[k][1] for k in keys], dtype=np.int64)
    drawn["bobot"] = drawn["n_populasi_strata"] / drawn["n_sampel_strata"]
    drawn["urutan_acak"] = drawn.groupby(S.KODE_DESA, sort=False).cumcount().to_numpy() + 1
    design = pd.DataFrame(design_rows, columns=[S.KODE_DESA, "strata", "n_populasi", "n_sampel"])
    return drawn, design


@dataclass(frozen=True)
class SampleParams:
    """Parameters of a ground-check sample; stored with it."""

    seed: int
    n_per_desa: int = 10
    alokasi: str = "proporsional"
    min_per_strata: int = 2
    maks_bendera: int | None = 2000
    maks_bendera_per_desa: int | None = None
    strata: tuple[tuple[str, int, int], ...] = STRATA_DESIL

    def __post_init__(self) -> None:
        if self.n_per_desa < 0:
            raise ValueError("n_per_desa must be >= 0")
        if self.alokasi not in ("proporsional", "sama"):
            raise ValueError("alokasi must be 'proporsional' or 'sama'")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["strata"] = [list(s) for s in self.strata]
        return d

    @classmethod
    def from_dict(cls, d: Mapping) -> SampleParams:
        d = dict(d)
        d["strata"] = tuple(tuple(s) for s in d.get("strata", STRATA_DESIL))
        return cls(**d)


@dataclass(frozen=True)
class GroundCheckSample:
    """A verification list: flagged families plus the stratified random sample."""

    daftar: pd.DataFrame  # SAMPLE_COLUMNS, one row per family
    design: pd.DataFrame  # desa x stratum sizes of the random part
    params: SampleParams
    n_bendera: int
    n_bendera_dipotong: int

    @property
    def acak(self) -> pd.DataFrame:
        return self.daftar[self.daftar["jenis"] == JENIS_ACAK]

    @property
    def bendera(self) -> pd.DataFrame:
        return self.daftar[self.daftar["alasan"].fillna("") != ""]


def build_sample(
    keluarga: pd.DataFrame,
    params: SampleParams,
    *,
    kantong: pd.Series | Sequence | None = None,
    nomor_kantong: Mapping[str, int] | None = None,
    peringkat_desa: Mapping[str, float] | pd.Series | None = None,
    ekstrem: np.ndarray | pd.Series | None = None,
    laporan_warga: Iterable[str] | None = None,
) -> GroundCheckSample:
    """Flagged families (priority order, capped) plus the stratified random sample.

    ``urutan`` orders the list: flagged families first in priority order, then the random
    part by desa, stratum and draw order. Every family appears once.
    """
    pockets = _pocket_ids(kantong, keluarga.index)
    kel = keluarga.reset_index(drop=True)
    pockets.index = kel.index
    flags_all = flag_families(kel, ekstrem=ekstrem, laporan_warga=laporan_warga)
    flagged = flagged_list(
        kel,
        kantong=pockets,
        nomor_kantong=nomor_kantong,
        peringkat_desa=peringkat_desa,
        maks=params.maks_bendera,
        maks_per_desa=params.maks_bendera_per_desa,
        flags=flags_all,
    )
    drawn, design = draw_random_sample(
        kel,
        n_per_desa=params.n_per_desa,
        seed=params.seed,
        alokasi=params.alokasi,
        min_per_strata=params.min_per_strata,
        strata=params.strata,
    )
    random_idx = drawn.index.to_numpy()
    flag_idx = flagged.daftar.index.to_numpy()
    flag_only = flag_idx[~np.isin(flag_idx, random_idx)]

    rows = kel.loc[np.r_[flag_only, random_idx]].copy()
    rows["jenis"] = [JENIS_BENDERA] * len(flag_only) + [JENIS_ACAK] * len(random_idx)
    rows["alasan"] = flags_all.loc[rows.index, "alasan"].to_numpy()
    for c in ("strata", "n_populasi_strata", "n_sampel_strata", "bobot", "urutan_acak"):
        rows[c] = drawn[c].reindex(rows.index)
    rows["urutan_bendera"] = flagged.daftar["urutan_bendera"].reindex(rows.index)
    rows["kantong"] = pockets.reindex(rows.index)
    rows["peringkat_desa"] = _lookup(rows[S.KODE_DESA], peringkat_desa).astype("float64")
    # Flagged ones keep their own order; random-only ones follow.
    key = pd.DataFrame(
        {
            "b": rows["urutan_bendera"].fillna(np.inf).to_numpy(),
            "d": rows[S.KODE_DESA].astype(str).to_numpy(),
            "s": rows["strata"]
            .map({s[0]: i for i, s in enumerate(params.strata)})
            .fillna(99)
            .to_numpy(),
            "a": rows["urutan_acak"].fillna(np.inf).to_numpy(),
        },
        index=rows.index,
    )
    rows = rows.loc[key.sort_values(["b", "d", "s", "a"], kind="stable").index]
    rows["urutan"] = np.arange(1, len(rows) + 1, dtype=np.int64)
    if "petugas" not in rows.columns:
        rows["petugas"] = None
    for c in SAMPLE_COLUMNS:
        if c not in rows.columns:
            rows[c] = None
    for c in ("urutan_bendera", "urutan_acak", "n_populasi_strata", "n_sampel_strata"):
        rows[c] = rows[c].astype("Int64")
    daftar = rows[list(SAMPLE_COLUMNS)].reset_index(drop=True)
    return GroundCheckSample(
        daftar=daftar,
        design=design,
        params=params,
        n_bendera=flagged.n_bendera,
        n_bendera_dipotong=flagged.n_dipotong,
    )


def assign_officers(daftar: pd.DataFrame, petugas: pd.DataFrame) -> pd.DataFrame:
    """Give each family an officer (``petugas``) of its desa.

    ``petugas`` has columns ``kode_desa`` and ``petugas``; a desa with several officers has
    its families dealt out in list order (``urutan``), one each in turn, so loads are even.
    Desa without an officer keep ``petugas`` empty.
    """
    out = daftar.sort_values("urutan", kind="stable").copy()
    officers = (
        petugas.dropna(subset=["petugas"])
        .groupby(S.KODE_DESA, sort=True)["petugas"]
        .apply(lambda s: sorted(dict.fromkeys(map(str, s))))
    )
    pos = out.groupby(S.KODE_DESA, sort=False).cumcount().to_numpy()
    names = [officers.get(k) for k in out[S.KODE_DESA]]
    out["petugas"] = [n[p % len(n)] if n else None for n, p in zip(names, pos, strict=True)]
    return out.sort_index()


def sample_id(kode_kab: str, periode: str, params: SampleParams) -> str:
    """Stable id of a sample: same kabupaten, periode and parameters give the same id."""
    key = json.dumps({"kab": kode_kab, "periode": periode, **params.to_dict()}, sort_keys=True)
    return f"UP-{kode_kab.replace('.', '')}-{periode}-" + hashlib.sha1(key.encode()).hexdigest()[:8]
