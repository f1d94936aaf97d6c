"""Request and response bodies. Inputs refuse unknown fields (``extra="forbid"``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


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
        None, description="k of the small-cell suppression applied (null: none).")
    baris: list[dict[str, Any]]


class AnalysisRequest(Input):
    """Start an analysis of the stored families of one kabupaten and periode."""

    kode_kab: str = Field(pattern=r"^\d{2}\.\d{2}$", examples=["33.24"])
    periode: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", examples=["2025-03"])
    h3_resolusi: int = Field(8, ge=6, le=10)
    jarak_maks_m: float = Field(250.0, gt=0, le=5000)
    garis_ekstrem: float | None = Field(None, gt=0)
    seed: int = Field(20250301, ge=0, le=2**31 - 1)
    permutasi: int = Field(9999, ge=99, le=99_999, description="Permutasi Gi* per sel")

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"kode_kab": "33.24", "periode": "2025-03", "seed": 7}]})


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


class ImportReport(BaseModel):
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
