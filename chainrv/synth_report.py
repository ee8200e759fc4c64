"""Hardware cost joined to speed: area per ISA configuration beside kernel speedups.

Definitions (docs/synth.md):

* area: NAND2-equivalents of the core from the generic gate mapping;
  ``area_increase_pct`` is relative to the rv32im core.
* Fmax: what nextpnr achieved for the SoC on the stated device (MHz).
* throughput at Fmax, from whole-run cycles on the ISS (set-up and output
  included):
  - ``mining``: nonces/s = Fmax / (cycles / nonces), ``bytes`` = nonce count;
  - ``keccak256``, ``sm3``: hashes/s of the kernel's default message
    (``bytes`` long, 4096 bytes) = Fmax / cycles;
  - ``ecdsa_secp256k1``: verifies/s = Fmax / ``extra["cycles_per_verify"]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from isa.config import IsaConfig

from .synth import SynthResult
from .synth.critical import describe as describe_path

#: Published RTL figures of the riscv-crypto reference units, beside the unit(s) of ours that
#: implement the same instructions.
ANCHORS = (
    {"unit": "SHA-256 sigma/sum (riscv-crypto RTL)", "nand2": 787, "ours": ("zknh",),
     "note": "our Zknh unit also implements the six RV32 SHA-512 functions"},
    {"unit": "RV32 AES (riscv-crypto RTL)", "nand2": 1157, "ours": ("zkne", "zknd"),
     "note": "ours: aes32es[m]i and aes32ds[m]i units together"},
)

#: kernel -> (throughput unit, cycles per item from a report row)
THROUGHPUT = {
    "mining": ("nonces/s", lambda r: r.cycles / max(1, r.bytes)),
    "keccak256": ("hashes/s", lambda r: r.cycles),
    "sm3": ("hashes/s", lambda r: r.cycles),
    "ecdsa_secp256k1": ("verifies/s", lambda r: r.extra.get("cycles_per_verify")),
}

BASE_ISA = str(IsaConfig.parse("rv32im"))


def _fmt_si(x: float) -> str:
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if x >= div:
            return f"{x / div:.2f} {suffix}"
    return f"{x:.1f} "


# ---------------------------------------------------------------- chainrv synth

def synth_table(res: SynthResult) -> str:
    """Per-unit cost of one configuration as a text table; with a microarchitecture
    other than ideal, its parts (caches, predictor, multiplier) and the caches' storage."""
    fpga = bool(res.fpga)
    mem = any(c.memory_bits for c in res.generic.values())
    head = f"{'unit':<12} {'cells':>8} {'NAND2-eq':>10} {'DFF':>6}"
    if mem:
        head += f" {'mem bits':>9}"
    if fpga:
        head += f" {'LUT4':>7} {'FF':>6} {'carry':>6} {'DSP':>4} {'LUTRAM':>7} {'BRAM':>5}"
    target = res.target + (f" {res.device}" if res.device else "")
    uarch = f", uarch {res.uarch}" if res.uarch != "ideal" else ""
    lines = [f"{_short_isa(res.isa)}{uarch}  (target {target}; core without RAM or trace port)", head,
             "-" * len(head)]
    units = sorted(u for u in res.generic if u not in ("core", "total"))
    for u in ["core", *units, "total"]:
        c = res.generic[u]
        line = f"{u:<12} {c.cells:>8,} {c.nand2:>10,.0f} {c.dff:>6,}"
        if mem:
            line += f" {c.memory_bits:>9,}"
        if fpga and u in res.fpga:
            f = res.fpga[u]
            line += f" {f.lut4:>7,} {f.ff:>6,} {f.carry:>6,} {f.dsp:>4} {f.lutram:>7} {f.bram:>5}"
        lines.append(line)
    if res.uarch != "ideal" and res.parts:
        lines += ["", *_parts_table(res)]
    if res.caches:
        lines += ["", *_storage_table(res)]
    if res.predictor:
        p = res.predictor
        lines += ["", f"branch table {p['setting']}: {p['entries']} x ({p['tag_width']} tag + 30 target "
                  f"+ 2 counter) = {p['memory']:,} bits in memory (kept: {p['synthesized_memory_bits']:,}), "
                  f"{p['valid']} valid bits in flip-flops"]
    if res.fmax_mhz is not None:
        util = ", ".join(f"{k} {v['used']}/{v['available']}" for k, v in res.utilization.items())
        aim = f", aim {res.pnr_aim_mhz:g} MHz" if res.pnr_aim_mhz else ""
        lines.append(f"Fmax {res.fmax_mhz:.2f} MHz on {target} (SoC with 4 KiB RAM{aim}; {util})")
        if len(res.fmax_by_seed) > 1:
            each = ", ".join(f"{f:.2f}" if f else "-" for f in res.fmax_by_seed.values())
            lines.append(f"  median of {len(res.fmax_by_seed)} placement seeds: {each} MHz")
        if res.critical_path:
            lines += describe_path(res.critical_path)
    runs = ", ".join(f"{k} {'cached' if res.cached.get(k) else f'{s:.0f} s'}" for k, s in res.seconds.items())
    lines.append(f"tool runs: {runs}")
    return "\n".join(lines)


