"""dynax side of the E/I network benchmark (COBA / CUBA, Brette et al. 2007 benchmarks 1 and
2): `dynax.EINetwork.coba` / `.cuba`, the parameter set of `benchmarks/_ei_common.py`.

    .venv/bin/python -m benchmarks.ei_dynax --model coba --n 4000 --duration 1.0 \
        --mode sparse --repeats 5 --seed 0

Modes: `sparse` (`fixed_probability(80/N)` stored as CSR, event-driven) and `procedural`
(`ProceduralConnectivity`: a fixed out-degree round(80/N·n_post) regenerated from the seed
inside the step, as BrainPy's `jitconn`). The loop is `dynax.simulate` (one `lax.scan`)
under `eqx.filter_jit`, compiled ahead of time (compile_s) and called `repeats` times from
the same initial state, each timed to `jax.block_until_ready`. build_s = drawing the
connectivity and constructing the network.
"""

import argparse
import time

import numpy as np

from . import _ei_common as ei
from ._harness import emit, load_average, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", choices=["coba", "cuba"], required=True)
    parser.add_argument("--n", type=int, default=4000)
    parser.add_argument("--duration", type=float, default=1.0, help="biological time, s")
    parser.add_argument("--mode", choices=["sparse", "procedural"], default="sparse")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    load_start = load_average()

    import equinox as eqx
    import jax
    import jax.numpy as jnp

    import dynax

    steps = ei.steps(args.duration)
    connection = "fixed_probability" if args.mode == "sparse" else "procedural"
    start = time.perf_counter()
    net = getattr(dynax.EINetwork, args.model)(
        jax.random.key(args.seed), args.n, connection=connection
    )
    jax.block_until_ready(net)
    build_s = time.perf_counter() - start
    state = net.init_state(key=jax.random.key(args.seed + 1))
    inputs = dynax.EINetwork.Inputs()

    @eqx.filter_jit
    def run(net, state):
        def body(state, _):
            state = net.step(state, inputs, None, ei.DT_MS)
            s = state.cell.s
            return state, jnp.stack([jnp.sum(s[: net.n_e]), jnp.sum(s[net.n_e :])])

        return jax.lax.scan(body, state, None, length=steps)[1]

    start = time.perf_counter()
    compiled = run.lower(net, state).compile()
    compile_s = time.perf_counter() - start
    start = time.perf_counter()
    counts = np.asarray(jax.block_until_ready(compiled(net, state)))
    first_run_s = time.perf_counter() - start
    samples = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        jax.block_until_ready(compiled(net, state))
        samples.append(time.perf_counter() - start)
    n_e, n_i = ei.sizes(args.n)
    e, i = counts.sum(axis=0)
    synapses = {
        "e": net.excitatory.connectivity.num_synapses,
        "i": net.inhibitory.connectivity.num_synapses,
    }
    synapses["total"] = synapses["e"] + synapses["i"]
    stored = sum(
        syn.connectivity.bytes_per_synapse * syn.connectivity.num_synapses
        for syn in (net.excitatory, net.inhibitory)
    )
    emit(
        result(
            args.model,
            "dynax",
            args.mode,
            ei.params_record(args.model, args.n, args.duration, args.seed, "prob", "float32"),
            build_s=build_s,
            compile_s=compile_s,
            first_run_s=first_run_s,
            timing=ei.summary(samples),
            timing_what="wall time of one compiled scan over all steps, to block_until_ready",
            rates_hz={"e": float(e / n_e / args.duration), "i": float(i / n_i / args.duration)},
            synapses=synapses,
            synapses_per_cell=synapses["total"] / args.n,
            bytes_per_synapse=stored / synapses["total"],
            bytes_per_synapse_what="CSR indices (uint16 below 65 536 cells, else int32) + row "
            "pointers, the weight one homogeneous scalar; ~0 for procedural",
            dynax_version=dynax.__version__,
            jax_version=jax.__version__,
            load_avg_start=load_start,
        )
    )


if __name__ == "__main__":
    main()
