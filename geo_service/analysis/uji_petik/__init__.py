"""Ground checks (uji petik): who to visit, the random sample, field results and error rates.

A verification list has two parts:

1. **Flagged families** (``jenis = "bendera"``): every family with a reason to be checked —
   ``lokasi_tidak_sesuai`` (geotag in another desa than registered), ``di_luar_batas``
   (geotag outside every desa), ``dugaan_exclusion`` (extreme poor without PKH, BPNT or
   PBI-JK), ``dugaan_inclusion`` (desil 6-10 receiving PKH) and ``laporan_warga`` (a citizen
   report names the family). Ordered by priority (below) and capped. Flagged families are
   chosen on purpose, so they say nothing about how often records are wrong in general.
2. **A stratified random sample** (``jenis = "acak"``) per desa, strata by desil group
   (``desil_1``, ``desil_2_4``, ``desil_5_10``). Its inclusion probabilities are known
   (``bobot`` = stratum families / sampled), so the share of wrong records can be estimated
   without bias. A family drawn at random that is also flagged stays ``acak`` (with its
   flags in ``alasan``): the random part is never thinned by the flagged part.

Everything is attributed to the family's **registered** desa (``kode_desa``): the desa
operator and facilitator who keep that desa's register do the visit.

Priority order of flagged families: families in a pocket first, then by the priority rank of
their desa (1 = first), then by pocket number, then by reason (``FLAG_ORDER``), then more
reasons first, then ``id_keluarga`` (so the order never depends on row order).

The random draw is reproducible: each desa draws from its own generator seeded by
``(seed, desa code)``, from its families sorted by ``id_keluarga``; adding or removing other
desa, or shuffling rows, does not change a desa's sample.

Error-rate estimation (:func:`estimate_error_rate`) uses only the random part: a stratified
estimator of a proportion (strata = desa x desil group) with finite population correction,
and a Wilson interval on the effective sample size (Kish design effect). See the function.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from statistics import NormalDist

import numpy as np
import pandas as pd

from geo_service.analysis import schema as S

# --- vocabulary -------------------------------------------------------------------------

STRATA_DESIL: tuple[tuple[str, int, int], ...] = (
    ("desil_1", 1, 1),
    ("desil_2_4", 2, 4),
    ("desil_5_10", 5, 10),
)

JENIS_ACAK = "acak"
JENIS_BENDERA = "bendera"

# Flag reason -> (Bahasa Indonesia, English). Order = priority among reasons.
FLAG_REASONS: dict[str, tuple[str, str]] = {
    "laporan_warga": (
        "Ada laporan warga tentang keluarga ini",
        "A citizen report names this family",
    ),
    "dugaan_exclusion": (
        "Miskin ekstrem tanpa PKH, BPNT maupun PBI-JK (dugaan exclusion error)",
        "Extreme poor without PKH, BPNT or PBI-JK (suspected exclusion error)",
    ),
    "lokasi_tidak_sesuai": (
        "Geotag berada di desa lain dari desa terdaftar",
        "Geotag lies in another desa than the registered one",
    ),
    "di_luar_batas": ("Geotag di luar semua batas desa", "Geotag outside every desa boundary"),
    "dugaan_inclusion": (
        "Desil 6-10 menerima PKH (dugaan inclusion error)",
        "Desil 6-10 receiving PKH (suspected inclusion error)",
    ),
}
FLAG_ORDER: tuple[str, ...] = tuple(FLAG_REASONS)

# Field result statuses -> (Bahasa Indonesia, English).
STATUS_HASIL: dict[str, tuple[str, str]] = {
    "sesuai": ("Data sesuai kenyataan", "Record matches reality"),
    "kondisi_berubah": ("Kondisi keluarga berubah", "Family's condition has changed"),
    "pindah": ("Keluarga pindah", "Family has moved"),
    "meninggal": ("Keluarga meninggal / bubar", "Family deceased / dissolved"),
    "tidak_ditemukan": ("Keluarga tidak ditemukan", "Family not found"),
}
STATUSES: tuple[str, ...] = tuple(STATUS_HASIL)
# A record is wrong when the officer found anything but "sesuai".
STATUS_SALAH: tuple[str, ...] = ("kondisi_berubah", "pindah", "meninggal", "tidak_ditemukan")

# Contract fields an officer may correct; desil is computed centrally and never edited.
UPDATABLE_COLUMNS: tuple[str, ...] = (
    S.KODE_DESA,
    "jumlah_art",
    "pengeluaran_kapita",
    *S.FLAG_COLUMNS,
)
LOCKED_COLUMNS: tuple[str, ...] = ("desil", S.PERIODE)
RESULT_COLUMNS: tuple[str, ...] = (
    S.ID,
    "status",
    "petugas",
    "tanggal",
    "lat_baru",
    "lon_baru",
    "perubahan",
    "catatan",
)

# Reason codes of field-result imports (on top of the contract's codes in schema.REASONS).
HASIL_REASONS: dict[str, tuple[str, str]] = {
    "status_tidak_valid": (
        "Status harus salah satu dari: " + ", ".join(STATUSES),
        "Status must be one of: " + ", ".join(STATUSES),
    ),
    "keluarga_tidak_dalam_sampel": (
        "id_keluarga tidak ada dalam sampel uji petik ini",
        "id_keluarga is not in this ground-check sample",
    ),
    "tanggal_tidak_valid": (
        "Tanggal harus berformat YYYY-MM-DD dan tidak di masa depan",
        "Date must look like YYYY-MM-DD and not lie in the future",
    ),
    "status_tidak_konsisten": (
        "Status tidak cocok dengan perubahan yang diisi (mis. 'sesuai' tetapi ada kolom diubah, "
        "atau kode desa diubah tanpa status 'pindah')",
        "Status does not match the changes entered (e.g. 'sesuai' with changed columns, or a "
        "changed desa code without status 'pindah')",
    ),
    "kolom_tidak_dapat_diubah": (
        "Kolom ini tidak boleh diubah petugas (desil dihitung pusat)",
        "Officers may not change this column (desil is computed centrally)",
    ),
}


def _reason_text(code: str, lang: str) -> str:
    pair = HASIL_REASONS.get(code) or S.REASONS.get(code) or (code, code)
    return pair[1] if lang == "en" else pair[0]


def flag_text(code: str, lang: str = "id") -> str:
    """Readable text of a flag reason."""
    pesan, message = FLAG_REASONS[code]
    return message if lang == "en" else pesan


def flag_column(code: str) -> str:
    """Column of :func:`flag_families` holding one flag reason."""
    return f"bendera_{code}"


def strata_of(desil, strata: Sequence[tuple[str, int, int]] = STRATA_DESIL) -> np.ndarray:
    """Stratum label of each desil (object array; None for desil outside every stratum)."""
    d = np.asarray(desil, dtype=np.int64)
    out = np.full(len(d), None, dtype=object)
    for label, lo, hi in strata:
        out[(d >= lo) & (d <= hi)] = label
    return out


def _desa_int(kode: str) -> int:
    digits = "".join(ch for ch in str(kode) if ch.isdigit())
    return int(digits) if digits else 0


# --- flags ------------------------------------------------------------------------------


def flag_families(
    keluarga: pd.DataFrame,
    *,
    ekstrem: np.ndarray | pd.Series | None = None,
    laporan_warga: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Flag reasons of every family (one boolean column per reason in ``FLAG_ORDER``).

    Parameters
    ----------
    keluarga
        Located families (``IndicatorResult.keluarga``): contract columns plus
        ``status_lokasi`` and ``lokasi_tidak_sesuai``.
    ekstrem
        Extreme-poverty flag per family; default ``keluarga["ekstrem"]`` or ``desil == 1``.
    laporan_warga
        ``id_keluarga`` named by citizen reports still open.

    Returns
    -------
    pandas.DataFrame
        Aligned with ``keluarga.index``: a boolean column ``bendera_<reason>`` per reason,
        ``alasan`` (codes joined by ``;`` in ``FLAG_ORDER``, empty when none) and
        ``n_alasan``.
    """
    n = len(keluarga)
    if ekstrem is None:
        ekstrem = keluarga["ekstrem"] if "ekstrem" in keluarga.columns else keluarga["desil"] == 1
    ekstrem = np.asarray(ekstrem, dtype=bool)

    def col(name: str) -> np.ndarray:
        if name not in keluarga.columns:
            return np.zeros(n, dtype=bool)
        return pd.to_numeric(keluarga[name], errors="coerce").fillna(0).to_numpy() == 1

    desil = pd.to_numeric(keluarga["desil"], errors="coerce").to_numpy()
    no_programme = ~(col("penerima_pkh") | col("penerima_bpnt") | col("penerima_pbi_jk"))
    status = (
        keluarga["status_lokasi"].astype(object).to_numpy()
        if "status_lokasi" in keluarga.columns
        else np.full(n, None, dtype=object)
    )
    lts = (
        keluarga["lokasi_tidak_sesuai"].fillna(False).to_numpy(dtype=bool)
        if "lokasi_tidak_sesuai" in keluarga.columns
        else np.zeros(n, dtype=bool)
    )
    reported = (
        keluarga[S.ID].isin(set(laporan_warga)).to_numpy()
        if laporan_warga is not None
        else np.zeros(n, dtype=bool)
    )
    flags = {
        "laporan_warga": reported,
        "dugaan_exclusion": ekstrem & no_programme,
        "lokasi_tidak_sesuai": lts,
        "di_luar_batas": status == S.STATUS_DI_LUAR_BATAS,
        "dugaan_inclusion": (desil >= 6) & col("penerima_pkh"),
    }
    out = pd.DataFrame({flag_column(k): v for k, v in flags.items()}, index=keluarga.index)
    codes = np.array(FLAG_ORDER, dtype=object)
    matrix = out[[flag_column(k) for k in FLAG_ORDER]].to_numpy()
    out["alasan"] = [";".join(codes[row]) for row in matrix]
    out["n_alasan"] = matrix.sum(axis=1).astype(np.int64)
    return out


