"""Request and response bodies. Inputs refuse unknown fields (``extra="forbid"``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from geo_service.analysis import schema as S
from geo_service.services.analysis_run import RUN_DEFAULTS as _D
from geo_service.services.analysis_run import RunParams
from geo_service.settings import AnalysisSettings


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorBody(BaseModel):
    kode: str = Field(examples=["tidak_ditemukan"])
    pesan: str = Field(examples=["Analisis 7 tidak ditemukan."])
    detail: Any = None


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    versi: str
    basis_data: str = Field(examples=["sqlite"])
    revisi_skema: str | None = None


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(examples=[900])


class Me(BaseModel):
    id: int
    nama_pengguna: str
    peran: Literal["admin", "analis", "opd", "publik"]
    kabupaten: list[str]
    kode_opd: str | None = None


class KabupatenItem(BaseModel):
    kode: str = Field(examples=["33.24"])
    nama: str = Field(examples=["Kabupaten Kendal"])
    kode_prov: str = Field(examples=["33"])
    nama_prov: str = Field(examples=["Jawa Tengah"])
    n_desa: int


class Feature(BaseModel):
    type: Literal["Feature"] = "Feature"
    properties: dict[str, Any]
    geometry: dict[str, Any] | None


class FeatureCollection(BaseModel):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[Feature]


class Rows(BaseModel):
    """A table as JSON rows, with paging information when paged."""

    kode_kab: str
    periode: str
    run_id: int
    total: int = Field(description="Rows matching the filters (before paging).")
    halaman: int = 1
    per_halaman: int | None = None
    penekanan_k: int | None = Field(
        None, description="k of the small-cell suppression applied (null: none)."
    )
    baris: list[dict[str, Any]]


class AnalysisRequest(Input):
    """Start an analysis of the stored families of one kabupaten and periode.

    Every parameter left out takes the one default of an analysis run
    (:data:`~geo_service.services.analysis_run.RUN_DEFAULTS`, the same as
    ``geo-service analyse``); the H3 resolution and distance limit follow the service's
    settings (``GEO_H3_RESOLUTION``, ``GEO_MAX_DISTANCE_M``).
    """

    kode_kab: str = Field(pattern=S.KODE_KAB_PATTERN, examples=["33.24"])
    periode: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", examples=["2025-03"])
    h3_resolusi: int | None = Field(
        None, ge=6, le=10, description=f"Resolusi H3 (kosong: {_D.h3_resolution})"
    )
    jarak_maks_m: float | None = Field(
        None, gt=0, le=5000, description=f"Jarak desa terdekat (kosong: {_D.max_distance_m:g} m)"
    )
    garis_ekstrem: float | None = Field(
        _D.garis_ekstrem, gt=0, description="Ekstrem = pengeluaran di bawah garis ini (Rp)"
    )
    seed: int = Field(_D.seed, ge=0, le=2**31 - 1)
    permutasi: int = Field(
        _D.permutations, ge=99, le=99_999, description="Permutasi Gi* tahap pertama per sel"
    )
    alpha: float = Field(_D.alpha, gt=0, lt=1, description="Batas FDR titik panas")
    min_jiwa_kantong: int = Field(
        _D.min_jiwa_kantong, ge=0, description="Minimal jiwa miskin ekstrem satu kantong"
    )
    kantong: bool = Field(_D.kantong, description="false: indikator saja, tanpa kantong")

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"kode_kab": "33.24", "periode": "2025-03", "seed": 7}]},
    )

    def run_params(self, analysis: AnalysisSettings) -> RunParams:
        """The run's parameters (stored families were validated on import: ``partial``)."""
        return RunParams.from_settings(
            analysis,
            h3_resolution=self.h3_resolusi,
            max_distance_m=self.jarak_maks_m,
            garis_ekstrem=self.garis_ekstrem,
            seed=self.seed,
            permutations=self.permutasi,
            alpha=self.alpha,
            min_jiwa_kantong=self.min_jiwa_kantong,
            kantong=self.kantong,
        )


