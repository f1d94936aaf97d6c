"""Identities on both backends: a by-name file imports through its profile like the
equivalent contract file; no NIK or KK number ends up in the database file, a pg_dump, the
logs or the audit table; the same family keeps its id across periodes and in an OpenSID
file; names are read only by allowed roles (a pendamping only for their desa), each read
audited without identities; wrong, missing and rotated keys; erasure and retention."""

from __future__ import annotations

import logging
import subprocess
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
from cryptography.fernet import Fernet
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from geo_service.analysis import compute_indicators
from geo_service.analysis import schema as S
from geo_service.analysis import uji_petik as G
from geo_service.analysis.validate import validate_keluarga
from geo_service.db import make_session_factory
from geo_service.db import models as M
from geo_service.db.repo import Scope
from geo_service.db.repo import uji_petik as GR
from geo_service.db.repo.users import create_user
from geo_service.errors import AccessDeniedError, KunciError, NotFoundError
from geo_service.services import analysis_run as AR
from geo_service.services import identitas as I
from geo_service.services.daftar_nama import export_named_list, import_opensid_results
from geo_service.services.imports import import_boundaries, import_keluarga
from geo_service.services.profil import import_keluarga_profil
from geo_service.settings import IdentitySettings, Settings
from tests.fixtures import DATA, KENDAL_DESA
from tests.fixtures.by_name import BAD_ROWS, make_by_name

KAB = "33.24"
PKEY = "kunci-pseudonim-uji-".ljust(40, "p")
K1, K2 = Fernet.generate_key().decode(), Fernet.generate_key().decode()
ROW_COLUMNS = [
    "id_keluarga",
    "periode",
    "kode_desa",
    "jumlah_art",
    "desil",
    "pengeluaran_kapita",
    *S.FLAG_COLUMNS,
    "kode_desa_lokasi",
    "status_lokasi",
    "h3",
]


def settings_with(db_settings, *, pkey: str | None = PKEY, vkey: str | None = K1) -> Settings:
    return db_settings.model_copy(
        update={"identitas": IdentitySettings(pseudonym_key=pkey or "", vault_key=vkey or "")}
    )


@pytest.fixture(scope="module")
def desa_layer(kendal_desa):
    return kendal_desa


@pytest.fixture(scope="module")
def files(kendal_keluarga, desa_layer, tmp_path_factory):
    """By-name files of the same 240 families for 2025-03 and 2025-09."""
    fam = kendal_keluarga["frame"].sample(240, random_state=4)
    desa = pd.DataFrame(desa_layer[["kode", "nama", "nama_kec"]])
    folder = tmp_path_factory.mktemp("identitas")
    (folder / "a").mkdir()
    (folder / "b").mkdir()
    return {
        "maret": make_by_name(fam, desa, folder / "a", PKEY.encode()),
        "september": make_by_name(
            fam, desa, folder / "b", PKEY.encode(), periode=datetime(2025, 9, 1)
        ),
    }


@pytest.fixture
def loaded(db_engine, db_settings, files):
    """Boundaries imported and the March by-name file imported through its profile."""
    settings = settings_with(db_settings)
    import_boundaries(db_engine, KENDAL_DESA, settings=settings)
    result = import_keluarga_profil(
        db_engine, files["maret"].xlsx, "dtsen_nama", settings=settings, partial=True
    )
    return settings, result


def _rows(engine, periode: str) -> pd.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(
            select(*[getattr(M.Keluarga, c) for c in ROW_COLUMNS]).where(
                M.Keluarga.periode == periode
            )
        ).all()
    return pd.DataFrame(rows, columns=ROW_COLUMNS).sort_values(S.ID).reset_index(drop=True)


def _leaks(text: str, numbers: list[str]) -> list[str]:
    return [n for n in numbers if n in text]