def _parts_table(res: SynthResult) -> list[str]:
    """The microarchitecture's parts: the units that hold each, their summed cost."""
    fpga = bool(res.fpga)
    head = f"{'part':<11} {'setting':<9} {'NAND2-eq':>10} {'DFF':>6} {'mem bits':>9}"
    if fpga:
        head += f" {'LUT4':>7} {'FF':>6} {'DSP':>4} {'LUTRAM':>7} {'BRAM':>5}"
    head += "  units"
    lines = [f"microarchitecture {res.uarch}: cost per part", head, "-" * len(head)]
    for name, p in res.parts.items():
        g = p["generic"]
        line = (f"{name:<11} {p['setting'] or '-':<9} {g['nand2']:>10,.0f} {g['dff']:>6,} "
                f"{g['memory_bits']:>9,}")
        if fpga:
            f = p["fpga"]
            line += f" {f['lut4']:>7,} {f['ff']:>6,} {f['dsp']:>4} {f['lutram']:>7} {f['bram']:>5}"
        units = ("inline in core" if p["inline"] else "every other unit" if name == "core"
                 else ", ".join(p["units"]) or "-")
        lines.append(line + f"  {units}")
    return lines


def _storage_table(res: SynthResult) -> list[str]:
    """Each cache's storage in bits from its geometry, beside the bits synthesis kept
    in memories (data, tags and LRU; valid and dirty bits are flip-flops)."""
    head = (f"{'cache':<7} {'geometry':<9} {'sets':>5} {'tag':>4} {'data':>8} {'tags':>7} {'valid':>6} "
            f"{'dirty':>6} {'LRU':>6} {'total':>8} {'in memories':>12}")
    lines = ["cache storage (bits, from the geometry; in memories: what synthesis kept as memories)",
             head, "-" * len(head)]
    for name, c in res.caches.items():
        lines.append(f"{name:<7} {c['geometry']:<9} {c['sets']:>5} {c['tag_width']:>4} {c['data']:>8,} "
                     f"{c['tag']:>7,} {c['valid']:>6,} {c['dirty']:>6,} {c['lru']:>6,} {c['total']:>8,} "
                     f"{c['synthesized_memory_bits']:>12,}")
    return lines


# ---------------------------------------------------------------- joined report

def _label(isa: str, uarch: str) -> str:
    """A configuration's name in the joined tables: the ISA, and the microarchitecture
    unless it is the ideal machine."""
    return isa if uarch == "ideal" else f"{isa} {uarch}"


