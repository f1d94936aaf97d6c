"""Field lists with names and the OpenSID exchange, as files: the use cases behind
``geo-service identitas field-list``, ``geo-service opensid export|import`` and the API.

Role checks and the audit row are :func:`geo_service.services.identitas.named_field_list`;
this module only chooses the writer and, for results coming back, hashes NIK/KK numbers
into ``id_keluarga`` and drops them before the ground-check import sees the rows.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from geo_service.db.repo import uji_petik as uji_repo
from geo_service.db.repo.audit import append_audit
from geo_service.db.repo.common import Scope
from geo_service.db.repo.wilayah import desa_of_kabupaten
from geo_service.errors import AccessDeniedError, InvalidInputError
from geo_service.i18n import teks
from geo_service.io import daftar_nama as io
from geo_service.services import identitas as ident
from geo_service.settings import Settings

FORMATS = ("xlsx", "pdf", "gpkg", "opensid")


def export_named_list(
    engine: Engine,
    who: ident.Pemohon,
    sampel_id: int,
    *,
    out_dir: Path,
    format: str,
    tujuan: str | None,
    settings: Settings,
    desa: str | None = None,
    lang: str = "id",
) -> Path:
    """Write a named field list (``xlsx``, ``pdf``, ``gpkg``) or an OpenSID list into
    ``out_dir``; return the file. Audited (``baca_identitas``) with its purpose."""
    if format not in FORMATS:
        raise InvalidInputError(
            f"Format tidak dikenal: {format} (pilih: {', '.join(FORMATS)})",
            f"Unknown format: {format} (choose: {', '.join(FORMATS)})",
        )
    named, info = ident.named_field_list(
        engine, who, sampel_id, tujuan=tujuan, settings=settings, desa=desa, format=format
    )
    with engine.connect() as conn:
        layer = desa_of_kabupaten(conn, info.kode_kab, scope=Scope.all())
    frame = io.named_frame(named, pd.DataFrame(layer.drop(columns="geometry")), lang=lang)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"uji_petik_{sampel_id}_nama" + (f"_{desa}" if desa else "")
    meta = {"sampel": sampel_id, "kabupaten": info.kode_kab, "periode": info.periode}
    if format == "xlsx":
        return io.write_named_xlsx(frame, out_dir / f"{stem}.xlsx", info=meta, lang=lang)
    if format == "pdf":
        title = teks(
            (
                f"Daftar uji petik #{sampel_id} — RAHASIA (data pribadi)",
                f"Ground-check list #{sampel_id} — CONFIDENTIAL (personal data)",
            ),
            lang,
        )
        return io.write_named_pdf(frame, out_dir / f"{stem}.pdf", title=title, lang=lang)
    if format == "gpkg":
        return io.write_named_gpkg(frame, layer, out_dir / f"{stem}.gpkg", info=meta, lang=lang)
    names = dict(zip(layer["kode"].astype(str), layer["nama"].astype(str), strict=True))
    return io.write_opensid_xlsx(
        ident.opensid_frame(named, names), out_dir / f"uji_petik_{sampel_id}_opensid.xlsx"
    )


def import_opensid_results(
    engine: Engine,
    who: ident.Pemohon,
    sampel_id: int,
    path: str | Path,
    *,
    settings: Settings,
    partial: bool = False,
    lang: str = "id",
) -> uji_repo.ResultImport:
    """Import ground-check results returned in OpenSID's terms (``no_kk``/``nik``,
    10-digit ``kode_desa``, ``status``, ``tanggal``, ``petugas``, ``catatan``)."""
    if who.peran not in ident.FULL_ROLES:
        raise AccessDeniedError(
            "Hanya admin/analis yang mengimpor hasil uji petik.",
            "Only admin/analis import ground-check results.",
        )
    path = Path(path)
    raw = io.read_opensid(path)
    rows = ident.opensid_results(raw, settings)
    data = path.read_bytes()
    with Session(engine) as conn, conn.begin():
        res = uji_repo.import_results(
            conn,
            sampel_id,
            rows,
            scope=who.scope,
            berkas=path.name,
            sha256=hashlib.sha256(data).hexdigest(),
            ukuran_byte=len(data),
            partial=partial,
            lang=lang,
            pengguna_id=who.pengguna_id,
        )
        append_audit(
            conn,
            aksi="impor_opensid",
            objek=f"uji_petik:{sampel_id}",
            pengguna_id=who.pengguna_id,
            aktor=who.aktor,
            n_baris=len(rows),
            rincian={"status": res.status, "batch_id": res.batch_id},
        )
    return res