@dataclass(frozen=True)
class FlaggedList:
    """Flagged families in priority order, after the caps."""

    daftar: pd.DataFrame
    n_bendera: int  # flagged before the caps
    n_dipotong: int  # left out by the caps


def _pocket_ids(kantong, index: pd.Index) -> pd.Series:
    """Pocket id per row as str or None (a Series aligns on its index, a list by position)."""
    if kantong is None:
        values = [None] * len(index)
    elif isinstance(kantong, pd.Series):
        values = kantong.reindex(index).tolist()
    else:
        values = list(kantong)
    return pd.Series(
        [None if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v) for v in values],
        index=index,
        dtype=object,
    )


def _lookup(keys: pd.Series, mapping) -> pd.Series:
    if mapping is None:
        return pd.Series(np.nan, index=keys.index, dtype="float64")
    if not isinstance(mapping, pd.Series):
        mapping = pd.Series(dict(mapping))
    return keys.map(mapping)


def flagged_list(
    keluarga: pd.DataFrame,
    *,
    kantong: pd.Series | Sequence | None = None,
    nomor_kantong: Mapping[str, int] | None = None,
    peringkat_desa: Mapping[str, float] | pd.Series | None = None,
    maks: int | None = None,
    maks_per_desa: int | None = None,
    ekstrem: np.ndarray | pd.Series | None = None,
    laporan_warga: Iterable[str] | None = None,
    flags: pd.DataFrame | None = None,
) -> FlaggedList:
    """Every flagged family, in priority order, capped.

    Parameters
    ----------
    keluarga
        Located families (see :func:`flag_families`).
    kantong
        Pocket id of each family (None/NaN when in no pocket): a Series aligned on
        ``keluarga.index``, or a sequence in row order.
    nomor_kantong
        Pocket id -> pocket number (1 = largest); default: order of the ids.
    peringkat_desa
        Registered desa code -> priority rank (1 = first); desa without a rank go last.
    maks
        Largest number of flagged families in the list (None: all).
    maks_per_desa
        Largest number per desa, applied first (None: no limit).
    flags
        Output of :func:`flag_families` for ``keluarga`` when already computed.

    Returns
    -------
    FlaggedList
        ``daftar``: the flagged rows of ``keluarga`` with the flag columns, ``kantong``,
        ``nomor_kantong``, ``peringkat_desa`` and ``urutan_bendera`` (1, 2, ...).
    """
    if flags is None:
        flags = flag_families(keluarga, ekstrem=ekstrem, laporan_warga=laporan_warga)
    frame = pd.concat([keluarga, flags], axis=1)
    frame["kantong"] = _pocket_ids(kantong, frame.index)
    ids = sorted({x for x in frame["kantong"] if x is not None})
    nomor = (
        dict(nomor_kantong)
        if nomor_kantong is not None
        else {pid: i + 1 for i, pid in enumerate(ids)}
    )
    frame["nomor_kantong"] = frame["kantong"].map(nomor).astype("float64")
    frame["peringkat_desa"] = _lookup(frame[S.KODE_DESA], peringkat_desa).astype("float64")
    frame = frame[frame["n_alasan"].to_numpy() > 0]
    n_bendera = len(frame)

    first_reason = np.full(len(frame), len(FLAG_ORDER), dtype=np.int64)
    for i, code in reversed(list(enumerate(FLAG_ORDER))):
        first_reason[frame[flag_column(code)].to_numpy()] = i
    key = pd.DataFrame(
        {
            "luar_kantong": frame["kantong"].isna().to_numpy(),
            "peringkat": frame["peringkat_desa"].fillna(np.inf).to_numpy(),
            "nomor": frame["nomor_kantong"].fillna(np.inf).to_numpy(),
            "alasan": first_reason,
            "n": -frame["n_alasan"].to_numpy(),
            "id": frame[S.ID].astype(str).to_numpy(),
        }
    )
    order = key.sort_values(list(key.columns), kind="stable").index.to_numpy()
    frame = frame.iloc[order]
    if maks_per_desa is not None:
        frame = frame[frame.groupby(S.KODE_DESA, sort=False).cumcount().to_numpy() < maks_per_desa]
    if maks is not None:
        frame = frame.iloc[:maks]
    frame = frame.copy()
    frame["urutan_bendera"] = np.arange(1, len(frame) + 1, dtype=np.int64)
    return FlaggedList(daftar=frame, n_bendera=n_bendera, n_dipotong=n_bendera - len(frame))