def joined(rows, results: Mapping[object, SynthResult]) -> dict:
    """Area, speedup and throughput per (kernel, ISA, microarchitecture), plus the cost
    of each configuration and the anchors. ``results`` may be keyed by anything
    (``synthesize_all`` keys them by ISA, or ISA and microarchitecture); each result
    names its own ISA and microarchitecture, and a row joins the one of its own."""
    from .report import speedups

    sp = speedups(rows)
    by_config = {(res.isa, res.uarch): res for res in results.values()}
    per_isa = {}
    for (isa, uarch), res in by_config.items():
        total = res.generic["total"]
        base = by_config.get((BASE_ISA, uarch))     # rv32im on the same microarchitecture
        per_isa[_label(isa, uarch)] = {
            "isa": isa, "uarch": uarch,
            "nand2": total.nand2, "cells": total.cells, "dff": total.dff, "memory_bits": total.memory_bits,
            "lut4": res.fpga["total"].lut4 if res.fpga else None,
            "ff": res.fpga["total"].ff if res.fpga else None,
            "bram": res.fpga["total"].bram if res.fpga else None,
            "fmax_mhz": res.fmax_mhz, "target": res.target, "device": res.device,
            "area_increase_pct": round(100 * (total.nand2 / base.generic["total"].nand2 - 1), 1)
            if base else None,
            "units_nand2": {u: c.nand2 for u, c in res.generic.items() if u != "total"},
        }
    kernels = []
    for r in rows:
        res = by_config.get((r.isa, r.uarch))
        entry = {"kernel": r.kernel, "isa": r.isa, "uarch": r.uarch, "speedup": sp.get(r.key),
                 "area_increase_pct": per_isa.get(_label(r.isa, r.uarch), {}).get("area_increase_pct")}
        measure = r.for_kernel(THROUGHPUT)   # a variant counts its work as its baseline does
        if measure and res is not None and res.fmax_mhz:
            unit, per_item = measure
            cycles = per_item(r)
            if cycles:
                entry["throughput"] = round(res.fmax_mhz * 1e6 / cycles, 2)
                entry["throughput_unit"] = unit
        kernels.append(entry)
    anchors = []
    for a in ANCHORS:
        ours = {isa: round(sum(res.generic[u].nand2 for u in a["ours"] if u in res.generic), 1)
                for isa, res in by_config.items() if all(u in res.generic for u in a["ours"])}
        anchors.append({"unit": a["unit"], "published_nand2": a["nand2"], "ours_units": list(a["ours"]),
                        "ours_nand2": next(iter(ours.values()), None), "note": a["note"]})
    return {"isas": per_isa, "kernels": kernels, "anchors": anchors}


def markdown(data: dict) -> str:
    out = ["## Hardware cost and speed\n",
           "Area: NAND2-equivalents of the core (generic gates; no RAM, no trace port). "
           "Fmax: nextpnr, SoC with a 4 KiB RAM. See docs/synth.md.\n",
           "| isa | NAND2-eq | area vs rv32im | cells | DFF | LUT4 | FF | Fmax (MHz) |",
           "|---|---|---|---|---|---|---|---|"]
    for d in data["isas"].values():
        inc = "n/a" if d["area_increase_pct"] is None else f"{d['area_increase_pct']:+.1f}%"
        target = f" ({d['target']} {d['device']})" if d["device"] else ""
        lut4, ff = ("-" if d[k] is None else f"{d[k]:,}" for k in ("lut4", "ff"))
        name = _label(_short_isa(d["isa"]), d["uarch"])
        out.append(f"| {name} | {d['nand2']:,.0f} | {inc} | {d['cells']:,} | {d['dff']:,} "
                   f"| {lut4} | {ff} | "
                   f"{d['fmax_mhz'] if d['fmax_mhz'] else '-'}{target} |")
    out += ["", "| kernel | isa | speedup | area vs rv32im | throughput at Fmax |", "|---|---|---|---|---|"]
    for k in data["kernels"]:
        inc = "n/a" if k["area_increase_pct"] is None else f"{k['area_increase_pct']:+.1f}%"
        tp = f"{_fmt_si(k['throughput'])}{k['throughput_unit']}" if "throughput" in k else "-"
        sp = f"{k['speedup']:.2f}x" if k["speedup"] else "-"
        out.append(f"| {k['kernel']} | {_label(_short_isa(k['isa']), k['uarch'])} | {sp} | {inc} | {tp} |")
    out += ["", "Published anchors beside ours:", "",
            "| reference unit | published NAND2-eq | ours | our NAND2-eq | note |", "|---|---|---|---|---|"]
    for a in data["anchors"]:
        ours = "-" if a["ours_nand2"] is None else f"{a['ours_nand2']:,.0f}"
        out.append(f"| {a['unit']} | {a['published_nand2']:,} | {' + '.join(a['ours_units'])} | {ours} "
                   f"| {a['note']} |")
    return "\n".join(out) + "\n"


#: Extension groups (Zkn, Zks) shortened in plot labels.
def _short_isa(isa: str) -> str:
    return IsaConfig.parse(isa).short_name()


