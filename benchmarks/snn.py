"""SNN workload: 1000 AdEx cells (Euler, dt = 0.5) with a recurrent 1000×1000 short-term-plastic
dense synapse (weights U(0, 0.5), τ_f = 750 and τ_d = 50 steps, resources U(0.125, 0.175)),
driven by a constant current of 25; batch 1.

One call = `--steps` steps from the current state. ngclearn's STPDenseSynapse keeps its
resources per synapse (its `u`, `x`, `Wdyn` are 1000×1000 matrices: spec §4.9); dynax runs
both of its resource models, per synapse (`--resources synapse`) and per presynaptic neuron
(`--resources presynaptic`); by default its synapse skips the matrix work of steps without
a presynaptic spike (`skip_silent_steps`; `--every-step` turns that off).

The reference counts τ_f, τ_d in steps; dynax counts them in the unit of dt, so the same
decay per step is τ·dt (375 and 25 at dt = 0.5), the default here (`--tau-unit steps`).
The cost of a step does not depend on these values.

    python -m benchmarks.snn --lib dynax --resources synapse|presynaptic [--every-step] [--batch B]
    python -m benchmarks.snn --lib dynax --resources presynaptic --n 16384   # SNN-large (GPU)
    python -m benchmarks.snn --lib ngclearn --mode run|scan
"""

import argparse
import time

from ._harness import emit, per_step, result, time_call

N = 1000
DT = 0.5
DRIVE = 25.0
TAU_F_STEPS, TAU_D_STEPS = 750.0, 50.0


def matrix_bytes(n: int, resources: str, library: str) -> int:
    """The bytes a full update must move at least: the (n, n) matrices it reads and writes
    (float32; the vectors are negligible). dynax's default event-driven step moves less on
    silent steps; the report leaves its GB/s out."""
    m = 4 * n * n
    if library == "ngclearn":
        # reads W, U, u, x, Wdyn; writes u, x, Wdyn
        return 8 * m
    if resources == "presynaptic":
        return m  # reads W once
    return 8 * m  # reads W, U, u, x, efficacy; writes u, x, efficacy


def build_dynax(
    steps: int,
    resources: str,
    tau_unit: str,
    skip_silent_steps: bool = True,
    batch: int = 1,
    n: int = N,
):
    """`(call, spikes)`: one call runs `steps` steps; with `batch > 1`, of `jit(vmap(simulate))`
    over `batch` copies of the network with drives spread over ±20 % of `DRIVE`."""
    import jax
    import jax.numpy as jnp

    from dynax.initializers import uniform
    from dynax.models.recurrent_spiking import RecurrentSpikingInputs, RecurrentSpikingNetwork
    from dynax.neurons.spiking.adex_cell import AdExCell
    from dynax.simulate import simulate
    from dynax.synapses.stp_dense_synapse import STPDenseSynapse

    scale = DT if tau_unit == "steps" else 1.0
    recurrent = STPDenseSynapse(
        (n, n),
        weight_init=uniform(0.0, 0.5),
        tau_f=TAU_F_STEPS * scale,
        tau_d=TAU_D_STEPS * scale,
        presynaptic=resources == "presynaptic",
        skip_silent_steps=skip_silent_steps,
        key=jax.random.key(1),
    )
    cell = AdExCell(n, integration_type="euler")
    model = RecurrentSpikingNetwork(n, cell=cell, recurrent=recurrent)
    drive = RecurrentSpikingInputs(current=jnp.full((n,), DRIVE, jnp.float32))

    def run_one(model, state, drive):
        final, _ = simulate(
            model, state, constant_inputs=drive, num_steps=steps, dt=DT, record=lambda s: None
        )
        return final

    if batch == 1:
        run = jax.jit(run_one)
        holder = {"state": model.init_state()}
    else:
        run = jax.jit(jax.vmap(run_one, in_axes=(None, 0, 0)))
        scales = jnp.linspace(0.8, 1.2, batch)[:, None]
        drive = RecurrentSpikingInputs(current=scales * drive.current)
        holder = {"state": jax.vmap(lambda _: model.init_state())(jnp.arange(batch))}

    def call():
        holder["state"] = run(model, holder["state"], drive)
        jax.block_until_ready(holder["state"])

    def spikes():
        return float(holder["state"].cell.s.sum())

    return call, spikes