def pocket_of_families(h3_cells: Sequence, kantong: pd.DataFrame) -> list[str | None]:
    """Pocket id of each family from its H3 cell and the pockets' cells.

    Parameters
    ----------
    h3_cells
        Each family's cell as hex text (None/empty without a geotag), at the analysis
        resolution (finer than or equal to the pockets').
    kantong
        Pockets with ``kantong_id`` and ``sel_h3`` (comma-separated cells, all at one
        resolution), as the planning stage gives them.

    Returns
    -------
    list
        The pocket id per family, None when in no pocket.
    """
    from geo_service.analysis.locate import cell_to_parent, cells_to_str

    cell_of: dict[str, str] = {}
    if kantong is not None and len(kantong) and {"kantong_id", "sel_h3"} <= set(kantong.columns):
        for pid, cells in zip(kantong["kantong_id"], kantong["sel_h3"], strict=True):
            for c in str(cells or "").split(","):
                if c.strip():
                    cell_of[c.strip()] = str(pid)
    out: list[str | None] = [None] * len(h3_cells)
    if not cell_of:
        return out
    res = int((int(next(iter(cell_of)), 16) >> 52) & 0xF)
    text = [
        str(c)
        if c is not None
        and not (isinstance(c, float) and np.isnan(c))
        and str(c) not in ("", "0", "<NA>")
        else None
        for c in h3_cells
    ]
    has = np.array([t is not None for t in text], dtype=bool)
    if not has.any():
        return out
    cells = np.array([int(t, 16) for t in text if t is not None], dtype=np.uint64)
    parents = cells_to_str(cell_to_parent(cells, res))
    for i, name in zip(np.flatnonzero(has), parents, strict=True):
        out[i] = cell_of.get(str(name))
    return out


# --- the random part --------------------------------------------------------------------


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