def plot_speedup_vs_area(data: dict, out: Path) -> Path:
    from matplotlib.ticker import ScalarFormatter

    from .plots import _save, plt

    # one line per kernel and microarchitecture: area and speedup are both over rv32im
    # on the same microarchitecture
    by_kernel: dict[str, list[tuple[float, float, str]]] = {}
    for k in data["kernels"]:
        if k["speedup"] and k["area_increase_pct"] is not None:
            area = 1 + k["area_increase_pct"] / 100
            by_kernel.setdefault(_label(k["kernel"], k["uarch"]), []).append((area, k["speedup"], k["isa"]))
    fig, ax = plt.subplots(figsize=(10, 5.5))
    colors = plt.get_cmap("tab20").colors
    markers = "osD^v<>ph*"
    for n, (kernel, pts) in enumerate(by_kernel.items()):
        pts.sort()
        style = {"color": colors[n % len(colors)], "marker": markers[n % len(markers)]}
        if pts[0][0] != 1.0:
            # a variant without an rv32im build of its own: its speedup is over its
            # baseline kernel's rv32im run, the point (1, 1)
            ax.plot([1.0, pts[0][0]], [1.0, pts[0][1]], ls=":", lw=1, color=style["color"])
        ax.plot([p[0] for p in pts], [p[1] for p in pts], label=kernel, **style)
    for d in data["isas"].values():
        if d["area_increase_pct"] is not None:
            x = 1 + d["area_increase_pct"] / 100
            ax.axvline(x, color="grey", lw=0.5, ls=":")
            ax.text(x, 1.01, _label(_short_isa(d["isa"]), d["uarch"]), transform=ax.get_xaxis_transform(),
                    fontsize=7,
                    rotation=30, ha="left", va="bottom", color="dimgrey")
    ax.set_xlabel("core area relative to rv32im on the same microarchitecture (NAND2-eq, logic)")
    ax.set_ylabel("speedup over rv32im")
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(ScalarFormatter())
    ax.yaxis.set_minor_formatter(ScalarFormatter())
    ax.set_title("Speedup against area", pad=40)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return _save(fig, out)


# ---------------------------------------------------------------- chainrv report --synth

def synthesize_all(isas: list[str], target: str, device: str | None, cache_dir: Path,
                   uarchs: list[str] | None = None) -> dict[str | tuple[str, str], SynthResult]:
    """One synthesis per ISA configuration (and rv32im, the area baseline) and
    microarchitecture (default: the ideal machine only). Keyed by the ISA for the
    ideal machine and by (ISA, microarchitecture) for any other, as the report's
    Fmax lookup takes them (``chainrv.report.operations``)."""
    import sys

    from isa.uarch import Uarch

    from .synth import synthesize

    wanted = list(dict.fromkeys([BASE_ISA, *isas]))
    machines = list({str(u): u for u in (Uarch.parse(x) for x in (uarchs or ["ideal"]))}.values())
    results: dict[str | tuple[str, str], SynthResult] = {}
    for u in machines:
        for isa in wanted:
            where = f"{target}{' ' + device if device else ''}"
            print(f"synthesizing {_label(isa, str(u))} ({where})", file=sys.stderr)
            results[isa if str(u) == "ideal" else (isa, str(u))] = synthesize(isa, target, device, cache_dir,
                                                                               uarch=u)
    return results


def extend_report(rows, results: dict[str, SynthResult], out_dir: Path) -> list[Path]:
    """Append the cost section to report.md, cost columns to report.json's rows,
    and write synth.json and speedup_vs_area.png."""
    import json

    data = joined(rows, results)
    md, js = out_dir / "report.md", out_dir / "report.json"
    md.write_text(md.read_text() + "\n" + markdown(data))
    by = {(k["kernel"], k["isa"], k["uarch"]): k for k in data["kernels"]}
    report_rows = json.loads(js.read_text())
    for r in report_rows:
        uarch = r.get("uarch", "ideal")
        k = by.get((r["kernel"], r["isa"], uarch), {})
        cost = data["isas"].get(_label(r["isa"], uarch), {})
        r["area_increase_pct"] = k.get("area_increase_pct")
        r["nand2"] = cost.get("nand2")
        r["fmax_mhz"] = cost.get("fmax_mhz")
        if "throughput" in k:
            r["throughput"], r["throughput_unit"] = k["throughput"], k["throughput_unit"]
    js.write_text(json.dumps(report_rows, indent=2) + "\n")
    synth_json = out_dir / "synth.json"
    full = {"summary": data, "results": {_label(r.isa, r.uarch): r.to_json() for r in results.values()}}
    synth_json.write_text(json.dumps(full, indent=1) + "\n")
    return [synth_json, plot_speedup_vs_area(data, out_dir / "speedup_vs_area.png")]
