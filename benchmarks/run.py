"""Runs every benchmark workload, each in its own process, and writes one JSON file.

    python -m benchmarks.run --out benchmarks/results/2026-11-28-cpu.json
    python -m benchmarks.run --quick --out /tmp/smoke.json          # tiny repeat counts
    python -m benchmarks.run --only pcn snn --brainpy-python /tmp/bp-venv/bin/python

dynax and ngclearn run under the same interpreter (`--python`, default this one: it needs
ngclearn 3.2.3 installed beside dynax); BrainPy under `--brainpy-python` (its own venv; the
BrainPy jobs are skipped without it). `--wait-quiet` waits for the 1-minute load average to
drop below `--max-load` (up to `--wait-max` s before the first job, `--wait-per-job` s before
each later one), and every record keeps the load it ran under.
"""

import argparse
import datetime
import json
import os
import sys
import time
from pathlib import Path

from ._harness import load_average, machine, run_isolated

ROOT = Path(__file__).resolve().parent.parent


def jobs(quick: bool) -> list[tuple[str, str, str, list[str]]]:
    """`(group, interpreter, module, args)` for every workload."""
    r = ["--repeats", "2", "--warmup", "1"] if quick else ["--repeats", "9", "--warmup", "3"]
    snn_steps = ["--steps", "100"] if quick else ["--steps", "500"]
    pop_steps = ["--steps", "20"] if quick else ["--steps", "100"]
    out = []
    for learn in ([], ["--learn"]):
        out += [
            ("pcn", "main", "benchmarks.pcn", ["--lib", "dynax", "--mode", "jit", *learn, *r]),
            (
                "pcn",
                "main",
                "benchmarks.pcn",
                ["--lib", "dynax", "--mode", "jit", "--broadcast", *learn, *r],
            ),
            ("pcn", "main", "benchmarks.pcn", ["--lib", "ngclearn", "--mode", "run", *learn, *r]),
            ("pcn", "main", "benchmarks.pcn", ["--lib", "ngclearn", "--mode", "scan", *learn, *r]),
        ]
    for resources in ("synapse", "presynaptic"):
        res = ["--resources", resources]
        out.append(("snn", "main", "benchmarks.snn", ["--lib", "dynax", *res, *snn_steps, *r]))
        out.append(
            (
                "snn",
                "main",
                "benchmarks.snn",
                ["--lib", "dynax", *res, "--every-step", *snn_steps, *r],
            )
        )
        out.append(
            (
                "snn",
                "brainpy",
                "benchmarks.brainpy_adex",
                ["--workload", "snn", *res, *snn_steps, *r],
            )
        )
    for mode in ("run", "scan"):
        out.append(
            ("snn", "main", "benchmarks.snn", ["--lib", "ngclearn", "--mode", mode, *snn_steps, *r])
        )
    out.append(("pop", "main", "benchmarks.pop", [*pop_steps, *r]))
    out.append(("pop", "brainpy", "benchmarks.brainpy_adex", ["--workload", "pop", *pop_steps, *r]))
    out.append(("compile", "main", "benchmarks.compile_time", []))
    out.append(("compile", "main", "benchmarks.compile_time", ["--learn"]))
    grad_steps = ["--steps", "400", "1600"] if quick else []
    grad_repeats = ["--repeats", "1" if quick else "3"]
    out.append(("grad", "main", "benchmarks.grad_memory", [*grad_steps, *grad_repeats]))
    out.append(
        (
            "grad",
            "main",
            "benchmarks.grad_memory",
            ["--model", "snn", *grad_steps, "--repeats", "1"],
        )
    )
    return out


def wait_for_quiet(max_load: float, max_wait: float) -> float:
    """Sleeps until the 1-minute load average is below `max_load` (at most `max_wait` s);
    returns the seconds waited."""
    start = time.monotonic()
    while os.getloadavg()[0] >= max_load and time.monotonic() - start < max_wait:
        time.sleep(15)
    return time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--python", default=sys.executable, help="for dynax and ngclearn")
    parser.add_argument("--brainpy-python", default=None, help="a venv with brainpy")
    parser.add_argument("--only", nargs="+", choices=["pcn", "snn", "pop", "compile", "grad"])
    parser.add_argument("--quick", action="store_true", help="smoke test: tiny repeat counts")
    parser.add_argument("--wait-quiet", action="store_true")
    parser.add_argument("--max-load", type=float, default=1.5)
    parser.add_argument(
        "--wait-max", type=float, default=1200.0, help="seconds to wait before the first job"
    )
    parser.add_argument(
        "--wait-per-job", type=float, default=120.0, help="seconds to wait before later jobs"
    )
    parser.add_argument("--timeout", type=float, default=1800.0, help="per job, seconds")
    args = parser.parse_args()
    records = []
    for group, interpreter, module, job_args in jobs(args.quick):
        if args.only and group not in args.only:
            continue
        python = args.python if interpreter == "main" else args.brainpy_python
        label = f"{module} {' '.join(job_args)}"
        if python is None:
            print(f"skip (no --brainpy-python): {label}", flush=True)
            continue
        budget = args.wait_per_job if records else args.wait_max
        waited = wait_for_quiet(args.max_load, budget) if args.wait_quiet else 0.0
        before = load_average()
        start = time.perf_counter()
        record = run_isolated(module, job_args, python, cwd=str(ROOT), timeout=args.timeout)
        record["job"] = {
            "module": module,
            "args": job_args,
            "python": python,
            "load_before": before,
            "load_after": load_average(),
            "waited_for_quiet_s": round(waited, 1),
            "wall_s": round(time.perf_counter() - start, 1),
        }
        records.append(record)
        status = "ERROR" if "error" in record else "ok"
        print(f"[{status}] {label}  (load {before[0] if before else '?'})", flush=True)
    document = {
        "created": datetime.datetime.now().isoformat(timespec="seconds"),
        "quick": args.quick,
        "machine": machine(),
        "results": records,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, indent=1))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
