"""dynax against an earlier dynax: the dynax workloads of `benchmarks.run` (PCN, SNN, POP) for
two source trees, back to back, each job in its own process, alternating the order every
round; prints the medians (min–max over rounds) and the ratio after / before.

    git worktree add /tmp/before <rev>
    python -m benchmarks.compare --before /tmp/before --rounds 3 --out /tmp/compare.json

Each tree runs its own `benchmarks/` code against its own `dynax/` (`PYTHONPATH=<tree>`), so
an API change between the two does not matter.
"""

import argparse
import datetime
import json
import statistics
from pathlib import Path

from ._harness import load_average, machine, run_isolated
from .run import ROOT, jobs


def dynax_jobs(quick: bool) -> list[tuple[str, list[str]]]:
    """`(module, args)` of every dynax timing job of `benchmarks.run`."""
    return [
        (module, args)
        for group, interpreter, module, args in jobs(quick)
        if interpreter == "main" and group in ("pcn", "snn", "pop") and "ngclearn" not in args
    ]


def per_step_median(record: dict) -> float | None:
    for key in ("timing", "per_step", "call"):
        value = record.get(key)
        if isinstance(value, dict) and "median_step_s" in value:
            return value["median_step_s"]
    return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", type=Path, required=True, help="the earlier source tree")
    parser.add_argument("--after", type=Path, default=ROOT, help="default: this tree")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    trees = {"before": args.before.resolve(), "after": args.after.resolve()}
    records = []
    for round_ in range(args.rounds):
        order = ["before", "after"] if round_ % 2 == 0 else ["after", "before"]
        for module, job_args in dynax_jobs(args.quick):
            for which in order:
                tree = str(trees[which])
                record = run_isolated(module, job_args, cwd=tree, env={"PYTHONPATH": tree})
                record["compare"] = {
                    "tree": which,
                    "round": round_,
                    "module": module,
                    "args": job_args,
                    "load": load_average(),
                }
                records.append(record)
                step = per_step_median(record)
                print(f"[{which:6s}] {module} {' '.join(job_args)}: {step}", flush=True)
    table = summary(records)
    document = {
        "created": datetime.datetime.now().isoformat(timespec="seconds"),
        "trees": {k: str(v) for k, v in trees.items()},
        "machine": machine(),
        "summary": table,
        "results": records,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, indent=1))
    print(markdown(table))


def summary(records: list[dict]) -> list[dict]:
    """Per job: the per-step medians of every round, before and after."""
    rows: dict[str, dict] = {}
    for record in records:
        info = record["compare"]
        label = f"{info['module'].removeprefix('benchmarks.')} {' '.join(info['args'])}"
        step = per_step_median(record)
        row = rows.setdefault(label, {"job": label, "before": [], "after": []})
        if step is not None:
            row[info["tree"]].append(step)
    return list(rows.values())


def markdown(table: list[dict]) -> str:
    def cell(values):
        if not values:
            return "error"
        us = [v * 1e6 for v in values]
        return f"{statistics.median(us):.1f} ({min(us):.1f}–{max(us):.1f})"

    lines = ["| job | before µs/step | after µs/step | after / before |", "|---|---|---|---|"]
    for row in table:
        ratio = (
            f"{statistics.median(row['after']) / statistics.median(row['before']):.2f}"
            if row["after"] and row["before"]
            else "—"
        )
        lines.append(f"| {row['job']} | {cell(row['before'])} | {cell(row['after'])} | {ratio} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
