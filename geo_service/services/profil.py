"""Family files through an import profile: check how a file maps, import it.

A by-name file (NIK, KK number, name, address) is mapped with its profile
(:func:`geo_service.analysis.profil.apply_profil`): the contract part, with ``id_keluarga``
as the keyed pseudonym, goes through the one importer and validator
(:func:`geo_service.services.imports.import_keluarga`) as a temporary Parquet file that holds
no identifier; the identities are encrypted into the vault in the same transaction. No NIK
or KK number reaches the database, the logs or the reports in clear.
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from sqlalchemy import Connection, Engine, select

from geo_service.analysis import schema as S
from geo_service.analysis.profil import Pemetaan, Profil, apply_profil, reason_text
from geo_service.analysis.validate import ValidationResult, validate_keluarga
from geo_service.db.models import Desa, Kecamatan, Keluarga
from geo_service.db.repo import identitas as id_repo
from geo_service.db.repo.common import Scope
from geo_service.errors import GeoServiceError, KunciError
from geo_service.i18n import fmt_int, teks
from geo_service.io.hashing import sha256_file
from geo_service.io.profil import load_profil, read_source
from geo_service.services import analysis_run as AR
from geo_service.services import identitas as ident
from geo_service.services.imports.batch import ImportReport
from geo_service.services.imports.keluarga import import_keluarga
from geo_service.settings import Settings


@dataclass
class ProfilCheck:
    """What ``geo-service profil periksa`` shows: the column mapping, how desa were found,
    mapping problems and the validator's report, without writing anything."""

    profil: str
    berkas: str
    pemetaan: Pemetaan
    validasi: ValidationResult
    peringatan: list[str] = field(default_factory=list)

    @property
    def masalah(self) -> pd.DataFrame:
        """Mapping and validator problems together, by row."""
        parts = [p for p in (self.pemetaan.masalah, self.validasi.problems) if len(p)]
        if not parts:
            return self.validasi.problems
        return pd.concat(parts, ignore_index=True).sort_values(["baris", "kode_alasan"])

    def to_dict(self) -> dict[str, Any]:
        m = self.masalah
        return {
            "profil": self.profil,
            "berkas": self.berkas,
            **self.pemetaan.summary(),
            "n_sah": len(self.validasi.valid),
            "n_ditolak": len(self.validasi.rejected),
            "masalah_per_kode": m["kode_alasan"].value_counts().sort_index().to_dict()
            if len(m)
            else {},
            "peringatan": list(self.peringatan),
        }


def desa_table(engine: Engine) -> pd.DataFrame:
    """The stored boundaries' desa: ``kode``, ``nama``, ``nama_kec`` (name matching)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(Desa.kode, Desa.nama, Kecamatan.nama).join(
                Kecamatan, Kecamatan.kode == Desa.kode_kec
            )
        ).all()
    return pd.DataFrame(rows, columns=["kode", "nama", "nama_kec"])


def desa_table_from_layer(desa: gpd.GeoDataFrame) -> pd.DataFrame:
    """The same table from a boundary layer (file-based analysis)."""
    out = pd.DataFrame({"kode": desa["kode"].astype(str), "nama": desa["nama"].astype(str)})
    if "nama_kec" in desa:
        out["nama_kec"] = desa["nama_kec"].astype(str)
    return out


def _key_or_throwaway(profil: Profil, settings: Settings, notes: list[str]) -> bytes | None:
    if not profil.by_name:
        return None
    try:
        return ident.pseudonym_key(settings)
    except KunciError as exc:
        notes.append(
            f"{exc.pesan} Pemeriksaan memakai kunci sementara; impor tetap memerlukan kunci."
        )
        return secrets.token_bytes(32)


def check_file(
    path: str | Path,
    profil: Profil | str | Path,
    *,
    settings: Settings,
    desa: pd.DataFrame | None = None,
    periode: str | None = None,
    lang: str = "id",
) -> ProfilCheck:
    """Map and validate a file with a profile; write nothing."""
    prof = profil if isinstance(profil, Profil) else load_profil(profil)
    raw, offset = read_source(path, prof)
    notes: list[str] = []
    key = _key_or_throwaway(prof, settings, notes)
    m = apply_profil(raw, prof, desa=desa, kunci=key, periode=periode, row_offset=offset, lang=lang)
    known = None if desa is None else set(desa["kode"].astype(str))
    v = validate_keluarga(m.kontrak, known_desa=known, row_offset=offset, lang=lang)
    for target in ("no_kk", "nik"):
        col = m.kolom.get(target)
        if col is not None and pd.api.types.is_float_dtype(pd.Series(raw[col].dropna().tolist())):
            notes.append(
                f"Kolom {col} tersimpan sebagai angka di Excel: digit terakhir NIK/KK bisa hilang. "
                "Format kolom itu sebagai Teks di sumbernya."
            )
    return ProfilCheck(prof.nama, Path(path).name, m, v, notes)


def map_file(
    path: str | Path,
    profil: Profil | str | Path,
    *,
    settings: Settings,
    desa: pd.DataFrame | None,
    periode: str | None = None,
    lang: str = "id",
) -> Pemetaan:
    """The contract frame of a file (file-based analysis: identities are dropped here and
    never written anywhere)."""
    prof = profil if isinstance(profil, Profil) else load_profil(profil)
    raw, offset = read_source(path, prof)
    key = ident.pseudonym_key(settings) if prof.by_name else None
    return apply_profil(
        raw, prof, desa=desa, kunci=key, periode=periode, row_offset=offset, lang=lang
    )


def inputs_from_profile(
    keluarga: str | Path,
    profil: Profil | str | Path,
    *,
    settings: Settings,
    data_dir: Path,
    boundaries: Path | None = None,
    kabupaten: str | None = None,
    periode: str | None = None,
    lang: str = "id",
) -> AR.RunInputs:
    """Inputs of a file-based analysis run from a file read through a profile.

    The mapped contract rows go through a temporary Parquet file (pseudonymous ids only)
    into :func:`~geo_service.services.analysis_run.inputs_from_files`; identities are
    dropped and never written. Mapping problems become warnings with their reason codes
    (the rows themselves are then rejected by the validator).
    """
    keluarga = Path(keluarga)
    desa, *_ = AR.read_desa(boundaries, kabupaten, data_dir=data_dir)
    m = map_file(
        keluarga,
        profil,
        settings=settings,
        desa=desa_table_from_layer(desa),
        periode=periode,
        lang=lang,
    )
    with tempfile.TemporaryDirectory(prefix="geo_profil_") as tmp:
        contract = Path(tmp) / f"{keluarga.stem}.parquet"
        m.kontrak.astype("string").to_parquet(contract, index=False)
        inputs = AR.inputs_from_files(
            contract, boundaries=boundaries, kabupaten=kabupaten, data_dir=data_dir
        )
    sources = dict(inputs.sources)
    sources["keluarga"] = {
        "berkas": keluarga.name,
        "sha256": sha256_file(keluarga),
        "profil": m.kolom and (profil.nama if isinstance(profil, Profil) else str(profil)),
    }
    notes = list(inputs.warnings)
    for code, n in m.summary()["masalah_per_kode"].items():
        notes.append(
            teks(
                ("{n} baris: {code} ({alasan})", "{n} rows: {code} ({alasan})"),
                lang,
                n=fmt_int(n, lang),
                code=code,
                alasan=reason_text(code, lang),
            )
        )
    return replace(inputs, sources=sources, warnings=notes)


@contextmanager
def _mapping_told(m: Pemetaan, lang: str) -> Iterator[None]:
    """A failed import also says which rows the mapping could not place (reason codes)."""
    try:
        yield
    except GeoServiceError as exc:
        counts = m.summary()["masalah_per_kode"]
        if counts:
            told = ", ".join(f"{code} {n:,}" for code, n in counts.items())
            exc.pesan = f"{exc.pesan} Masalah pemetaan profil: {told}."
            exc.message = f"{exc.message} Profile mapping problems: {told}."
            exc.args = (exc.pesan,)
        raise


@dataclass
class ProfilImport:
    """An import through a profile: the importer's report and the mapping summary."""

    laporan: ImportReport
    pemetaan: dict[str, Any]
    masalah_pemetaan: pd.DataFrame
    n_identitas: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.laporan.to_dict(),
            "pemetaan": self.pemetaan,
            "n_identitas": self.n_identitas,
        }


