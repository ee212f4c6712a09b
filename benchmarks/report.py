"""Turns a results JSON of `benchmarks.run` into markdown tables (for the README).

    python -m benchmarks.report benchmarks/results/2026-11-28-cpu.json [> table.md]

Per-step times are medians over the timed calls (min–max in brackets); "× ngclearn scan" is
ngclearn's `process.scan` time per step divided by the row's (> 1: faster than the
reference's fastest path). GB/s is the bytes a step must move (stated per workload) over the
median time, for the memory-bound workloads.
"""

import argparse
import json
from pathlib import Path

TARGETS = {
    "pcn_infer": 3.0,
    "pcn_learn": 3.0,
    "snn_synapse": 2.0,
    "snn_presynaptic": 20.0,
}

LABELS = {
    ("ngclearn", "run"): "ngclearn 3.2.3 `process.run` loop",
    ("ngclearn", "scan"): "ngclearn 3.2.3 `process.scan`",
    ("dynax", "jit"): "dynax `jit(vmap(simulate))`",
    ("dynax", "jit-broadcast"): "dynax, x/y broadcast over time (not hoisted)",
    ("dynax", "jit-every-step"): "dynax `jit(simulate)`, full STP update every step",
    ("dynax", "jit-clamped"): "dynax, x/y held in a wrapper module (loop-invariant)",
    ("brainpy", "for_loop"): "BrainPy `bm.for_loop`",
}


def _time(t: dict, unit: float) -> str:
    low, mid, high = (t[k] / unit for k in ("min_step_s", "median_step_s", "max_step_s"))
    return f"{mid:.3g} [{low:.3g}–{high:.3g}]"


def _label(r: dict) -> str:
    label = LABELS.get((r["library"], r["mode"]), f"{r['library']} {r['mode']}")
    if r["library"] == "dynax" and r["mode"] == "jit" and r["workload"].startswith("pcn"):
        return label
    if r["library"] == "dynax" and r["mode"] == "jit" and r["workload"].startswith(("snn", "pop")):
        return "dynax `jit(simulate)`"
    return label


def _event_driven(r: dict) -> bool:
    """dynax's STP synapse skips the matrix work of silent steps, so the bytes of a full
    update per step are not what such a run moves."""
    return r["library"] == "dynax" and r["mode"] == "jit" and r["workload"].startswith("snn")


def _load(r: dict) -> str:
    job = r.get("job", {})
    before = job.get("load_before") or r.get("machine", {}).get("load_avg_1_5_15") or ["?"]
    return f"{before[0]}"


def timing_table(results: list[dict], workload: str, reference: float | None, gbps: bool) -> str:
    rows = [r for r in results if r.get("workload") == workload and "timing" in r]
    if not rows:
        return "_no results_\n"
    unit, unit_name = (
        (1e-6, "µs")
        if min(r["timing"]["median_step_s"] for r in rows) < 1e-3
        else (
            1e-3,
            "ms",
        )
    )
    head = f"| implementation | {unit_name}/step, median [min–max] | × ngclearn scan |"
    sep = "|---|---|---|"
    if gbps:
        head += " GB/s |"
        sep += "---|"
    head += " load |"
    sep += "---|"
    lines = [head, sep]
    for r in sorted(rows, key=lambda r: -r["timing"]["median_step_s"]):
        t = r["timing"]
        ratio = f"{reference / t['median_step_s']:.2f}" if reference else "—"
        line = f"| {_label(r)} | {_time(t, unit)} | {ratio} |"
        if gbps and _event_driven(r):
            line += " — (silent steps move less) |"
        elif gbps:
            line += f" {r['gbytes_per_s']:.1f} |" if "gbytes_per_s" in r else " — |"
        line += f" {_load(r)} |"
        lines.append(line)
    return "\n".join(lines) + "\n"


def reference_scan(results: list[dict], workload: str) -> float | None:
    for r in results:
        if r.get("library") == "ngclearn" and r.get("mode") == "scan" and "timing" in r:
            if r["workload"] == workload:
                return r["timing"]["median_step_s"]
    return None