def test_by_name_import_is_the_contract_import_and_leaks_nothing(
    db_engine, db_url, db_settings, files, tmp_path, caplog
):
    by = files["maret"]
    settings = settings_with(db_settings)
    import_boundaries(db_engine, KENDAL_DESA, settings=settings)
    with caplog.at_level(logging.DEBUG):
        result = import_keluarga_profil(
            db_engine, by.xlsx, "dtsen_nama", settings=settings, partial=True
        )
    rep = result.laporan
    assert rep.status == "selesai" and rep.n_sah == by.n_good and rep.n_ditolak == BAD_ROWS
    assert result.n_identitas == by.n_good
    assert set(result.masalah_pemetaan["kode_alasan"]) == {
        "nama_desa_tidak_dikenal",
        "nama_desa_ambigu",
        "nomor_kk_nik_tidak_valid",
    }
    with db_engine.connect() as conn:
        baris = conn.execute(select(func.min(M.Keluarga.baris))).scalar_one()
    assert baris == 4  # the sheet row: header on row 3
    by_name_rows = _rows(db_engine, "2025-03")

    # Every NIK and KK number: not in the database, the logs or the audit table.
    numbers = by.nik + by.kk
    if db_url.startswith("sqlite"):
        db_engine.dispose()
        path = Path(make_url(db_url).database)
        raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        dump = raw.decode("latin-1")
    else:
        url = make_url(db_url)
        dump = subprocess.run(
            ["pg_dump", "-h", url.host, "-p", str(url.port), "-U", url.username, url.database],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        assert "identitas_keluarga" in dump  # the dump is real and holds the vault table
    assert len(dump) > 100_000
    assert _leaks(dump, numbers) == []
    assert "Kepala Keluarga 0001" not in dump  # names are encrypted too
    assert _leaks(caplog.text, numbers) == []
    with db_engine.connect() as conn:
        audit = conn.execute(select(M.AuditLog)).all()
        batches = conn.execute(select(M.ImporBatch.laporan, M.ImporBatch.berkas)).all()
    assert _leaks(repr(audit) + repr(batches), numbers) == []

    # Every file an analysis of the stored families writes (tables, maps, GeoJSON: the
    # superset of what opd/publik receive after suppression) is free of them too.
    with db_engine.connect() as conn:
        inputs = AR.inputs_from_db(conn, KAB, "2025-03", scope=Scope.all(), data_dir=DATA)
    result = AR.run_analysis(inputs, AR.RunParams(kantong=False))
    folder = AR.write_outputs(result, tmp_path / "hasil")
    files_out = [p for p in folder.rglob("*") if p.is_file()]
    assert len(files_out) >= 5
    blob = b"".join(p.read_bytes() for p in files_out).decode("latin-1")
    assert _leaks(blob, numbers) == []

    # The equivalent contract file gives the very same stored families.
    again = import_keluarga(db_engine, by.csv, periode="2025-03", settings=settings, replace=True)
    assert again.status == "selesai" and again.n_sah == by.n_good
    pd.testing.assert_frame_equal(by_name_rows, _rows(db_engine, "2025-03"))


def test_same_family_same_id_across_periodes_and_opensid(loaded, db_engine, files):
    settings, _ = loaded
    second = import_keluarga_profil(
        db_engine, files["september"].xlsx, "dtsen_nama", settings=settings, partial=True
    )
    assert second.laporan.status == "selesai"
    march = set(_rows(db_engine, "2025-03")[S.ID])
    september = set(_rows(db_engine, "2025-09")[S.ID])
    assert march == september and len(march) == files["maret"].n_good
    by = files["maret"]
    opensid = pd.DataFrame({"no_kk": by.kk[:5], "nik": by.nik[:5], "status": "sesuai"})
    ids = I.opensid_results(opensid, settings)[S.ID]
    assert set(ids) <= march and ids.notna().all()
    assert "no_kk" not in I.opensid_results(opensid, settings).columns
    other = settings_with(settings, pkey="kunci-lain-".ljust(40, "z"))
    assert not set(I.opensid_results(opensid, other)[S.ID]) & march
    with pytest.raises(KunciError, match="pseudonim berbeda"):
        import_keluarga_profil(
            db_engine, files["september"].xlsx, "dtsen_nama", settings=other, replace=True
        )


def _sample(engine, files, desa_layer) -> int:
    fam = pd.read_csv(files["maret"].csv, dtype=str, keep_default_na=False)
    valid = validate_keluarga(fam).valid.drop(columns="baris")
    located = compute_indicators(valid, desa_layer).keluarga
    few = sorted(set(located[S.KODE_DESA]))[:6]  # six desa: six pages, six sheets
    located = located[located[S.KODE_DESA].isin(few)]
    sample = G.build_sample(located, G.SampleParams(seed=1, n_per_desa=2, maks_bendera=10))
    with make_session_factory(engine)() as s:
        sid = GR.save_sample(s, sample, kode_kab=KAB, periode="2025-03", scope=Scope.all())
        s.commit()
    return sid


def _users(engine) -> dict[str, int]:
    with make_session_factory(engine)() as s:
        ids = {
            name: create_user(s, name, peran, kabupaten=[KAB]).id
            for name, peran in (("ani", "analis"), ("pendi", "pendamping"), ("opa", "opd"))
        }
        s.commit()
    return ids


def test_names_only_for_allowed_roles_and_every_read_audited(
    loaded, db_engine, files, desa_layer, tmp_path
):
    settings, _ = loaded
    sid = _sample(db_engine, files, desa_layer)
    users = _users(db_engine)
    admin = I.Pemohon.cli()
    with make_session_factory(db_engine)() as s:
        desa_all = sorted(set(GR.load_sample(s, sid, scope=Scope.all()).daftar[S.KODE_DESA]))
    mine, other = desa_all[0], desa_all[1]
    assert I.assign_facilitator(db_engine, "pendi", sid, [mine], who=admin) == 1

    analis = I.Pemohon("analis", Scope.of(KAB), users["ani"], "ani")
    full, _ = I.named_field_list(db_engine, analis, sid, tujuan="uji petik", settings=settings)
    assert set(full[S.KODE_DESA]) == set(desa_all)
    assert full["nama_kk"].str.startswith("Kepala Keluarga").all()
    assert set(full["no_kk"]) <= set(files["maret"].kk)

    pendamping = I.Pemohon("pendamping", Scope.of(KAB), users["pendi"], "pendi")
    own, _ = I.named_field_list(db_engine, pendamping, sid, tujuan="kunjungan", settings=settings)
    assert set(own[S.KODE_DESA]) == {mine} and own["nama_kk"].notna().all()
    with pytest.raises(AccessDeniedError):
        I.named_field_list(
            db_engine, pendamping, sid, tujuan="kunjungan", settings=settings, desa=other
        )
    opd = I.Pemohon("opd", Scope.of(KAB), users["opa"], "opa")
    with pytest.raises(AccessDeniedError):
        I.named_field_list(db_engine, opd, sid, tujuan="ingin tahu", settings=settings)
    with pytest.raises(NotFoundError):  # another kabupaten's analyst: no such sample
        I.named_field_list(
            db_engine,
            I.Pemohon("analis", Scope.of("33.20"), 99),
            sid,
            tujuan="x y z",
            settings=settings,
        )

    pdf = export_named_list(
        db_engine, analis, sid, out_dir=tmp_path, format="pdf", tujuan="cetak", settings=settings
    )
    assert len(PdfReader(pdf).pages) >= len(desa_all)  # one desa per page (at least)
    book = export_named_list(
        db_engine, analis, sid, out_dir=tmp_path, format="xlsx", tujuan="cetak", settings=settings
    )
    sheets = pd.read_excel(book, sheet_name=None, dtype=str, header=1)
    assert len([n for n in sheets if n != "info"]) == len(desa_all)  # one sheet per desa
    gpkg = export_named_list(
        db_engine, analis, sid, out_dir=tmp_path, format="gpkg", tujuan="QField", settings=settings
    )
    points = pyogrio.read_dataframe(gpkg, layer="keluarga_sampel")
    assert points["nama_kk"].notna().all() and len(points) == len(full)

    # OpenSID round trip: the operator's list keys on NIK/KK, its results come back hashed.
    xlsx = export_named_list(
        db_engine,
        analis,
        sid,
        out_dir=tmp_path,
        format="opensid",
        tujuan="opensid",
        settings=settings,
    )
    sheet = pd.read_excel(xlsx, dtype=str)
    assert sheet["kode_desa"].str.fullmatch(r"\d{10}").all()
    assert set(sheet["no_kk"]) <= set(files["maret"].kk)
    sheet.loc[:1, ["status", "petugas", "tanggal"]] = ["sesuai", "Bu Sari", "2025-05-12"]
    back = tmp_path / "hasil_opensid.csv"
    sheet.drop(columns=["id_keluarga"]).to_csv(back, index=False, sep=";")
    res = import_opensid_results(db_engine, analis, sid, back, settings=settings, partial=True)
    assert res.status == "selesai" and res.summary.baru == 2
    with db_engine.connect() as conn:
        stored = conn.execute(select(M.UjiPetikHasil.id_keluarga)).scalars().all()
    assert set(stored) == set(sheet["id_keluarga"].iloc[:2])
    with db_engine.connect() as conn:
        reads = conn.execute(
            select(M.AuditLog.aktor, M.AuditLog.n_baris, M.AuditLog.rincian).where(
                M.AuditLog.aksi == "baca_identitas"
            )
        ).all()
    assert [r.aktor for r in reads] == ["ani", "pendi", "ani", "ani", "ani", "ani"]
    assert reads[1].n_baris == len(own) and reads[1].rincian["tujuan"] == "kunjungan"
    text = repr(reads)
    assert _leaks(text, files["maret"].nik + files["maret"].kk) == []
    assert "Kepala Keluarga" not in text


def test_wrong_missing_and_rotated_keys(loaded, db_engine, db_settings, files, desa_layer):
    settings, _ = loaded
    sid = _sample(db_engine, files, desa_layer)
    admin = I.Pemohon.cli()
    with pytest.raises(KunciError, match="belum diatur"):
        import_keluarga_profil(
            db_engine, files["september"].xlsx, "dtsen_nama",
            settings=settings_with(db_settings, pkey=None), partial=True,
        )  # fmt: skip
    with pytest.raises(KunciError, match="brankas"):
        import_keluarga_profil(
            db_engine, files["september"].xlsx, "dtsen_nama",
            settings=settings_with(db_settings, vkey=None), partial=True,
        )  # fmt: skip
    with pytest.raises(KunciError, match="salah"):
        I.named_field_list(
            db_engine, admin, sid, tujuan="uji", settings=settings_with(db_settings, vkey=K2)
        )
    with pytest.raises(KunciError, match="tidak sah"):
        I.named_field_list(
            db_engine, admin, sid, tujuan="uji", settings=settings_with(db_settings, vkey="abc")
        )
    with db_engine.connect() as conn:  # none of the failed imports left anything
        assert conn.execute(select(func.count()).select_from(M.KeluargaSnapshot)).scalar_one() == 1

    rotating = settings_with(db_settings, vkey=f"{K2},{K1}")
    assert I.rotate_vault_key(db_engine, who=admin, settings=rotating) == files["maret"].n_good
    new_only = settings_with(db_settings, vkey=K2)
    names, _ = I.named_field_list(db_engine, admin, sid, tujuan="uji", settings=new_only)
    assert names["nama_kk"].notna().all()
    with pytest.raises(KunciError):
        I.named_field_list(db_engine, admin, sid, tujuan="uji", settings=settings)  # old key


def test_erasure_and_retention(loaded, db_engine, db_settings, files, desa_layer):
    settings, _ = loaded
    admin = I.Pemohon.cli()
    by = files["maret"]
    n_before = len(_rows(db_engine, "2025-03"))
    with pytest.raises(AccessDeniedError):
        I.erase(
            db_engine,
            who=I.Pemohon("analis", Scope.of(KAB)),
            alasan="permintaan",
            settings=settings,
            nomor_kk=by.kk[:1],
        )
    assert (
        I.erase(
            db_engine, who=admin, alasan="permintaan warga", settings=settings, nomor_kk=by.kk[:2]
        )
        == 2
    )
    assert len(_rows(db_engine, "2025-03")) == n_before  # pseudonymous rows stay
    with db_engine.connect() as conn:
        left = conn.execute(select(func.count()).select_from(M.IdentitasKeluarga)).scalar_one()
    assert left == by.n_good - 2

    # September brings the families again (not the two erased: erasure holds); the first
    # ten others are then dropped from September, so when March's retention ends only
    # those ten lose their identity.
    erased = set(I.opensid_results(pd.DataFrame({"no_kk": by.kk[:2]}), settings)[S.ID])
    today = date(2026, 1, 15)
    I.set_retention(db_engine, KAB, "2025-03", today - timedelta(days=1), who=admin)
    again = import_keluarga_profil(
        db_engine, files["september"].xlsx, "dtsen_nama", settings=settings, partial=True
    )
    assert again.n_identitas == by.n_good - 2
    ten = [i for i in sorted(_rows(db_engine, "2025-09")[S.ID]) if i not in erased][:10]
    with db_engine.begin() as conn:
        conn.execute(
            M.IdentitasPeriode.__table__.delete().where(
                M.IdentitasPeriode.periode == "2025-09", M.IdentitasPeriode.id_keluarga.in_(ten)
            )
        )
    done = I.apply_retention(db_engine, who=admin, settings=settings, today=today)
    assert done[["periode", "n_dihapus"]].values.tolist() == [["2025-03", 10]]
    with db_engine.connect() as conn:
        left = set(conn.execute(select(M.IdentitasKeluarga.id_keluarga)).scalars())
        acts = conn.execute(select(M.AuditLog.aksi, M.AuditLog.n_baris)).all()
    assert not left & (set(ten) | erased) and len(left) == by.n_good - 12
    assert ("hapus_identitas", 2) in acts and ("retensi_hapus", 10) in acts
    assert ("retensi_identitas", None) in acts