class RunStatus(BaseModel):
    id: int
    kode_kab: str
    periode: str
    status: Literal["berjalan", "selesai", "gagal"]
    parameter: dict[str, Any]
    seed: int | None
    versi: str
    mulai: datetime
    selesai: datetime | None = None
    detik: float | None = None
    alasan: str | None = None
    tabel: list[str] = Field(default_factory=list)


class ImportBatchStatus(BaseModel):
    """One import batch as stored (``impor_batch``), like :class:`RunStatus` for a run.

    What an import did is ONE concept, the service's
    :class:`geo_service.services.imports.ImportReport`; its summary is stored in the batch
    and returned here as ``laporan`` (its keys: ``masalah_per_kode``,
    ``kolom_tidak_dikenal``, ``lokasi``, ``diganti``, ``diperbaiki``, ``kabupaten``,
    ``detik``), next to the batch's own columns.
    """

    id: int | None = None
    jenis: str
    berkas: str
    sha256: str
    ukuran_byte: int
    status: str
    periode: str | None = None
    kode_kab: list[str] = Field(default_factory=list)
    n_baris: int = 0
    n_sah: int = 0
    n_ditolak: int = 0
    n_masalah: int = 0
    alasan: str | None = None
    laporan: dict[str, Any] = Field(default_factory=dict)


# ---------------------------------------------------------------- ground checks, targets


class SampleRequest(Input):
    """A ground-check sample of a kabupaten: flagged families plus a stratified random sample
    per desa (see :mod:`geo_service.analysis.uji_petik`)."""

    periode: str | None = Field(
        None,
        pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
        examples=["2025-03"],
        description="Periode data keluarga; kosong = terbaru",
    )
    seed: int = Field(20250301, ge=0, le=2**31 - 1, description="Benih bagian acak (dicatat)")
    n_per_desa: int = Field(10, ge=0, le=200, description="Ukuran sampel acak per desa")
    alokasi: Literal["proporsional", "sama"] = "proporsional"
    min_per_strata: int = Field(2, ge=0, le=50)
    maks_bendera: int | None = Field(
        2000, ge=0, le=100_000, description="Batas keluarga berbendera (kosong = semua)"
    )
    maks_bendera_per_desa: int | None = Field(None, ge=0, le=10_000)


class SampleSummary(BaseModel):
    id: int
    kode: str = Field(examples=["UP-3324-2025-03-1a2b3c4d"])
    kode_kab: str
    periode: str
    seed: int | None
    run_id: int | None = Field(None, description="Analisis asal kantong dan peringkat desa")
    n_item: int
    n_acak: int
    n_bendera: int = Field(description="Keluarga berbendera sebelum dibatasi")
    n_bendera_dipotong: int
    dibuat: datetime
    parameter: dict[str, Any]


class FieldImportReport(BaseModel):
    status: Literal["selesai"]
    batch_id: int
    berkas: str
    sha256: str
    diimpor: bool
    baris_sah: int
    baris_kosong: int = Field(description="Baris belum dikunjungi (dilewati)")
    n_masalah: int
    baru: int
    diperbarui: int
    sama: int
    diabaikan_lebih_lama: int
    laporan_warga_diverifikasi: int = 0


class ProgressBody(BaseModel):
    sampel: SampleSummary
    total: dict[str, Any]
    progres: list[dict[str, Any]] = Field(description="Per desa terdaftar")
    taksiran: list[dict[str, Any]] = Field(
        description="Taksiran persentase data tidak sesuai dari bagian acak, per kelompok dan "
        "kabupaten (proporsi 0-1, selang kepercayaan)"
    )


class TransitionBody(BaseModel):
    kode_kab: str
    periode: list[str]
    n_keluarga: dict[str, int]
    matriks: list[dict[str, Any]] = Field(description="Desil awal (baris) x desil akhir")
    matriks_jiwa: list[dict[str, Any]]
    graduasi: list[dict[str, Any]] = Field(description="Per desa dan TOTAL, tiap pasangan periode")
    tren: list[dict[str, Any]] | None = None
    kelas_kantong: list[dict[str, Any]] | None = None
    teks: list[str]


class TargetRows(BaseModel):
    kode_kab: str
    baris: list[dict[str, Any]]
    teks: str


#: The ``responses=`` argument of a route (status code -> OpenAPI response entry).
Responses = dict[int | str, dict[str, Any]]
