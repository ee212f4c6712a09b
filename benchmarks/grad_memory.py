"""Reverse-mode memory through long runs, with and without `simulate(checkpoint_every=...)`.

Models (`--model`):

- `pcn` (default): the PCN workload's network (784-256-256-10, ReLU, untied feedback), one
  sample, inference run for T steps with the input and label clamped; the loss is the mean
  energy over the run, differentiated w.r.t. every weight and parameter (`eqx.filter_grad`):
  end-to-end training through `simulate`.
- `snn`: a recurrent network of `--n` AdEx cells with a per-presynaptic STP synapse under a
  constant drive of 25; loss: the mean membrane potential over the run. Its gradient through
  the spike resets grows exponentially with T (≈ ×10 per 100 steps here), so at T = 10⁴ it
  overflows float32; the memory figures are still those of the compiled gradient.

For each T the compiled gradient's scratch memory is read from XLA without running it,
`jax.jit(grad).lower(...).compile().memory_analysis().temp_size_in_bytes`: O(T) stored
residuals without checkpointing, O(T/k + k) with segments of k = √T steps under
`jax.checkpoint`. The gradient at the largest T is also run and timed both ways, and the
two gradients are compared.

    python -m benchmarks.grad_memory [--model pcn|snn] [--steps 400 1600 2500 6400 10000]
"""

import argparse
import math
import time

from ._harness import emit, result, time_call

DT = 0.5
DRIVE = 25.0


def build_snn(n: int):
    import equinox as eqx
    import jax
    import jax.numpy as jnp

    from dynax.initializers import uniform
    from dynax.models.recurrent_spiking import RecurrentSpikingInputs, RecurrentSpikingNetwork
    from dynax.simulate import simulate
    from dynax.synapses.stp_dense_synapse import STPDenseSynapse

    recurrent = STPDenseSynapse(
        (n, n),
        weight_init=uniform(0.0, 0.5 * 1000 / n),
        tau_f=375.0,
        tau_d=25.0,
        presynaptic=True,
        key=jax.random.key(1),
    )
    model = RecurrentSpikingNetwork(n, recurrent=recurrent)

    def make_grad(steps: int, checkpoint_every: int | None):
        def loss(model, state):
            inputs = RecurrentSpikingInputs(current=jnp.full((steps, n), DRIVE, jnp.float32))
            _, v_mean = simulate(
                model,
                state,
                inputs,
                dt=DT,
                record=lambda s: s.cell.v.mean(),
                checkpoint_every=checkpoint_every,
            )
            return v_mean.mean()

        grad = eqx.filter_grad(loss)
        return jax.jit(lambda model, state: grad(model, state))

    return model, model.init_state(), make_grad


def build_pcn():
    import equinox as eqx
    import jax
    import jax.numpy as jnp

    from dynax.models.predictive_coding import PredictiveCodingInputs, PredictiveCodingNetwork
    from dynax.simulate import simulate

    from .pcn import SIZES, TAU_M, W_HIGH, W_LOW, data

    model = PredictiveCodingNetwork(
        SIZES,
        act_fx="relu",
        tau_m=TAU_M,
        weight_init=("uniform", {"low": W_LOW, "high": W_HIGH}),
        tie_feedback=False,
        key=jax.random.key(1),
    )
    xs, ys = data(1)
    x, y = jnp.asarray(xs[0]), jnp.asarray(ys[0])

    def make_grad(steps: int, checkpoint_every: int | None):
        def loss(model, state):
            _, energy = simulate(
                model,
                state,
                constant_inputs=PredictiveCodingInputs(x=x, y=y),
                num_steps=steps,
                dt=1.0,
                record=model.energy,
                checkpoint_every=checkpoint_every,
            )
            return energy.mean()

        grad = eqx.filter_grad(loss)
        return jax.jit(lambda model, state: grad(model, state))

    return model, model.feedforward_state(x), make_grad


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", choices=["pcn", "snn"], default="pcn")
    parser.add_argument("--n", type=int, default=256, help="cells of the snn model")
    parser.add_argument("--steps", type=int, nargs="+", default=[400, 1600, 2500, 6400, 10000])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    import jax

    model, state, make_grad = build_pcn() if args.model == "pcn" else build_snn(args.n)
    rows = []
    for steps in args.steps:
        k = math.isqrt(steps)
        for checkpoint_every in (None, k):
            start = time.perf_counter()
            compiled = make_grad(steps, checkpoint_every).lower(model, state).compile()
            compile_s = time.perf_counter() - start
            mem = compiled.memory_analysis()
            rows.append(
                {
                    "steps": steps,
                    "checkpoint_every": checkpoint_every,
                    "temp_bytes": int(mem.temp_size_in_bytes),
                    "argument_bytes": int(mem.argument_size_in_bytes),
                    "output_bytes": int(mem.output_size_in_bytes),
                    "compile_s": compile_s,
                }
            )
    # run the largest both ways
    steps = max(args.steps)
    runs = {}
    results = []
    for checkpoint_every in (None, math.isqrt(steps)):
        grad = make_grad(steps, checkpoint_every)
        grads = grad(model, state)
        results.append(grads)
        finite = bool(all(bool(jax.numpy.isfinite(g).all()) for g in jax.tree.leaves(grads)))
        timing = time_call(
            lambda grad=grad: jax.block_until_ready(grad(model, state)),
            repeats=args.repeats,
            warmup=1,
        )
        runs["checkpointed" if checkpoint_every else "plain"] = {
            "steps": steps,
            "checkpoint_every": checkpoint_every,
            "timing": timing,
            "grads_finite": finite,
        }
    difference = max(
        float(jax.numpy.max(jax.numpy.abs(a - b)) / (jax.numpy.max(jax.numpy.abs(a)) + 1e-30))
        for a, b in zip(jax.tree.leaves(results[0]), jax.tree.leaves(results[1]), strict=True)
        if a.size
    )
    plain = [r for r in rows if r["checkpoint_every"] is None]
    ckpt = [r for r in rows if r["checkpoint_every"] is not None]

    # growth exponents between the smallest and largest T (1 = linear, 0.5 = √T)
    def exponent(series):
        a, b = series[0], series[-1]
        return math.log(b["temp_bytes"] / a["temp_bytes"]) / math.log(b["steps"] / a["steps"])

    emit(
        result(
            "grad_memory",
            "dynax",
            "jit",
            {
                "model": args.model,
                "description": (
                    "PredictiveCodingNetwork 784-256-256-10, one sample, loss = mean energy"
                    if args.model == "pcn"
                    else f"RecurrentSpikingNetwork({args.n} AdEx + STP presynaptic), dt {DT}"
                ),
            },
            memory=rows,
            growth_exponent_plain=exponent(plain),
            growth_exponent_checkpointed=exponent(ckpt),
            sublinear=exponent(ckpt) < 0.75,
            runs=runs,
            max_relative_difference_plain_vs_checkpointed=difference,
        )
    )


if __name__ == "__main__":
    main()
