"""POP workload: one population of AdEx cells (Euler, dt = 0.5, ngclearn's default parameters)
under a constant input current, 10⁶ cells by default; dynax only (ngclearn's process
machinery copies the whole global state per `run` and is not meant for this size).

The step is memory-bound: per cell it reads v, w, tols and the input j (the previous spikes
are not read) and writes v, w, s, tols: 8 float32 = 32 bytes per cell and step. The achieved
bandwidth is those bytes over the measured time per step.

    python -m benchmarks.pop [--n 1000000] [--steps 100]
"""

import argparse
import time

from ._harness import emit, per_step, result, time_call

DT = 0.5
DRIVE = 25.0
BYTES_PER_CELL = 8 * 4


def build_dynax(n: int, steps: int):
    import jax
    import jax.numpy as jnp

    from dynax.neurons.spiking.adex_cell import AdExCell
    from dynax.simulate import simulate

    cell = AdExCell(n, integration_type="euler")
    drive = AdExCell.Inputs(j=jnp.full((n,), DRIVE))  # held: no (T, n) array to stream

    @jax.jit
    def run(cell, state, drive):
        final, _ = simulate(
            cell, state, constant_inputs=drive, num_steps=steps, dt=DT, record=lambda s: None
        )
        return final

    holder = {"state": cell.init_state()}

    def call():
        holder["state"] = run(cell, holder["state"], drive)
        jax.block_until_ready(holder["state"])

    def spikes():
        return float(holder["state"].s.sum())

    return call, spikes


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args()
    start = time.perf_counter()
    call, spikes = build_dynax(args.n, args.steps)
    call()
    setup_s = time.perf_counter() - start
    timing = per_step(time_call(call, repeats=args.repeats, warmup=args.warmup), args.steps)
    moved = BYTES_PER_CELL * args.n
    emit(
        result(
            "pop",
            "dynax",
            "jit",
            {"n": args.n, "dt": DT, "steps": args.steps, "drive": DRIVE, "integrator": "euler"},
            timing=timing,
            bytes_per_step=moved,
            gbytes_per_s=moved / timing["median_step_s"] / 1e9,
            spikes_last_step=spikes(),
            setup_and_first_call_s=setup_s,
        )
    )


if __name__ == "__main__":
    main()
