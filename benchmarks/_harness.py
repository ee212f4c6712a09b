"""Timing and reporting shared by the benchmark workloads.

Each workload runs in its own process (so that one library's compiled caches, threads and
global state cannot slow another) and prints one JSON object on its last line.
"""

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any


def time_call(fn: Callable[[], Any], *, repeats: int = 7, warmup: int = 2) -> dict[str, float]:
    """Median, min and max wall time (s) of `fn()` (which must block until done)."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return {
        "median_s": statistics.median(samples),
        "min_s": min(samples),
        "max_s": max(samples),
        "repeats": repeats,
    }


def machine() -> dict[str, Any]:
    """What ran the workload: CPU, cores, accelerator and versions."""
    import jax

    info: dict[str, Any] = {
        "python": platform.python_version(),
        "jax": jax.__version__,
        "backend": jax.default_backend(),
        "devices": [str(d.device_kind) for d in jax.devices()],
        "cores": os.cpu_count(),
        "platform": platform.platform(),
    }
    try:
        with open("/proc/cpuinfo") as f:
            models = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        info["cpu"] = models[0] if models else platform.processor()
    except OSError:
        info["cpu"] = platform.processor()
    if info["backend"] == "gpu":
        try:
            info["gpu"] = subprocess.run(
                ["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader"],
                capture_output=True,
                text=True,
                check=False,
            ).stdout.strip()
        except OSError:
            pass
    return info


def emit(result: dict[str, Any]) -> None:
    """Prints the workload's result as the last line of its output."""
    print(json.dumps(result), flush=True)


def run_isolated(module: str, args: list[str], python: str | None = None) -> dict[str, Any]:
    """Runs `python -m <module> <args>` in a fresh process and returns its JSON line."""
    done = subprocess.run(
        [python or sys.executable, "-m", module, *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return {"error": (done.stderr or done.stdout)[-2000:], "args": args}
    return json.loads(done.stdout.strip().splitlines()[-1])