def build_ngclearn(steps: int, mode: str, n: int = N):
    import jax
    import jax.numpy as jnp
    from ngclearn import Context, MethodProcess
    from ngclearn.components import AdExCell, STPDenseSynapse
    from ngclearn.utils.distribution_generator import DistributionGenerator as DG

    with Context("snn"):
        cell = AdExCell(
            "z", n_units=n, batch_size=1, integration_type="euler", key=jax.random.PRNGKey(0)
        )
        W = STPDenseSynapse(
            "W",
            shape=(n, n),
            weight_init=DG.uniform(0.0, 0.5),
            bias_init=DG.constant(DRIVE),  # the constant drive, added to the recurrent current
            tau_f=TAU_F_STEPS,
            tau_d=TAU_D_STEPS,
            key=jax.random.PRNGKey(1),
        )
        cell.s >> W.inputs
        W.outputs >> cell.j
        advance = MethodProcess("advance") >> W.advance_state >> cell.advance_state
        reset = MethodProcess("reset") >> W.reset >> cell.reset
    reset.run()
    # one `run` step first: the synapse's u, x change shape on their first step, so `scan`
    # cannot start from the reset state (spec §1.2)
    advance.run(t=0.0, dt=DT)
    rows = jnp.array(advance.pack_rows(steps, t=lambda i: (i + 1) * DT, dt=DT))

    def call():
        if mode == "run":
            for i in range(steps):
                advance.run(t=(i + 1) * DT, dt=DT)
            out = cell.v.get()
        else:
            out = advance.scan(rows)
        jax.block_until_ready(out)

    def spikes():
        return float(cell.s.get().sum())

    return call, spikes


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lib", choices=["dynax", "ngclearn"], required=True)
    parser.add_argument("--mode", choices=["jit", "run", "scan"], default=None)
    parser.add_argument("--resources", choices=["synapse", "presynaptic"], default="synapse")
    parser.add_argument("--tau-unit", choices=["steps", "dt"], default="steps")
    parser.add_argument(
        "--every-step",
        action="store_true",
        help="dynax: run the full STP update on silent steps too (skip_silent_steps=False)",
    )
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--n", type=int, default=N, help="neurons (SNN-large: 16384)")
    parser.add_argument("--batch", type=int, default=1, help="dynax: vmap over this many")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args()
    start = time.perf_counter()
    if args.lib == "dynax":
        mode = "jit-every-step" if args.every_step else "jit"
        call, spikes = build_dynax(
            args.steps,
            args.resources,
            args.tau_unit,
            skip_silent_steps=not args.every_step,
            batch=args.batch,
            n=args.n,
        )
    else:
        mode = args.mode or "scan"
        if args.batch != 1:
            parser.error("--batch is for dynax (ngclearn's STPDenseSynapse runs batch 1 only)")
        if args.resources != "synapse":
            parser.error("ngclearn's STPDenseSynapse only has per-synapse resources")
        call, spikes = build_ngclearn(args.steps, mode, args.n)
    call()
    setup_s = time.perf_counter() - start
    timing = per_step(time_call(call, repeats=args.repeats, warmup=args.warmup), args.steps)
    moved = matrix_bytes(args.n, args.resources, args.lib)
    emit(
        result(
            f"snn_{args.resources}" + (f"_batch{args.batch}" if args.batch > 1 else ""),
            args.lib,
            mode,
            {
                "n": args.n,
                "dt": DT,
                "steps": args.steps,
                "drive": DRIVE,
                "resources": args.resources,
                "batch": args.batch,
                "tau_f_steps": TAU_F_STEPS,
                "tau_d_steps": TAU_D_STEPS,
                "tau_unit_of_dynax": args.tau_unit,
                "weights": "U(0, 0.5)",
            },
            timing=timing,
            bytes_per_step=moved,
            gbytes_per_s=moved / timing["median_step_s"] / 1e9,
            spikes_last_step=spikes(),
            setup_and_first_call_s=setup_s,
        )
    )


if __name__ == "__main__":
    main()
