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
    info["load_avg_1_5_15"] = load_average()
    info["xla_flags"] = os.environ.get("XLA_FLAGS", "")
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


def run_isolated(
    module: str,
    args: list[str],
    python: str | None = None,
    *,
    cwd: str | None = None,
    timeout: float | None = None,
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Runs `python -m <module> <args>` in a fresh process (in `cwd`, with `env` added to the
    environment) and returns its JSON line, or `{"error": ...}` if it failed or ran past
    `timeout` seconds."""
    try:
        done = subprocess.run(
            [python or sys.executable, "-m", module, *args],
            capture_output=True,
            text=True,
            check=False,
            cwd=cwd,
            timeout=timeout,
            env=None if env is None else {**os.environ, **env},
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout} s", "args": args}
    if done.returncode != 0:
        return {"error": (done.stderr or done.stdout)[-2000:], "args": args}
    return json.loads(done.stdout.strip().splitlines()[-1])


def load_average() -> list[float]:
    """The 1-, 5- and 15-minute load averages (other processes competing for the cores)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def per_step(timing: dict[str, float], steps: int) -> dict[str, float]:
    """`timing` (from `time_call`, one call = `steps` steps) divided into per-step seconds."""
    out = dict(timing)
    for name in ("median_s", "min_s", "max_s"):
        out[name.replace("_s", "_step_s")] = timing[name] / steps
    out["steps_per_call"] = steps
    return out


def result(workload: str, library: str, mode: str, params: dict[str, Any], **fields) -> dict:
    """The JSON record of one workload run (with the machine and its load at the end)."""
    return {
        "workload": workload,
        "library": library,
        "mode": mode,
        "params": params,
        **fields,
        "machine": machine(),
    }