# --- the whole sample -------------------------------------------------------------------


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


# Columns of a sample list, in order (the contract columns a visit checks come along).
SAMPLE_COLUMNS: tuple[str, ...] = (
    "urutan",
    S.ID,
    S.PERIODE,
    S.KODE_DESA,
    "kode_desa_lokasi",
    "status_lokasi",
    "lat",
    "lon",
    "jumlah_art",
    "desil",
    "pengeluaran_kapita",
    *S.FLAG_COLUMNS,
    "jenis",
    "alasan",
    "strata",
    "n_populasi_strata",
    "n_sampel_strata",
    "bobot",
    "kantong",
    "peringkat_desa",
    "urutan_bendera",
    "urutan_acak",
    "petugas",
)


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


# --- field results ----------------------------------------------------------------------


@dataclass(frozen=True)
class FieldResultCheck:
    """Outcome of :func:`validate_field_results`."""

    valid: pd.DataFrame  # RESULT_COLUMNS + kode_desa, for rows without problems
    problems: pd.DataFrame  # baris, id_keluarga, kolom, nilai, kode_alasan, keterangan
    n_kosong: int  # rows without any result yet (not visited), skipped
    unknown_columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.problems.empty


PROBLEM_COLUMNS = ["baris", S.ID, "kolom", "nilai", "kode_alasan", "keterangan"]
_KODE_DESA = re.compile(r"\d{2}\.\d{2}\.\d{2}\.\d{4}")


def _bool(mask) -> np.ndarray:
    """A boolean array from a mask that may hold NA (NA counts as False)."""
    if isinstance(mask, pd.Series):
        return mask.astype("boolean").fillna(False).to_numpy(dtype=bool)
    return np.asarray(mask, dtype=bool)


def _cell_text(v) -> str | None:
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, pd.Timestamp | date):
        return v.isoformat()[:10]
    if isinstance(v, float) and v == np.floor(v) and abs(v) < 1e15:
        text = repr(v)
        return text[:-2] if text.endswith(".0") else text
    text = str(v).strip()
    return text or None


def _str(s: pd.Series) -> pd.Series:
    """Cells as stripped text (object), None when empty; whole floats lose their ``.0``."""
    return pd.Series([_cell_text(v) for v in s.tolist()], index=s.index, dtype=object)


def _blank(s: pd.Series) -> np.ndarray:
    return _str(s).isna().to_numpy()


def _parse_date(s: pd.Series) -> pd.Series:
    """ISO dates (``YYYY-MM-DD``); Excel/GPKG dates and datetimes too. NaT where unreadable."""
    text = _str(s).map(lambda v: v[:10] if v is not None else None)
    return pd.to_datetime(text, errors="coerce", format="%Y-%m-%d")


