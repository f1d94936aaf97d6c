"""Why a desa is a priority, as structured facts that render in either language.

A reason is kept as a short list of facts (``[key, values]``: the strongest score components
with their numbers, a few-families warning, the pockets it holds, the bootstrap rank range).
:func:`reason_facts` builds them when priorities are computed; the table stores them as JSON
in ``alasan_data`` next to the text ``alasan`` in the run's language, and
:func:`render_reason` writes them in any language from the catalogue of
:mod:`geo_service.i18n` with its one number formatter. So the API answers a request in
English with English reasons whatever language the run was made in
(:func:`localise_priorities`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from geo_service.analysis import schema as S
from geo_service.i18n import fmt_number, fmt_p, fmt_percent, msg, pick, pocket_label

COMPONENTS = ("jumlah", "tingkat", "kedalaman", "keparahan", "deprivasi", "kantong", "celah")
FEW_FAMILIES = 30  # below this the reason warns that the desa's figures are uncertain

Fact = list[Any]  # [key, {name: value}]


def _num(x: Any) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def _int(x: Any) -> int | None:
    v = _num(x)
    return None if v is None else int(v)


def _pocket(pocket_id: Any, ctx: Mapping[str, Any]) -> dict[str, Any]:
    row = ctx.get("kantong", {}).get(str(pocket_id))
    if row is None:
        return {"id": str(pocket_id)}
    return {
        "id": str(row["kantong_id"]),
        "nomor": _int(row["nomor"]),
        "rr": _num(row["risiko_relatif"]),
        "p": _num(row["p_value"]),
    }


def _chosen(comp: Mapping[str, Any], weights: Mapping[str, float], i: int) -> list[str]:
    """The (up to three) score components that weigh most for desa ``i``."""
    contrib = sorted(
        ((weights[c] * np.nan_to_num(comp[c][i]), c) for c in weights),
        key=lambda t: (-t[0], COMPONENTS.index(t[1])),
    )
    chosen = [c for v, c in contrib[:3] if v > 0]
    if len(chosen) == 3 and contrib[2][0] < contrib[0][0] / 3:
        chosen = chosen[:2]
    return chosen or ["jumlah", "tingkat"]


def _component_fact(c: str, row: Mapping[str, Any], i: int, ctx: Mapping[str, Any], pockets):
    if c == "jumlah":
        return [
            c,
            {
                "n": _num(row["n_jiwa_ekstrem"]),
                "pos": int(ctx["posisi_jumlah"][i]),
                "n_aktif": int(ctx["n_aktif"]),
            },
        ]
    if c == "tingkat":
        return [
            c,
            {
                "pct": _num(row["pct_jiwa_ekstrem"]),
                "pct_eb": _num(row["pct_jiwa_ekstrem_eb"]),
                "pct_kab": _num(ctx["pct_kab"]),
            },
        ]
    if c == "kedalaman":
        return [c, {"p1": _num(row["p1"])}]
    if c == "keparahan":
        return [c, {"p2": _num(row["p2"])}]
    if c == "deprivasi":
        n = len(S.DEPRIVATION_COLUMNS)
        return [c, {"k": _num(row["intensitas_deprivasi"] * n), "n": n}]
    if c == "kantong":
        return [c, {"pct": _num(row["pct_ekstrem_di_kantong"]), "pockets": pockets}]
    return [
        "celah",
        {
            "pkh": _num(row["pct_eksklusi_pkh"]),
            "bpnt": _num(row["pct_eksklusi_bpnt"]),
            "pbi": _num(row["pct_eksklusi_pbi_jk"]),
        },
    ]


def reason_facts(
    row: Mapping[str, Any],
    comp: Mapping[str, Any],
    weights: Mapping[str, float],
    i: int,
    ctx: Mapping[str, Any],
    pocket_ids: Sequence[Any],
) -> list[Fact]:
    """The facts of desa ``i``'s reason: its strongest score components with numbers,
    few-family and pocket notes, the rate ratio and the bootstrap rank range."""
    chosen = _chosen(comp, weights, i)
    pockets = [_pocket(k, ctx) for k in pocket_ids[:2]] if pocket_ids else []
    facts: list[Fact] = [_component_fact(c, row, i, ctx, pockets) for c in chosen]
    if row["n_keluarga"] < FEW_FAMILIES:
        facts.append(["sedikit", {"n": _num(row["n_keluarga"])}])
    if pocket_ids and "kantong" not in chosen and ctx.get("kantong"):
        facts.append(["memuat", {"pockets": pockets}])
    ratio = row["pct_jiwa_ekstrem"] / ctx["pct_kab"] if ctx["pct_kab"] > 0 else np.nan
    if np.isfinite(ratio) and "tingkat" not in chosen and ratio >= 2:
        facts.append(["rasio", {"r": float(ratio)}])
    if ctx["bootstrap"] and pd.notna(row["peringkat_rentang_bawah"]):
        facts.append(
            [
                "peringkat",
                {
                    "rank": _int(row["peringkat"]),
                    "pct": int(round(100 * ctx["interval"])),
                    "lo": _int(row["peringkat_rentang_bawah"]),
                    "hi": _int(row["peringkat_rentang_atas"]),
                    "n": int(ctx["n_teratas"]),
                    "p": _num(100 * row["peluang_teratas"]),
                },
            ]
        )
    return facts


def pocket_citation(pocket: Mapping[str, Any], lang: str = "id") -> str:
    """A pocket as cited in a reason: its one name, relative risk and p-value
    (``Kantong 1 (K-48d640446f; risiko relatif 5,2x; p < 0,0001)``)."""
    if pocket.get("rr") is None:
        return str(pocket["id"])
    return msg(
        "alasan_kutipan_kantong",
        lang,
        name=pocket_label(pocket.get("nomor"), None, lang),
        id=pocket["id"],
        rr=fmt_number(pocket["rr"], lang, 1),
        p=fmt_p(pocket["p"], lang),
    )


def _cited(pockets: Sequence[Mapping[str, Any]], lang: str) -> str:
    return ", ".join(pocket_citation(p, lang) for p in pockets)


def _render_fact(key: str, v: Mapping[str, Any], lang: str) -> str:
    n, pct = (lambda x, d=0: fmt_number(x, lang, d)), (lambda x, d=1: fmt_percent(x, lang, d))
    if key == "jumlah":
        return msg("alasan_jumlah", lang, n=n(v["n"]), pos=v["pos"], n_aktif=n(v["n_aktif"]))
    if key == "tingkat":
        return msg(
            "alasan_tingkat",
            lang,
            pct=pct(v["pct"]),
            pct_eb=pct(v["pct_eb"]),
            pct_kab=pct(v["pct_kab"]),
        )
    if key == "kedalaman":
        return msg("alasan_kedalaman", lang, p1=n(v["p1"], 3))
    if key == "keparahan":
        return msg("alasan_keparahan", lang, p2=n(v["p2"], 4))
    if key == "deprivasi":
        return msg("alasan_deprivasi", lang, k=n(v["k"], 1), n=v["n"])
    if key == "kantong":
        names = _cited(v.get("pockets") or [], lang)
        return msg("alasan_kantong", lang, pct=pct(v["pct"], 0), names=" " + names if names else "")
    if key == "celah":
        return msg(
            "alasan_celah", lang, pkh=pct(v["pkh"], 0), bpnt=pct(v["bpnt"], 0), pbi=pct(v["pbi"], 0)
        )
    if key == "sedikit":
        return msg("alasan_sedikit", lang, n=n(v["n"]))
    if key == "memuat":
        return msg("alasan_memuat", lang, cited=_cited(v["pockets"], lang))
    if key == "rasio":
        return msg("alasan_rasio", lang, r=n(v["r"], 1))
    return msg(
        "alasan_peringkat",
        lang,
        rank=v["rank"],
        pct=fmt_percent(v["pct"], lang, 0),
        lo=v["lo"],
        hi=v["hi"],
        n=v["n"],
        p=pct(v["p"], 0),
    )


def render_reason(facts: Sequence[Fact] | str, lang: str = "id") -> str:
    """The reason text of ``facts`` (or their JSON) in ``lang``."""
    items: list[tuple[str, Mapping[str, Any]]] = [
        (str(k), v) for k, v in (json.loads(facts) if isinstance(facts, str) else facts)
    ]
    if not items:
        return msg("alasan_tanpa_keluarga", lang)
    body = [_render_fact(k, v, lang) for k, v in items if k not in ("rasio", "peringkat")]
    text = "; ".join(body + [_render_fact(k, v, lang) for k, v in items if k == "rasio"])
    tail = [_render_fact(k, v, lang) for k, v in items if k == "peringkat"]
    if tail:
        text = f"{text}. {tail[0]}" if text else tail[0]
    text = text[0].upper() + text[1:] if text else text
    return text + "."


def facts_json(facts: Sequence[Fact]) -> str:
    """``facts`` as the compact JSON stored in ``alasan_data``."""
    return json.dumps(list(facts), ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def localise_priorities(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """A stored priority table with its reader texts in ``lang``: ``alasan`` rendered from
    ``alasan_data`` (which is dropped), ``status_keterangan`` and ``kuadran_keterangan``
    from their codes. Tables stored before ``alasan_data`` existed keep their texts."""
    # lazy: import cycle, prioritas_alasan imports this module at its top
    from geo_service.analysis.prioritas_alasan import KUADRAN_LABEL, STATUS_LABEL

    if table is None:
        return table
    out = table.copy()
    if "alasan_data" in out.columns:
        data = out["alasan_data"]
        old = (
            out["alasan"]
            if "alasan" in out.columns
            else pd.Series([None] * len(out), index=out.index)
        )
        out["alasan"] = [
            render_reason(d, lang) if isinstance(d, str) and d else o
            for d, o in zip(data, old, strict=True)
        ]
        out = out.drop(columns="alasan_data")
    if "status_teratas" in out.columns and "status_keterangan" in out.columns:
        labels = pick(STATUS_LABEL, lang)
        out["status_keterangan"] = [
            labels.get(s, k)
            for s, k in zip(out["status_teratas"], out["status_keterangan"], strict=True)
        ]
    if "kuadran" in out.columns and "kuadran_keterangan" in out.columns:
        labels = pick(KUADRAN_LABEL, lang)
        out["kuadran_keterangan"] = [
            labels.get(q, k) if isinstance(q, str) else k
            for q, k in zip(out["kuadran"], out["kuadran_keterangan"], strict=True)
        ]
    return out
