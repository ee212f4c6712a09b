"""Compile time of the PCN workload's jitted `vmap(simulate)` (inference, and inference +
Hebbian update), in a fresh process with no persistent compilation cache: tracing
(`jax.jit(f).trace`), lowering to StableHLO, XLA compilation, and the whole first call.

    python -m benchmarks.compile_time
"""

import argparse
import os
import time

os.environ.setdefault("JAX_ENABLE_COMPILATION_CACHE", "false")

from ._harness import emit, result
from .pcn import build_dynax

TARGET_S = 2.0


def measure(learn: bool, steps: int, batch: int) -> dict[str, float]:
    import jax

    start = time.perf_counter()
    _, fn, args = build_dynax(steps, batch, learn)
    built = time.perf_counter()
    traced = fn.trace(*args)
    t_trace = time.perf_counter()
    lowered = traced.lower()
    t_lower = time.perf_counter()
    compiled = lowered.compile()
    t_compile = time.perf_counter()
    jax.block_until_ready(compiled(*args))
    t_run = time.perf_counter()
    return {
        "build_model_s": built - start,
        "trace_s": t_trace - built,
        "lower_s": t_lower - t_trace,
        "xla_compile_s": t_compile - t_lower,
        "first_run_s": t_run - t_compile,
        "trace_lower_compile_s": t_compile - built,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--learn", action="store_true")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch", type=int, default=128)
    args = parser.parse_args()
    times = measure(args.learn, args.steps, args.batch)
    emit(
        result(
            "pcn_compile_learn" if args.learn else "pcn_compile_infer",
            "dynax",
            "jit",
            {"sizes": (784, 256, 256, 10), "batch": args.batch, "steps": args.steps},
            compile=times,
            target_s=TARGET_S,
            meets_target=times["trace_lower_compile_s"] < TARGET_S,
        )
    )


if __name__ == "__main__":
    main()