def validate_field_results(
    raw: pd.DataFrame,
    daftar: pd.DataFrame,
    *,
    today: date,
    row_offset: int = 0,
    lang: str = "id",
) -> FieldResultCheck:
    """Check field results against the sample; report every problem of every row.

    A row whose ``status``, ``petugas`` and ``tanggal`` are all empty is a family not
    visited yet: skipped, not an error. Changes to contract fields are found by comparing
    with the sample's values; a new geotag by comparing ``lat``/``lon`` with the sample's.

    Parameters
    ----------
    raw
        Rows as read (CSV/XLSX text, or typed from a GeoPackage), at least ``id_keluarga``
        and ``status``; optional ``petugas``, ``tanggal``, ``lat``, ``lon`` (or
        ``lat_baru``/``lon_baru``), ``catatan`` and any of ``UPDATABLE_COLUMNS``.
    daftar
        The sample list (``GroundCheckSample.daftar``).
    today
        Dates after this are refused.
    row_offset
        Added to spreadsheet row numbers (header = row 1).

    Returns
    -------
    FieldResultCheck
        ``valid`` has ``RESULT_COLUMNS`` plus ``kode_desa`` (of the sample); ``perubahan`` is
        a JSON object (sorted keys) of the corrected contract fields.
    """
    problems: list[tuple] = []
    raw = raw.reset_index(drop=True)
    baris = np.arange(len(raw)) + 2 + row_offset
    known = (
        set(RESULT_COLUMNS)
        | set(UPDATABLE_COLUMNS)
        | set(LOCKED_COLUMNS)
        | set(SAMPLE_COLUMNS)
        | {"lat", "lon", "nama_desa", "fid", "geometry", "ada_geotag", "status_teks", "alasan_teks"}
    )
    unknown = [c for c in raw.columns if c not in known]

    def report(mask, col, values, code):
        for i in np.flatnonzero(_bool(mask)):
            v = values.iloc[i] if values is not None else None
            problems.append(
                (
                    int(baris[i]),
                    ids.iloc[i],
                    col,
                    None if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v),
                    code,
                    _reason_text(code, lang),
                )
            )

    for col in (S.ID, "status"):
        if col not in raw.columns:
            problems.append(
                (1, None, col, None, "kolom_tidak_ada", _reason_text("kolom_tidak_ada", lang))
            )
    if problems:
        return FieldResultCheck(
            _empty_results(), pd.DataFrame(problems, columns=PROBLEM_COLUMNS), 0, unknown
        )

    n = len(raw)
    none = pd.Series([None] * n, index=raw.index, dtype=object)
    ids = _str(raw[S.ID])
    status = _str(raw["status"]).map(lambda v: v.lower() if v is not None else None)
    petugas = _str(raw["petugas"]) if "petugas" in raw.columns else none
    tanggal_raw = raw["tanggal"] if "tanggal" in raw.columns else none
    has_date = ~_blank(tanggal_raw)
    empty = status.isna().to_numpy() & petugas.isna().to_numpy() & ~has_date
    n_kosong = int(empty.sum())
    todo = ~empty

    sample = daftar.drop_duplicates(S.ID)
    sample = sample.set_index(sample[S.ID].astype(str))
    id_ok = ids.notna().to_numpy()
    in_sample = ids.isin(sample.index).to_numpy()
    report(todo & ~id_ok, S.ID, ids, "kolom_wajib_kosong")
    report(todo & id_ok & ~in_sample, S.ID, ids, "keluarga_tidak_dalam_sampel")
    dup = np.zeros(n, dtype=bool)
    dup[todo & id_ok] = ids[todo & id_ok].duplicated(keep=False).to_numpy()
    report(dup, S.ID, ids, "id_keluarga_ganda")
    st_ok = status.notna().to_numpy()
    report(todo & ~st_ok, "status", status, "kolom_wajib_kosong")
    report(
        todo & st_ok & ~status.isin(STATUSES).to_numpy(),
        "status",
        raw["status"],
        "status_tidak_valid",
    )
    report(todo & petugas.isna().to_numpy(), "petugas", petugas, "kolom_wajib_kosong")
    tanggal = _parse_date(tanggal_raw)
    report(todo & ~has_date, "tanggal", tanggal_raw, "kolom_wajib_kosong")
    bad_date = todo & has_date & _bool(tanggal.isna() | (tanggal > pd.Timestamp(today)))
    report(bad_date, "tanggal", tanggal_raw, "tanggal_tidak_valid")

    # Sample values of each row's family (NaN when the family is unknown).
    ref = sample.reindex(ids.where(in_sample, "\x00missing").to_numpy())
    ref.index = raw.index

    # Geotag: lat_baru/lon_baru, else lat/lon compared with the sample.
    lat_col = "lat_baru" if "lat_baru" in raw.columns else ("lat" if "lat" in raw.columns else None)
    lon_col = "lon_baru" if "lon_baru" in raw.columns else ("lon" if "lon" in raw.columns else None)
    lat_new = np.full(n, np.nan)
    lon_new = np.full(n, np.nan)
    if lat_col and lon_col:
        lat_txt, lon_txt = raw[lat_col], raw[lon_col]
        has_lat, has_lon = ~_blank(lat_txt), ~_blank(lon_txt)
        lat_num = pd.to_numeric(_str(lat_txt), errors="coerce").to_numpy(dtype=float)
        lon_num = pd.to_numeric(_str(lon_txt), errors="coerce").to_numpy(dtype=float)
        report(todo & (has_lat ^ has_lon), lat_col, lat_txt, "koordinat_tidak_lengkap")
        not_num = (has_lat & np.isnan(lat_num)) | (has_lon & np.isnan(lon_num))
        report(todo & not_num, lat_col, lat_txt, "koordinat_tidak_valid")
        both = todo & has_lat & has_lon & ~not_num
        swapped = both & (lat_num >= 95) & (lat_num <= 141) & (lon_num >= -11) & (lon_num <= 6)
        report(swapped, lat_col, lat_txt, "koordinat_tertukar")
        inside = (
            (lat_num >= S.LAT_RANGE[0])
            & (lat_num <= S.LAT_RANGE[1])
            & (lon_num >= S.LON_RANGE[0])
            & (lon_num <= S.LON_RANGE[1])
        )
        outside = both & ~swapped & ~inside
        report(outside, lat_col, lat_txt, "koordinat_di_luar_indonesia")
        ok_geo = both & ~swapped & ~outside
        old_lat = pd.to_numeric(ref["lat"], errors="coerce").to_numpy(dtype=float)
        old_lon = pd.to_numeric(ref["lon"], errors="coerce").to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            same = (np.abs(lat_num - old_lat) < 1e-5) & (np.abs(lon_num - old_lon) < 1e-5)
        moved = ok_geo if lat_col == "lat_baru" else ok_geo & ~same
        lat_new = np.where(moved, lat_num, np.nan)
        lon_new = np.where(moved, lon_num, np.nan)

    # Locked columns: must equal the sample when present.
    for col in LOCKED_COLUMNS:
        if col in raw.columns:
            given = _str(raw[col])
            if col == "desil":
                same = _bool(
                    pd.to_numeric(given, errors="coerce")
                    == pd.to_numeric(ref[col], errors="coerce")
                )
            else:
                same = (given.astype(str) == ref[col].astype(str)).to_numpy()
            report(
                todo & in_sample & given.notna().to_numpy() & ~same,
                col,
                raw[col],
                "kolom_tidak_dapat_diubah",
            )

    # Updatable contract fields: validate, and collect the ones that differ.
    changes: list[dict] = [{} for _ in range(n)]
    for col in UPDATABLE_COLUMNS:
        if col not in raw.columns:
            continue
        given = _str(raw[col])
        present = todo & given.notna().to_numpy()
        if col == S.KODE_DESA:
            fmt = given.map(lambda v: v is not None and bool(_KODE_DESA.fullmatch(v)))
            bad = present & ~fmt.to_numpy(dtype=bool)
            report(bad, col, raw[col], "kode_desa_salah_format")
            diff = (
                present & ~bad & in_sample & (given.astype(str) != ref[col].astype(str)).to_numpy()
            )
            for i in np.flatnonzero(diff):
                changes[i][col] = str(given.iloc[i])
            continue
        num = pd.to_numeric(given, errors="coerce").to_numpy(dtype=float)
        whole = ~np.isnan(num) & (num == np.floor(num))
        if col in S.FLAG_COLUMNS:
            ok, code = (num == 0) | (num == 1), "nilai_biner_tidak_valid"
        elif col == "jumlah_art":
            ok, code = whole & (num >= 1) & (num <= S.MAX_ART), "jumlah_art_tidak_valid"
        else:  # pengeluaran_kapita
            ok, code = whole & (num >= 0), "pengeluaran_tidak_valid"
        bad = present & ~ok
        report(bad, col, raw[col], code)
        old = pd.to_numeric(ref[col], errors="coerce").to_numpy(dtype=float)
        diff = present & ~bad & in_sample & ~(num == old)
        for i in np.flatnonzero(diff):
            changes[i][col] = int(num[i])

    # Status consistency.
    changed_any = np.array([bool(c) for c in changes], dtype=bool) | ~np.isnan(lat_new)
    desa_changed = np.array([S.KODE_DESA in c for c in changes], dtype=bool)
    st = status.to_numpy(dtype=object)
    inconsistent = todo & (((st == "sesuai") & changed_any) | (desa_changed & (st != "pindah")))
    report(inconsistent, "status", raw["status"], "status_tidak_konsisten")

    problem_frame = (
        pd.DataFrame(problems, columns=PROBLEM_COLUMNS)
        .sort_values(["baris", "kolom"], kind="stable")
        .reset_index(drop=True)
    )
    keep = todo & ~np.isin(baris, problem_frame["baris"].to_numpy())
    catatan = _str(raw["catatan"]) if "catatan" in raw.columns else none
    valid = pd.DataFrame(
        {
            S.ID: ids[keep].astype(str).to_numpy(),
            "status": status[keep].astype(str).to_numpy(),
            "petugas": petugas[keep].astype(str).to_numpy(),
            "tanggal": tanggal[keep].dt.strftime("%Y-%m-%d").to_numpy(),
            "lat_baru": np.round(lat_new[keep], 6),
            "lon_baru": np.round(lon_new[keep], 6),
            "perubahan": [json.dumps(changes[i], sort_keys=True) for i in np.flatnonzero(keep)],
            "catatan": catatan[keep].to_numpy(dtype=object),
            S.KODE_DESA: ref.loc[keep, S.KODE_DESA].astype(str).to_numpy(),
        }
    )
    return FieldResultCheck(valid, problem_frame, n_kosong, unknown)