def render(document: dict) -> str:
    results = [r for r in document["results"] if "error" not in r]
    errors = [r for r in document["results"] if "error" in r]
    m = document["machine"]
    out = [
        f"Machine: {m.get('cpu')} ({m.get('cores')} cores), {m.get('backend')}, "
        f"jax {m.get('jax')}, Python {m.get('python')}; {document['created']}"
        + (" — QUICK SMOKE RUN, not a measurement" if document.get("quick") else "")
        + ". Load column: the 1-minute load average when the job started.\n"
    ]
    sections = [
        (
            "pcn_infer",
            "PCN 784-256-256-10, batch 128, 20 inference steps (dt 1)",
            "pcn_infer",
            False,
        ),
        (
            "pcn_learn",
            "PCN, 20 inference steps + one Hebbian update (per step = trial / 20)",
            "pcn_learn",
            False,
        ),
        (
            "snn_synapse",
            "SNN 1000 AdEx + STP 1000×1000, resources per synapse (dt 0.5)",
            "snn_synapse",
            True,
        ),
        (
            "snn_presynaptic",
            "SNN, resources per presynaptic neuron (ngclearn only has per-synapse: its scan is "
            "the reference)",
            "snn_synapse",
            True,
        ),
        ("pop", "POP: 10⁶ AdEx cells, constant input (32 bytes per cell and step)", None, True),
    ]
    for workload, title, ref_workload, gbps in sections:
        ref = reference_scan(results, ref_workload) if ref_workload else None
        out.append(f"### {title}\n")
        out.append(timing_table(results, workload, ref, gbps))
        target = TARGETS.get(workload)
        dynax = [
            r
            for r in results
            if r.get("workload") == workload and r["library"] == "dynax" and r["mode"] == "jit"
        ]
        if target and ref and dynax:
            speedup = ref / dynax[0]["timing"]["median_step_s"]
            verdict = "met" if speedup >= target else "MISSED"
            out.append(f"Target ≥ {target:g}× ngclearn scan: {speedup:.2f}× — {verdict}.\n")
    compiles = [r for r in results if r.get("workload", "").startswith("pcn_compile")]
    if compiles:
        out.append("### Compile time of the PCN's jitted `vmap(simulate)` (fresh process)\n")
        out.append(
            "| function | trace | lower | XLA compile | trace+lower+compile | target < 2 s |\n"
            "|---|---|---|---|---|---|"
        )
        for r in compiles:
            c = r["compile"]
            name = "inference + Hebbian update" if "learn" in r["workload"] else "inference"
            ok = "met" if r["meets_target"] else "MISSED"
            out.append(
                f"| {name} | {c['trace_s']:.2f} s | {c['lower_s']:.2f} s | "
                f"{c['xla_compile_s']:.2f} s | {c['trace_lower_compile_s']:.2f} s | {ok} |"
            )
        out.append(
            "\n(Building the model and its batched state eagerly before that took "
            + ", ".join(f"{r['compile']['build_model_s']:.1f} s" for r in compiles)
            + ": first-time dispatch of each eager op.)\n"
        )
    for r in results:
        if r.get("workload") != "grad_memory":
            continue
        out.append(f"### Gradient memory through long runs: {r['params']['description']}\n")
        out.append("| steps T | XLA temp, plain | XLA temp, `checkpoint_every=√T` |\n|---|---|---|")
        by_steps: dict[int, dict] = {}
        for row in r["memory"]:
            key = "ckpt" if row["checkpoint_every"] else "plain"
            by_steps.setdefault(row["steps"], {})[key] = row
        for steps, pair in sorted(by_steps.items()):
            plain, ckpt = pair["plain"], pair["ckpt"]
            out.append(
                f"| {steps} | {plain['temp_bytes'] / 2**20:.1f} MiB | "
                f"{ckpt['temp_bytes'] / 2**20:.1f} MiB (k = {ckpt['checkpoint_every']}) |"
            )
        runs = r["runs"]
        out.append(
            f"\nGrowth exponent of temp memory in T: plain {r['growth_exponent_plain']:.2f}, "
            f"checkpointed {r['growth_exponent_checkpointed']:.2f} "
            f"({'sub-linear' if r['sublinear'] else 'NOT sub-linear'}). "
            f"Gradient at T = {runs['plain']['steps']}: "
            f"{runs['plain']['timing']['median_s']:.2f} s plain, "
            f"{runs['checkpointed']['timing']['median_s']:.2f} s checkpointed; "
            f"finite: {runs['plain']['grads_finite']}/{runs['checkpointed']['grads_finite']}; "
            f"max relative difference {r['max_relative_difference_plain_vs_checkpointed']:.1e}.\n"
        )
    if errors:
        out.append("### Jobs that failed\n")
        for r in errors:
            job = r.get("job", {})
            last = r["error"].strip().splitlines()[-1] if r["error"].strip() else "?"
            out.append(f"- `{job.get('module')} {' '.join(job.get('args', []))}`: {last}")
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("results", type=Path)
    args = parser.parse_args()
    print(render(json.loads(args.results.read_text())))


if __name__ == "__main__":
    main()