def import_keluarga_profil(
    engine: Engine,
    path: str | Path,
    profil: Profil | str | Path,
    *,
    settings: Settings,
    periode: str | None = None,
    partial: bool = False,
    replace: bool = False,
    lang: str = "id",
    pengguna_id: int | None = None,
    berkas: str | None = None,
    on_progress=None,
    scope: Scope | None = None,
) -> ProfilImport:
    """Import a family file through a profile (the contract profile imports as before).

    Keys are checked before anything is written: a missing or other pseudonym key, or a
    missing or wrong vault key, is a :class:`~geo_service.errors.KunciError`. With
    ``scope`` (API uploads), every kabupaten the mapped rows fall in must be in it.
    """
    path = Path(path)
    prof = profil if isinstance(profil, Profil) else load_profil(profil)
    raw, offset = read_source(path, prof)
    key = brankas = None
    if prof.by_name:
        key = ident.pseudonym_key(settings)
        brankas = ident.vault(settings)
        with engine.begin() as conn:  # refuse other keys before reading further
            if id_repo.key_fingerprint(conn, ident.JENIS_PSEUDONIM) is not None:
                ident.check_pseudonym_key(conn, key)
            if id_repo.key_fingerprint(conn, ident.JENIS_BRANKAS) is not None:
                ident.check_vault(conn, brankas)
    m = apply_profil(
        raw,
        prof,
        desa=desa_table(engine),
        kunci=key,
        periode=periode,
        row_offset=offset,
        lang=lang,
    )
    if scope is not None:
        for kab in sorted(set(m.kontrak[S.KODE_DESA].dropna().str[:5])):
            scope.check(kab)
    counter = {"n": 0}

    def after_load(conn: Connection, batch_id: int, target: str) -> None:
        if key is None or brankas is None:
            return
        ident.check_pseudonym_key(conn, key)
        stored = set(
            conn.execute(select(Keluarga.id_keluarga).where(Keluarga.batch_id == batch_id))
            .scalars()
            .all()
        )
        counter["n"] = ident.store_identities(
            conn,
            m.identitas,
            periode=target,
            batch_id=batch_id,
            brankas=brankas,
            stored_ids=stored,
        )

    with tempfile.TemporaryDirectory(prefix="geo_profil_") as tmp, _mapping_told(m, lang):
        contract = Path(tmp) / f"{path.stem}.parquet"
        m.kontrak.astype("string").to_parquet(contract, index=False)
        report = import_keluarga(
            engine,
            contract,
            periode=periode,
            partial=partial,
            replace=replace,
            settings=settings,
            lang=lang,
            on_progress=on_progress,
            pengguna_id=pengguna_id,
            berkas=berkas or path.name,
            sha256=sha256_file(path),
            row_offset=offset,
            after_load=after_load,
        )
    return ProfilImport(report, m.summary(), m.masalah, counter["n"])
