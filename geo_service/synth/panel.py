"""Generator panel and corruption modes: later periodes with known transitions, and registers
with a known share of wrong records (the truth is kept beside the output).

Panel mode (:func:`generate_panel`) starts from one base snapshot made by
:func:`~geo_service.synth.generator.generate_keluarga` and steps it forward periode by periode.
Each step, in this order:

1. **meninggal**: a share of families leaves the register (death, dissolution);
2. **lulus_desil1**: a share of the desil-1 families moves up (to desil 2-6, mostly 2-3);
3. **jatuh_desil1**: a share of the desil 2-4 families falls into desil 1;
4. **geser**: a share of the other desil 2-10 families moves one desil up or down (staying
   within 2-10);
5. **pindah**: a share of families moves to another desa (new registered desa, and a new
   geotag inside it when geotagged);
6. **baru**: new families are added (new ids, drawn by the base generator).

Every family id touched is listed in the truth per step, with its before/after values, so
tests can compare an analysis with what really happened.

Corruption mode (:func:`corrupt_register`) takes the families as they really are and makes
the register that a desa operator would hold, with a known share of records wrong in known
ways (``kondisi_berubah``, ``pindah``, ``meninggal``, ``tidak_ditemukan``);
:func:`simulate_field_results` plays the officers who visit a sample and report the truth.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo_service.analysis import schema as S
from geo_service.analysis.uji_petik import STRATA_DESIL, strata_of
from geo_service.synth.generator import Calibration, generate_keluarga

# Where graduating desil-1 families land (desil 2..6).
_LULUS_TUJUAN = np.array([2, 3, 4, 5, 6])
_LULUS_P = np.array([0.45, 0.25, 0.15, 0.10, 0.05])


@dataclass(frozen=True)
class PanelParams:
    """Per-step shares of the panel transitions (each a share of the eligible families)."""

    p_meninggal: float = 0.01
    p_lulus_desil1: float = 0.15
    p_jatuh_desil1: float = 0.02
    p_geser: float = 0.05
    p_pindah: float = 0.02
    p_baru: float = 0.03


@dataclass
class PanelData:
    """Snapshots per periode (in order) and the truth about every step."""

    snapshots: dict[str, pd.DataFrame]
    truth: dict = field(default_factory=dict)


def _fresh_ids(n: int, taken: set[str], prefix: str, rng: np.random.Generator) -> list[str]:
    out: list[str] = []
    while len(out) < n:
        for i in rng.choice(10**10, size=2 * (n - len(out)) + 8, replace=False):
            s = f"DTSEN-{prefix}-{i:010d}"
            if s not in taken:
                taken.add(s)
                out.append(s)
                if len(out) == n:
                    break
    return out


def _point_in(geom, rng: np.random.Generator) -> tuple[float, float]:
    minx, miny, maxx, maxy = geom.bounds
    shapely.prepare(geom)
    while True:
        x, y = rng.uniform(minx, maxx, 64), rng.uniform(miny, maxy, 64)
        ok = shapely.contains_xy(geom, x, y)
        if ok.any():
            i = int(np.flatnonzero(ok)[0])
            return float(x[i]), float(y[i])


def generate_panel(
    desa: gpd.GeoDataFrame,
    calibration: Calibration,
    *,
    n_keluarga: int,
    periodes: Sequence[str],
    seed: int,
    kantong: int = 0,
    params: PanelParams | None = None,
) -> PanelData:
    """Several snapshots of the same kabupaten with known transitions between them.

    Parameters
    ----------
    desa
        Checked desa polygons (EPSG:4326) with ``kode``, ``kode_kec``, ``jenis``.
    calibration
        BPS figures for the base snapshot.
    n_keluarga
        Families in the base snapshot.
    periodes
        Periodes in order (``YYYY-MM``), at least one; the first is the base.
    seed
        Seed of every random draw.
    kantong
        Planted pockets in the base snapshot.
    params
        Transition shares per step.

    Returns
    -------
    PanelData
        ``snapshots[periode]`` follows the household contract; ``truth["langkah"]`` has one
        entry per step with ``dari``, ``ke`` and, per transition, the ids and values.
    """
    if not periodes:
        raise ValueError("periodes must not be empty")
    params = params or PanelParams()
    rng = np.random.default_rng([int(seed), 7_001])
    base = generate_keluarga(
        desa, calibration, n_keluarga=n_keluarga, periode=periodes[0], seed=seed, kantong=kantong
    )
    snapshots = {periodes[0]: base.keluarga}
    prefix = calibration.kode_kab.replace(".", "")
    taken = set(base.keluarga[S.ID])
    geoms = dict(zip(desa["kode"].astype(str), desa.geometry, strict=True))
    kode_list = np.array(sorted(geoms), dtype=object)
    steps = []
    cur = base.keluarga
    for t, (p_from, p_to) in enumerate(zip(periodes[:-1], periodes[1:], strict=True), start=1):
        cur, step = _step(
            cur,
            p_from,
            p_to,
            params,
            rng,
            desa,
            calibration,
            seed + 1000 * t,
            taken,
            prefix,
            geoms,
            kode_list,
        )
        snapshots[p_to] = cur
        steps.append(step)
    truth = {
        "seed": seed,
        "kabupaten": calibration.kode_kab,
        "periodes": list(periodes),
        "parameter": asdict(params),
        "dasar": base.truth,
        "langkah": steps,
    }
    return PanelData(snapshots=snapshots, truth=truth)


def _step(
    cur, p_from, p_to, params, rng, desa, calibration, new_seed, taken, prefix, geoms, kode_list
):
    cur = cur.reset_index(drop=True)
    n = len(cur)
    # 1. leave the register
    gone = rng.random(n) < params.p_meninggal
    meninggal = cur.loc[gone, [S.ID, S.KODE_DESA, "desil"]]
    nxt = cur.loc[~gone].copy().reset_index(drop=True)
    desil_before = nxt["desil"].to_numpy(dtype=np.int64).copy()
    desil = desil_before.copy()
    m = len(nxt)
    # 2.-4. desil transitions (each family at most one)
    u = rng.random(m)
    lulus = (desil_before == 1) & (u < params.p_lulus_desil1)
    desil[lulus] = rng.choice(_LULUS_TUJUAN, int(lulus.sum()), p=_LULUS_P)
    jatuh = (desil_before >= 2) & (desil_before <= 4) & (u < params.p_jatuh_desil1)
    desil[jatuh] = 1
    geser = (desil_before >= 2) & ~jatuh & (rng.random(m) < params.p_geser)
    step_dir = np.where(rng.random(m) < 0.5, -1, 1)
    step_dir = np.where(desil_before == 2, 1, np.where(desil_before == 10, -1, step_dir))
    desil[geser] = desil_before[geser] + step_dir[geser]
    nxt["desil"] = desil.astype(np.int8)
    # 5. moves
    pindah = rng.random(m) < params.p_pindah
    kode_before = nxt[S.KODE_DESA].astype(str).to_numpy()
    kode_after = kode_before.copy()
    lat = nxt["lat"].to_numpy(dtype=float).copy()
    lon = nxt["lon"].to_numpy(dtype=float).copy()
    for i in np.flatnonzero(pindah):
        choices = kode_list[kode_list != kode_before[i]]
        kode_after[i] = str(rng.choice(choices))
        if not np.isnan(lat[i]):
            x, y = _point_in(geoms[kode_after[i]], rng)
            lon[i], lat[i] = round(x, 6), round(y, 6)
    nxt[S.KODE_DESA] = kode_after
    nxt["lat"], nxt["lon"] = lat, lon
    nxt[S.PERIODE] = p_to
    # 6. new families
    n_baru = int(rng.binomial(m, params.p_baru)) if params.p_baru > 0 else 0
    baru = pd.DataFrame(columns=nxt.columns)
    if n_baru:
        fresh = generate_keluarga(
            desa, calibration, n_keluarga=n_baru, periode=p_to, seed=new_seed, n_jauh=0
        )
        baru = fresh.keluarga.copy()
        baru[S.ID] = _fresh_ids(n_baru, taken, prefix, rng)
        nxt = pd.concat([nxt, baru[nxt.columns]], ignore_index=True)
    nxt = nxt.sort_values([S.KODE_DESA, S.ID], kind="stable").reset_index(drop=True)
    ids = nxt[S.ID]  # noqa: F841 - kept for readability of the truth below

    def rows(mask, **cols):
        idx = np.flatnonzero(mask)
        return [
            {k: (v[i].item() if hasattr(v[i], "item") else v[i]) for k, v in cols.items()}
            for i in idx
        ]

    id_arr = cur.loc[~gone, S.ID].to_numpy(dtype=object)
    step = {
        "dari": p_from,
        "ke": p_to,
        "meninggal": [
            {S.ID: r[S.ID], "kode_desa": r[S.KODE_DESA], "desil": int(r["desil"])}
            for r in meninggal.to_dict("records")
        ],
        "lulus_desil1": rows(
            lulus,
            id_keluarga=id_arr,
            kode_desa=kode_before,
            desil_awal=desil_before,
            desil_akhir=desil,
        ),
        "jatuh_desil1": rows(
            jatuh,
            id_keluarga=id_arr,
            kode_desa=kode_before,
            desil_awal=desil_before,
            desil_akhir=desil,
        ),
        "geser": rows(
            geser,
            id_keluarga=id_arr,
            kode_desa=kode_before,
            desil_awal=desil_before,
            desil_akhir=desil,
        ),
        "pindah": rows(
            pindah, id_keluarga=id_arr, kode_desa_awal=kode_before, kode_desa_akhir=kode_after
        ),
        "baru": [
            {S.ID: r[S.ID], "kode_desa": r[S.KODE_DESA], "desil": int(r["desil"])}
            for r in baru.to_dict("records")
        ],
    }
    step["jumlah"] = {k: len(v) for k, v in step.items() if isinstance(v, list)}
    # Full desil pairs of families present in both periodes (the truth transition matrix).
    pairs = pd.crosstab(pd.Series(desil_before, name="awal"), pd.Series(desil, name="akhir"))
    step["matriks_desil"] = {
        int(a): {int(b): int(pairs.loc[a, b]) for b in pairs.columns if pairs.loc[a, b]}
        for a in pairs.index
    }
    return nxt, step


# --- corruption -------------------------------------------------------------------------

JENIS_SALAH: tuple[str, ...] = ("kondisi_berubah", "pindah", "meninggal", "tidak_ditemukan")
_DEFAULT_KINDS = {"kondisi_berubah": 0.55, "pindah": 0.2, "meninggal": 0.1, "tidak_ditemukan": 0.15}
# Fields whose register value differs from reality in a "kondisi_berubah" record.
_CHANGEABLE = ("jumlah_art", *S.DEPRIVATION_COLUMNS, *S.PROGRAM_COLUMNS)


@dataclass
class CorruptedRegister:
    """A register with known wrong records, and the reality behind every record."""

    register: pd.DataFrame  # contract rows as the register holds them
    kenyataan: pd.DataFrame  # per register row: id, status_sebenarnya, true values (JSON)
    truth: dict = field(default_factory=dict)  # realised shares: total, per stratum, per desa


def corrupt_register(
    keluarga: pd.DataFrame,
    *,
    share: float | Mapping[str, float] = 0.1,
    seed: int,
    kinds: Mapping[str, float] | None = None,
    variasi_desa: float = 0.5,
    strata: Sequence[tuple[str, int, int]] = STRATA_DESIL,
) -> CorruptedRegister:
    """Make a register from families as they really are, with a known share wrong.

    Parameters
    ----------
    keluarga
        Families as they really are (contract columns).
    share
        Expected share of wrong records: one number, or one per desil stratum label (the desa
        effects are scaled so the expected overall share stays the same).
    seed
        Seed of every draw.
    kinds
        Relative frequency of each way a record is wrong (``JENIS_SALAH``).
    variasi_desa
        Spread of the desa effect (log-normal sd) on the chance of a wrong record, so some
        desa are much worse than others; 0 for none.

    Returns
    -------
    CorruptedRegister
        ``register``: ``kondisi_berubah`` records show changed values (``jumlah_art`` and one
        or two flags) against reality; ``pindah``/``meninggal``/``tidak_ditemukan`` records
        look normal (the family moved, died or never existed at that address).
        ``kenyataan``: ``id_keluarga``, ``kode_desa``, ``strata``, ``status_sebenarnya``
        (``sesuai`` or a kind), ``nilai_sebenarnya`` (JSON of the true values that differ).
        ``truth``: realised share of wrong records overall, per stratum and per desa.
    """
    rng = np.random.default_rng([int(seed), 9_001])
    kinds = dict(kinds or _DEFAULT_KINDS)
    reg = keluarga.reset_index(drop=True).copy()
    n = len(reg)
    st = strata_of(reg["desil"], strata)
    if isinstance(share, Mapping):
        base = np.array([float(share.get(s, 0.0)) for s in st])
    else:
        base = np.full(n, float(share))
    codes, desa_idx = np.unique(reg[S.KODE_DESA].astype(str).to_numpy(), return_inverse=True)
    effect = rng.lognormal(0.0, variasi_desa, len(codes)) if variasi_desa else np.ones(len(codes))
    fam_effect = effect[desa_idx]
    # Scaled so the expected share over all families is still ``share``.
    fam_effect = fam_effect * (base.sum() / max((base * fam_effect).sum(), 1e-12))
    p = np.clip(base * fam_effect, 0.0, 0.95)
    wrong = rng.random(n) < p
    names = np.array(list(kinds), dtype=object)
    probs = np.array(list(kinds.values()), dtype=float)
    kind = np.full(n, "sesuai", dtype=object)
    kind[wrong] = rng.choice(names, int(wrong.sum()), p=probs / probs.sum())

    true_values = np.full(n, "{}", dtype=object)
    changed = np.flatnonzero(kind == "kondisi_berubah")
    art = reg["jumlah_art"].to_numpy(dtype=np.int64).copy()
    flag_cols = list(_CHANGEABLE[1:])
    flags = reg[flag_cols].fillna(0).to_numpy(dtype=np.int64).copy()
    new_art = np.clip(art[changed] + rng.choice([-1, 1], len(changed)), 1, S.MAX_ART)
    n_flip = rng.integers(1, 3, len(changed))
    for j, i in enumerate(changed):
        truth_i: dict = {}
        if new_art[j] != art[i]:
            truth_i["jumlah_art"] = int(art[i])
            art[i] = new_art[j]
        for c in rng.choice(len(flag_cols), int(n_flip[j]), replace=False):
            truth_i[flag_cols[c]] = int(flags[i, c])
            flags[i, c] = 1 - flags[i, c]
        true_values[i] = json.dumps(truth_i, sort_keys=True)
    if len(changed):
        reg["jumlah_art"] = art.astype(reg["jumlah_art"].dtype)
        for c, col in enumerate(flag_cols):
            reg[col] = flags[:, c].astype(np.int8)
    kode = reg[S.KODE_DESA].astype(str).to_numpy()
    moved = np.flatnonzero(kind == "pindah")
    if len(codes) > 1 and len(moved):
        shift = rng.integers(1, len(codes), len(moved))
        target = codes[(desa_idx[moved] + shift) % len(codes)]
        for i, t in zip(moved, target, strict=True):
            true_values[i] = json.dumps({S.KODE_DESA: str(t)})

    kenyataan = pd.DataFrame(
        {
            S.ID: reg[S.ID].to_numpy(),
            S.KODE_DESA: kode,
            "strata": st,
            "status_sebenarnya": kind,
            "nilai_sebenarnya": true_values,
        }
    )
    salah = kind != "sesuai"
    per_strata = pd.Series(salah).groupby(st).mean().round(6).to_dict()
    per_desa = pd.Series(salah).groupby(kode).agg(["sum", "size"])
    truth = {
        "seed": seed,
        "share_diminta": share if not isinstance(share, Mapping) else dict(share),
        "n_keluarga": n,
        "n_salah": int(salah.sum()),
        "share_salah": float(salah.mean()) if n else 0.0,
        "per_jenis": {k: int((kind == k).sum()) for k in JENIS_SALAH},
        "share_per_strata": {str(k): float(v) for k, v in per_strata.items()},
        "salah_per_desa": {str(k): [int(r["sum"]), int(r["size"])] for k, r in per_desa.iterrows()},
    }
    return CorruptedRegister(register=reg, kenyataan=kenyataan, truth=truth)


def true_share(kenyataan: pd.DataFrame, kode_desa: Sequence[str] | None = None) -> float:
    """Realised share of wrong records (optionally among some desa only)."""
    k = kenyataan if kode_desa is None else kenyataan[kenyataan[S.KODE_DESA].isin(kode_desa)]
    return float((k["status_sebenarnya"] != "sesuai").mean()) if len(k) else float("nan")


def simulate_field_results(
    daftar: pd.DataFrame,
    kenyataan: pd.DataFrame,
    *,
    seed: int,
    tanggal: str = "2025-06-02",
    p_dikunjungi: float = 1.0,
    petugas: str = "Petugas Simulasi",
) -> pd.DataFrame:
    """Officers visiting a sample and writing down what they find (a filled result sheet).

    A family is visited with probability ``p_dikunjungi`` (unvisited rows stay empty).
    ``kondisi_berubah`` rows carry the true values of the changed fields, ``pindah`` rows the
    new desa code. Columns: ``id_keluarga``, ``status``, ``petugas``, ``tanggal``,
    ``catatan`` and the corrected contract fields.
    """
    rng = np.random.default_rng([int(seed), 9_101])
    truth = kenyataan.set_index(S.ID)
    d = daftar[[S.ID]].copy().reset_index(drop=True)
    visited = rng.random(len(d)) < p_dikunjungi
    t = truth.reindex(d[S.ID])
    d["status"] = np.where(visited, t["status_sebenarnya"].fillna("tidak_ditemukan"), None)
    d["petugas"] = pd.Series(petugas, index=d.index, dtype=object).where(visited, None)
    d["tanggal"] = pd.Series(tanggal, index=d.index, dtype=object).where(visited, None)
    d["catatan"] = None
    extra: dict[str, list] = {}
    for i, (ok, raw) in enumerate(zip(visited, t["nilai_sebenarnya"].fillna("{}"), strict=True)):
        if not ok:
            continue
        for col, v in json.loads(raw).items():
            extra.setdefault(col, [None] * len(d))[i] = v
    for col, vals in extra.items():
        d[col] = vals
    return d
