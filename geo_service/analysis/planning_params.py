"""Parameters of the planning stage (:mod:`.planning`), with their defaults in one place."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

from geo_service.analysis.prioritas import Bobot

GI_VALUES = ("eb_global", "eb_lokal", "eb_standar", "mentah")


@dataclass(frozen=True)
class PlanningParams:
    """Parameters of the planning stage; recorded next to its outputs (:meth:`record`).

    Attributes
    ----------
    alpha
        Significance level: largest p-value of a pocket (scan, family-wise over all
        circles), and false discovery rate of the Benjamini-Hochberg correction of the Gi*
        layer (hot and cold cells each, and separately desa).
    scan_model
        ``bernoulli`` (persons of extreme-poor families among all persons; default) or
        ``poisson``.
    scan_radius_m
        Largest radius of a scan circle (centre to farthest cell centre), metres. 3 km
        suits rural kabupaten (a pocket of a few dusun) and urban ones alike, because
        ``scan_share_max`` limits circles in dense areas.
    scan_share_max
        Largest share of all geotagged persons inside one circle.
    scan_replicates
        Random-labelling replicates of the scan (p-values below ``1 / (R + 1)`` from a
        Gumbel fit, so 999 is enough).
    scan_stabilitas
        Family bootstrap resamples for each pocket's ``stabilitas`` (0: not computed).
    permutations
        Conditional permutations per cell (and per desa) in the first pass.
    permutations_max
        Permutations in all for cells whose first-pass two-sided p-value is at most
        ``max(0.1, 2 * alpha)`` (refinement; exact below that level, see
        :func:`~.gistar.gi_star`). The tests are one-sided, so BH can only reject when at
        least ``m / ((permutations + 1) * alpha)`` of ``m`` tested cells reach the smallest
        pseudo p-value ``1 / (permutations + 1)``: with about 1,500 cells, 999 permutations
        need 30 such cells, 9,999 need 3. (Pockets come from the scan, whose p-values have
        no such floor.)
    permutasi_kondisional
        True: the cell's own value stays and its neighbours are permuted (esda/GeoDa).
        False: the whole neighbourhood including the cell is permuted (null of the analytic
        Gi* moments; more power for pockets of one or two very poor cells).
    nilai_gi
        Value tested: ``eb_global`` (empirical-Bayes rate, shrunk towards the kabupaten),
        ``eb_lokal`` (shrunk towards the neighbourhood), ``eb_standar`` (Assuncao-Reis
        standardised rate) or ``mentah`` (raw rate; not recommended).
    h3_k
        Gi* neighbourhood on H3: cells within ``h3_k`` grid steps (1: ring of 6).
    h3_jarak_m
        Alternatively a distance band in metres between cell centres (overrides ``h3_k``).
    desa_toleransi_m
        Gap between desa outlines still counted as queen contiguity (digitising slivers).
    min_jiwa_ekstrem
        Smallest number of extreme-poor persons (geotagged) in a pocket.
    min_rasio
        Smallest pocket rate as a multiple of the kabupaten rate.
    bobot
        Weights of the composite priority score (:class:`~.priorities.Bobot`).
    bootstrap
        Bootstrap replicates over families for the rank intervals (0: none).
    n_teratas
        Size of the top group of priority desa.
    interval
        Coverage of the rank interval (0.90: 5th-95th percentile of bootstrap ranks).
    garis_kemiskinan
        Poverty line (Rp/person/month) for the depth P1 and severity P2 components; None
        leaves them out (their weight goes to the others).
    min_keluarga_target
        An OPD target desa has at least this many extreme-poor families with the need.
    """

    alpha: float = 0.05
    scan_model: Literal["bernoulli", "poisson"] = "bernoulli"
    scan_radius_m: float = 3000.0
    scan_share_max: float = 0.15
    scan_replicates: int = 999
    scan_stabilitas: int = 20
    permutations: int = 999
    permutations_max: int = 9999
    permutasi_kondisional: bool = True
    nilai_gi: Literal["eb_global", "eb_lokal", "eb_standar", "mentah"] = "eb_global"
    h3_k: int = 1
    h3_jarak_m: float | None = None
    desa_toleransi_m: float = 5.0
    min_jiwa_ekstrem: int = 100
    min_rasio: float = 1.5
    bobot: Bobot = field(default_factory=Bobot)
    bootstrap: int = 200
    n_teratas: int = 20
    interval: float = 0.90
    garis_kemiskinan: float | None = None
    min_keluarga_target: int = 1

    def __post_init__(self) -> None:
        if not 0 < self.alpha < 1:
            raise ValueError("alpha must be within (0, 1)")
        if self.permutations < 1 or self.scan_replicates < 1:
            raise ValueError("permutations and scan_replicates must be at least 1")
        if self.scan_model not in ("bernoulli", "poisson"):
            raise ValueError("scan_model must be bernoulli or poisson")
        if not 0 < self.scan_share_max < 1 or self.scan_radius_m <= 0:
            raise ValueError("0 < scan_share_max < 1 and scan_radius_m > 0")
        if self.scan_stabilitas < 0:
            raise ValueError("scan_stabilitas >= 0")
        if self.nilai_gi not in GI_VALUES:
            raise ValueError(f"nilai_gi must be one of {GI_VALUES}")
        if self.h3_k < 1:
            raise ValueError("h3_k must be at least 1")
        if not 0 < self.interval < 1:
            raise ValueError("interval must be within (0, 1)")
        if self.n_teratas < 1 or self.bootstrap < 0 or self.min_jiwa_ekstrem < 0:
            raise ValueError("n_teratas >= 1, bootstrap >= 0, min_jiwa_ekstrem >= 0")

    def record(self) -> dict:
        """The parameters as plain JSON-ready values."""
        return asdict(self)


__all__ = ["GI_VALUES", "PlanningParams"]
