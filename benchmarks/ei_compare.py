"""The E/I network benchmark side by side: dynax, BrainPy 2.9 and Brian2 (runtime and C++
standalone), each configuration in its own process, back to back, in one session.

    .venv/bin/python -m benchmarks.ei_compare --sizes 4000 40000 --models coba cuba \
        --brian2 /tmp/brian2-venv/bin/python --brainpy /tmp/bp-venv/bin/python \
        --out benchmarks/results/2026-12-02-ei-cpu.json

Each peer runs in its own virtual environment (`benchmarks/EI_PEERS.md`); a missing one is
skipped. Prints a table of medians (min–max) of one simulated second, rates, and the ratios
to dynax.
"""

import argparse
import json
from pathlib import Path

from ._harness import run_isolated

RUNS = {
    "dynax sparse": ("benchmarks.ei_dynax", ["--mode", "sparse"], "dynax"),
    "brainpy jit": ("benchmarks.ei_brainpy", ["--mode", "jit"], "brainpy"),
    "brian2 runtime": ("benchmarks.ei_brian2", ["--mode", "runtime"], "brian2"),
    "brian2 standalone": ("benchmarks.ei_brian2", ["--mode", "standalone"], "brian2"),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[4000, 40000])
    parser.add_argument("--models", nargs="+", default=["coba", "cuba"])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--brian2", default="/tmp/brian2-venv/bin/python")
    parser.add_argument("--brainpy", default="/tmp/bp-venv/bin/python")
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    pythons = {"dynax": None, "brainpy": args.brainpy, "brian2": args.brian2}
    records = []
    for model in args.models:
        for n in args.sizes:
            row = {}
            for name, (module, extra, lib) in RUNS.items():
                python = pythons[lib]
                if python is not None and not Path(python).exists():
                    continue
                common = ["--model", model, "--n", str(n), "--repeats", str(args.repeats)]
                extra = extra + (["--conn", "indegree"] if lib == "brainpy" and n > 100_000 else [])
                record = run_isolated(module, common + extra, python, timeout=args.timeout)
                record["run"] = name
                records.append(record)
                row[name] = record
            _print_row(model, n, row)
    if args.out:
        args.out.write_text(json.dumps(records, indent=1))


def _print_row(model, n, row):
    base = row.get("dynax sparse", {}).get("timing", {}).get("median_s")
    for name, record in row.items():
        if "error" in record:
            print(f"{model} {n:>7} {name:<18} error: {record['error'][-200:]!r}")
            continue
        t = record["timing"]
        ratio = "" if base is None else f"{t['median_s'] / base:6.2f}× dynax"
        e, i = (record.get("rates_hz", {}).get(p, float("nan")) for p in ("e", "i"))
        spread = f"({t['min_s']:.3f}–{t['max_s']:.3f})"
        print(
            f"{model} {n:>7} {name:<18} {t['median_s']:8.3f} s {spread}"
            f"  E {e:5.1f} Hz I {i:5.1f} Hz  {ratio}",
            flush=True,
        )


if __name__ == "__main__":
    main()