def _empty_results() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in (*RESULT_COLUMNS, S.KODE_DESA)})


@dataclass(frozen=True)
class MergeSummary:
    baru: int
    diperbarui: int
    sama: int
    diabaikan_lebih_lama: int

    @property
    def berubah(self) -> bool:
        return bool(self.baru or self.diperbarui)


def merge_results(
    existing: pd.DataFrame | None, incoming: pd.DataFrame
) -> tuple[pd.DataFrame, MergeSummary]:
    """Merge checked results into the stored ones (one row per family).

    A family not stored yet is added; an identical row changes nothing; a different row
    replaces the stored one when its date is the same or later, and is ignored when older.
    Merging the same rows twice gives the same table (idempotent); the output is sorted by
    ``id_keluarga`` so equal contents give equal tables.
    """
    cols = [*RESULT_COLUMNS, S.KODE_DESA]
    existing = _empty_results() if existing is None else existing[cols]
    old = existing.set_index(S.ID, drop=False)
    new_rows, baru, diperbarui, sama, lama = [], 0, 0, 0, 0
    replace: dict[str, dict] = {}
    for rec in incoming[cols].to_dict("records"):
        key = rec[S.ID]
        if key not in old.index:
            new_rows.append(rec)
            baru += 1
            continue
        cur = old.loc[key].to_dict()
        if _same(cur, rec):
            sama += 1
        elif str(rec["tanggal"]) >= str(cur["tanggal"]):
            replace[key] = rec
            diperbarui += 1
        else:
            lama += 1
    rows = [replace.get(r[S.ID], r) for r in existing.to_dict("records")] + new_rows
    merged = pd.DataFrame(rows, columns=cols) if rows else _empty_results()
    merged = merged.sort_values(S.ID, kind="stable").reset_index(drop=True)
    for c in ("lat_baru", "lon_baru"):
        merged[c] = pd.to_numeric(merged[c], errors="coerce").astype("float64")
    return merged, MergeSummary(baru, diperbarui, sama, lama)


def _same(a: Mapping, b: Mapping) -> bool:
    for k in (*RESULT_COLUMNS, S.KODE_DESA):
        x, y = a.get(k), b.get(k)
        xn = x is None or (isinstance(x, float) and np.isnan(x)) or x is pd.NA
        yn = y is None or (isinstance(y, float) and np.isnan(y)) or y is pd.NA
        if xn or yn:
            if xn != yn:
                return False
        elif isinstance(x, float) or isinstance(y, float):
            if abs(float(x) - float(y)) > 1e-9:
                return False
        elif str(x) != str(y):
            return False
    return True


# --- progress ---------------------------------------------------------------------------


def sample_progress(daftar: pd.DataFrame, hasil: pd.DataFrame | None) -> pd.DataFrame:
    """How much of the sample is done, per registered desa.

    Returns
    -------
    pandas.DataFrame
        ``kode_desa``, ``n_sampel``, ``n_acak``, ``n_bendera``, ``n_selesai``,
        ``n_selesai_acak``, ``pct_selesai``, one ``n_<status>`` column per status and
        ``n_salah`` (records found wrong), sorted by ``kode_desa``.
    """
    d = daftar[[S.ID, S.KODE_DESA, "jenis"]].copy()
    res = (
        hasil[[S.ID, "status"]]
        if hasil is not None and len(hasil)
        else pd.DataFrame({S.ID: [], "status": []})
    )
    d = d.merge(res.drop_duplicates(S.ID), on=S.ID, how="left")
    d["selesai"] = d["status"].notna()
    g = d.groupby(S.KODE_DESA, sort=True)
    out = pd.DataFrame(
        {
            "n_sampel": g.size(),
            "n_acak": g["jenis"].apply(lambda s: int((s == JENIS_ACAK).sum())),
            "n_bendera": g["jenis"].apply(lambda s: int((s == JENIS_BENDERA).sum())),
            "n_selesai": g["selesai"].sum().astype(np.int64),
        }
    )
    out["n_selesai_acak"] = (
        d[d["jenis"] == JENIS_ACAK]
        .groupby(S.KODE_DESA)["selesai"]
        .sum()
        .reindex(out.index, fill_value=0)
        .astype(np.int64)
    )
    out["pct_selesai"] = (100.0 * out["n_selesai"] / out["n_sampel"]).round(1)
    for st in STATUSES:
        out[f"n_{st}"] = (
            (d["status"] == st)
            .groupby(d[S.KODE_DESA])
            .sum()
            .reindex(out.index, fill_value=0)
            .astype(np.int64)
        )
    out["n_salah"] = out[[f"n_{st}" for st in STATUS_SALAH]].sum(axis=1)
    return out.reset_index()


# --- error rates ------------------------------------------------------------------------


def wilson_interval(p: float, n_eff: float, z: float) -> tuple[float, float]:
    """Wilson score interval of a proportion ``p`` on ``n_eff`` (effective) observations."""
    if n_eff <= 0 or not np.isfinite(p):
        return (float("nan"), float("nan"))
    z2 = z * z
    denom = 1.0 + z2 / n_eff
    centre = (p + z2 / (2 * n_eff)) / denom
    half = z / denom * np.sqrt(max(p * (1 - p), 0.0) / n_eff + z2 / (4 * n_eff * n_eff))
    return (max(0.0, centre - half), min(1.0, centre + half))


def t_quantile(q: float, df: float) -> float:
    """Quantile ``q`` (> 0.5) of Student's t with ``df`` degrees of freedom.

    Exact (closed form, or bisection of the closed-form distribution function) for 1-3
    degrees of freedom; from 4 on the Cornish-Fisher expansion around the normal quantile
    (error below 0.001 at df = 4, below 1e-5 from df = 10).
    """
    if df <= 1:
        return float(np.tan(np.pi * (q - 0.5)))
    if df < 3:
        return float((2 * q - 1) / np.sqrt(2 * q * (1 - q)))
    if df < 4:
        lo, hi = 0.0, 1e3
        for _ in range(200):
            mid = (lo + hi) / 2
            u = mid / np.sqrt(3.0)
            cdf = 0.5 + (u / (1 + u * u) + np.arctan(u)) / np.pi
            lo, hi = (mid, hi) if cdf < q else (lo, mid)
        return float((lo + hi) / 2)
    z = NormalDist().inv_cdf(q)
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    g4 = (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160
    return float(z + g1 / df + g2 / df**2 + g3 / df**3 + g4 / df**4)


def estimate_error_rate(
    daftar: pd.DataFrame,
    design: pd.DataFrame,
    hasil: pd.DataFrame,
    *,
    kelompok: Mapping[str, str] | pd.Series | None = None,
    status_salah: Sequence[str] = STATUS_SALAH,
    level: float = 0.95,
    label_total: str = "kabupaten",
) -> pd.DataFrame:
    """Estimated share of wrong records from the random part of a sample, with intervals.

    Design-based: strata are desa x desil group with ``N_h`` families and ``m_h`` completed
    random visits (visits not done yet are treated as missing at random within their
    stratum). For a domain (a group of desa, or the kabupaten)

    - ``p = sum_h W_h p_h`` with ``W_h = N_h / N`` over the strata with a completed visit
      (``pct_populasi_tercakup`` says how much of the domain's families they hold);
    - ``v = sum_h W_h^2 (1 - m_h/N_h) s_h^2 / m_h`` with ``s_h^2 = m_h p_h (1-p_h)/(m_h-1)``;
      a stratum with a single visit uses the domain's ``p(1-p)`` for ``s_h^2``
      (a conservative stand-in for collapsing strata);
    - the interval is Wilson's on the Korn-Graubard effective sample size: ``n_eff =
      p(1-p)/v`` (``m`` when ``p`` is 0 or 1), truncated at ``m`` and scaled by
      ``(t_{m-1}/t_{df})^2`` with ``df = m - H`` (H strata with visits). This keeps the
      interval inside [0, 1] and honest for small, rare-error samples where many strata
      show no error at all (their variance estimate is 0) and a Wald interval undercovers.
      The coverage test (``tests/analysis/test_uji_petik.py``) measures it on generated registers.

    Parameters
    ----------
    daftar, design
        The sample (``GroundCheckSample.daftar`` and ``.design``).
    hasil
        Field results with ``id_keluarga`` and ``status``.
    kelompok
        Registered desa code -> group label (e.g. kecamatan); None: only the total.
    status_salah
        Statuses that count as a wrong record.
    level
        Confidence level of the intervals.
    label_total
        Label of the whole-sample row.

    Returns
    -------
    pandas.DataFrame
        One row per group then the total: ``kelompok``, ``n_desa``, ``n_populasi``,
        ``n_sampel_acak``, ``n_selesai``, ``n_salah``, ``estimasi``, ``se``,
        ``ci_bawah``, ``ci_atas`` (shares 0-1), ``deff``, ``n_efektif``, ``df``,
        ``pct_populasi_tercakup``, ``tingkat_kepercayaan``.
    """
    acak = daftar[daftar["jenis"] == JENIS_ACAK][[S.ID, S.KODE_DESA, "strata"]]
    res = (
        hasil[[S.ID, "status"]].drop_duplicates(S.ID)
        if len(hasil)
        else pd.DataFrame({S.ID: [], "status": []})
    )
    done = acak.merge(res, on=S.ID, how="inner")
    done = done[done["status"].isin(STATUSES)]
    done["salah"] = done["status"].isin(list(status_salah)).astype(np.int64)
    per = done.groupby([S.KODE_DESA, "strata"]).agg(m=("salah", "size"), y=("salah", "sum"))
    tab = design.set_index([S.KODE_DESA, "strata"])[["n_populasi", "n_sampel"]].join(per)
    tab[["m", "y"]] = tab[["m", "y"]].fillna(0).astype(np.int64)
    tab = tab[tab["n_populasi"] > 0].reset_index()

    groups: list[tuple[str, pd.DataFrame]] = []
    if kelompok is not None:
        km = kelompok if isinstance(kelompok, pd.Series) else pd.Series(dict(kelompok))
        lab = tab[S.KODE_DESA].map(km)
        for g in sorted(lab.dropna().unique(), key=str):
            groups.append((str(g), tab[lab == g]))
    groups.append((label_total, tab))
    rows = [_domain_estimate(name, part, level) for name, part in groups]
    out = pd.DataFrame(rows)
    out["tingkat_kepercayaan"] = level
    return out


def _domain_estimate(name: str, t: pd.DataFrame, level: float) -> dict:
    N_all = int(t["n_populasi"].sum())
    cov = t[t["m"] > 0]
    N = cov["n_populasi"].to_numpy(dtype=float)
    m = cov["m"].to_numpy(dtype=float)
    y = cov["y"].to_numpy(dtype=float)
    row = {
        "kelompok": name,
        "n_desa": int(t[S.KODE_DESA].nunique()),
        "n_populasi": N_all,
        "n_sampel_acak": int(t["n_sampel"].sum()),
        "n_selesai": int(m.sum()),
        "n_salah": int(y.sum()),
    }
    if not len(cov):
        return row | {
            "estimasi": np.nan,
            "se": np.nan,
            "ci_bawah": np.nan,
            "ci_atas": np.nan,
            "deff": np.nan,
            "n_efektif": 0.0,
            "df": 0,
            "pct_populasi_tercakup": 0.0,
        }
    W = N / N.sum()
    p_h = y / m
    p = float((W * p_h).sum())
    s2 = np.where(m > 1, m * p_h * (1 - p_h) / np.maximum(m - 1, 1), p * (1 - p))
    fpc = 1.0 - m / N
    v = float((W**2 * fpc * s2 / m).sum())
    n = float(m.sum())
    n_eff = min(p * (1 - p) / v, n) if (0.0 < p < 1.0 and v > 0) else n
    df = max(int(n) - len(cov), 1)
    q = 0.5 + level / 2
    if n > 1:
        n_eff *= (t_quantile(q, n - 1) / t_quantile(q, df)) ** 2
    lo, hi = wilson_interval(p, n_eff, NormalDist().inv_cdf(q))
    return row | {
        "estimasi": p,
        "se": float(np.sqrt(v)),
        "ci_bawah": lo,
        "ci_atas": hi,
        "deff": float(n / n_eff),
        "n_efektif": float(n_eff),
        "df": df,
        "pct_populasi_tercakup": round(100.0 * N.sum() / N_all, 2) if N_all else 0.0,
    }


def error_rate_text(row: Mapping, lang: str = "id") -> str:
    """One sentence about an estimate (for tables and the meeting pack)."""
    if not row.get("n_selesai") or pd.isna(row.get("estimasi")):
        return (
            f"{row['kelompok']}: belum ada hasil kunjungan acak."
            if lang != "en"
            else f"{row['kelompok']}: no random visits completed yet."
        )
    pct = 100 * float(row["estimasi"])
    lo, hi = 100 * float(row["ci_bawah"]), 100 * float(row["ci_atas"])
    lvl = int(round(100 * float(row.get("tingkat_kepercayaan", 0.95))))
    if lang == "en":
        return (
            f"{row['kelompok']}: an estimated {pct:.1f}% of records are wrong "
            f"({lvl}% CI {lo:.1f}-{hi:.1f}%), from {int(row['n_selesai'])} random visits."
        )
    return (
        f"{row['kelompok']}: diperkirakan {pct:.1f}% data keluarga tidak sesuai "
        f"(selang kepercayaan {lvl}%: {lo:.1f}-{hi:.1f}%), dari {int(row['n_selesai'])} "
        "kunjungan acak."
    )
