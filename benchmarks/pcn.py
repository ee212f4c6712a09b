"""PCN workload: ngclearn's discriminative predictive-coding layout, 784-256-256-10, batch 128.

One call = one trial of `--steps` inference steps (dt = 1) from the current state, with the
input and the label clamped; with `--learn`, followed by one Hebbian update of the three
forward synapses. The same network in both libraries: ReLU hidden rate cells (τ_m = 10,
Euler, Gaussian prior with γ = 0), Gaussian error cells (Σ = 1), forward synapses with
biases and U(−0.05, 0.05) weights, separate (untied) feedback synapses.

    python -m benchmarks.pcn --lib dynax --mode jit [--learn]
    python -m benchmarks.pcn --lib ngclearn --mode run|scan [--learn]
"""

import argparse
import time

import numpy as np

from ._harness import emit, per_step, result, time_call

SIZES = (784, 256, 256, 10)
TAU_M = 10.0
ETA = 0.001
W_LOW, W_HIGH = -0.05, 0.05


def data(batch: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.random((batch, SIZES[0]), dtype=np.float32)
    y = np.eye(SIZES[-1], dtype=np.float32)[rng.integers(0, SIZES[-1], batch)]
    return x, y


def build_dynax(steps: int, batch: int, learn: bool, broadcast: bool = False):
    """`(call, fn, args)`: `call()` runs one trial of the jitted `vmap(simulate)` (and the
    update); `fn(*args)` is the jitted function.

    The documented way holds the clamped `x`, `y` fixed (`simulate(constant_inputs=...)`),
    so they are loop invariants of the scan and XLA hoists the input layer's matmul out of
    the time loop; `broadcast=True` gives them a time axis instead (`broadcast_to`), the
    way to feed inputs that change over time, to show what the hoisting saves. The update
    is `batch_hebbian_gradients(reduce="sum")`: one matmul per layer, summed over the batch
    as ngclearn's Hebbian synapse does."""
    import equinox as eqx
    import jax
    import jax.numpy as jnp

    from dynax.models.predictive_coding import PredictiveCodingInputs, PredictiveCodingNetwork
    from dynax.simulate import simulate

    model = PredictiveCodingNetwork(
        SIZES,
        act_fx="relu",
        tau_m=TAU_M,
        sigma=1.0,
        weight_init=("uniform", {"low": W_LOW, "high": W_HIGH}),
        bias=True,
        tie_feedback=False,
        integration_type="euler",
        key=jax.random.key(1),
    )

    def infer_one(model, state, x, y):
        clamped = PredictiveCodingInputs(x=x, y=y)
        if broadcast:
            over_time = jax.tree.map(lambda a: jnp.broadcast_to(a, (steps, *a.shape)), clamped)
            return simulate(model, state, over_time, dt=1.0, record=lambda s: None)[0]
        return simulate(
            model, state, constant_inputs=clamped, num_steps=steps, dt=1.0, record=lambda s: None
        )[0]

    def infer(model, state, x, y):
        return jax.vmap(infer_one, in_axes=(None, 0, 0, 0))(model, state, x, y)

    def infer_and_learn(model, state, x, y):
        final = infer(model, state, x, y)
        grads = model.batch_hebbian_gradients(final, PredictiveCodingInputs(x=x, y=y), reduce="sum")
        updates = jax.tree.map(lambda g: -ETA * g, grads)
        return final, eqx.apply_updates(model, updates)

    fn = jax.jit(infer_and_learn if learn else infer)
    xs, ys = data(batch)
    x, y = jnp.asarray(xs), jnp.asarray(ys)
    state = jax.vmap(lambda _: model.init_state())(jnp.arange(batch))
    holder = {"model": model, "state": state}

    def call():
        out = fn(holder["model"], holder["state"], x, y)
        if learn:
            holder["state"], holder["model"] = out
        else:
            holder["state"] = out
        jax.block_until_ready(out)

    return call, fn, (model, state, x, y)


def build_ngclearn(steps: int, batch: int, learn: bool, mode: str):
    import jax
    import jax.numpy as jnp
    from ngclearn import Context, MethodProcess
    from ngclearn.components import GaussianErrorCell, HebbianSynapse, RateCell, StaticSynapse
    from ngclearn.utils.distribution_generator import DistributionGenerator as DG

    B = batch
    hidden = dict(
        tau_m=TAU_M, act_fx="relu", prior=("gaussian", 0.0), integration_type="euler", batch_size=B
    )
    with Context("pcn"):
        z0 = RateCell("z0", n_units=SIZES[0], tau_m=0.0, act_fx="identity", batch_size=B)
        z1 = RateCell("z1", n_units=SIZES[1], **hidden)
        e1 = GaussianErrorCell("e1", n_units=SIZES[1], batch_size=B)
        z2 = RateCell("z2", n_units=SIZES[2], **hidden)
        e2 = GaussianErrorCell("e2", n_units=SIZES[2], batch_size=B)
        z3 = RateCell("z3", n_units=SIZES[3], tau_m=0.0, act_fx="identity", batch_size=B)
        e3 = GaussianErrorCell("e3", n_units=SIZES[3], batch_size=B)
        kw = dict(
            eta=ETA,
            weight_init=DG.uniform(W_LOW, W_HIGH),
            bias_init=DG.constant(0.0),
            w_bound=0.0,
            optim_type="sgd",
            sign_value=-1.0,
            batch_size=B,
        )
        W1 = HebbianSynapse("W1", shape=(SIZES[0], SIZES[1]), key=jax.random.PRNGKey(1), **kw)
        W2 = HebbianSynapse("W2", shape=(SIZES[1], SIZES[2]), key=jax.random.PRNGKey(2), **kw)
        W3 = HebbianSynapse("W3", shape=(SIZES[2], SIZES[3]), key=jax.random.PRNGKey(3), **kw)
        fb = dict(weight_init=DG.uniform(W_LOW, W_HIGH), batch_size=B)
        E2 = StaticSynapse("E2", shape=(SIZES[2], SIZES[1]), key=jax.random.PRNGKey(4), **fb)
        E3 = StaticSynapse("E3", shape=(SIZES[3], SIZES[2]), key=jax.random.PRNGKey(5), **fb)
        z0.zF >> W1.inputs
        W1.outputs >> e1.mu
        z1.z >> e1.target
        z1.zF >> W2.inputs
        W2.outputs >> e2.mu
        z2.z >> e2.target
        z2.zF >> W3.inputs
        W3.outputs >> e3.mu
        z3.z >> e3.target
        e2.dmu >> E2.inputs
        E2.outputs >> z1.j
        e1.dtarget >> z1.j_td
        e3.dmu >> E3.inputs
        E3.outputs >> z2.j
        e2.dtarget >> z2.j_td
        z0.zF >> W1.pre
        e1.dmu >> W1.post
        z1.zF >> W2.pre
        e2.dmu >> W2.post
        z2.zF >> W3.pre
        e3.dmu >> W3.post
        advance = (
            MethodProcess("advance")
            >> E2.advance_state
            >> E3.advance_state
            >> z0.advance_state
            >> z1.advance_state
            >> z2.advance_state
            >> z3.advance_state
            >> W1.advance_state
            >> W2.advance_state
            >> W3.advance_state
            >> e1.advance_state
            >> e2.advance_state
            >> e3.advance_state
        )
        evolve = MethodProcess("evolve") >> W1.evolve >> W2.evolve >> W3.evolve
        reset = (
            MethodProcess("reset")
            >> z0.reset
            >> z1.reset
            >> z2.reset
            >> z3.reset
            >> e1.reset
            >> e2.reset
            >> e3.reset
            >> W1.reset
            >> W2.reset
            >> W3.reset
            >> E2.reset
            >> E3.reset
        )
    reset.run()
    xs, ys = data(batch)
    z0.j.set(jnp.asarray(xs))
    z3.j.set(jnp.asarray(ys))
    rows = jnp.array(advance.pack_rows(steps, t=lambda i: float(i), dt=1.0))

    def call():
        if mode == "run":
            for t in range(steps):
                advance.run(t=float(t), dt=1.0)
            out = e1.L.get()
        else:
            out = advance.scan(rows)
        if learn:
            evolve.run(t=float(steps), dt=1.0)
            out = (out, W1.weights.get())
        jax.block_until_ready(out)

    return call


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lib", choices=["dynax", "ngclearn"], required=True)
    parser.add_argument("--mode", choices=["jit", "run", "scan"], required=True)
    parser.add_argument("--learn", action="store_true")
    parser.add_argument(
        "--broadcast",
        action="store_true",
        help="dynax: give x, y a time axis (broadcast_to) instead of holding them fixed "
        "with constant_inputs",
    )
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()
    start = time.perf_counter()
    if args.lib == "dynax":
        if args.mode != "jit":
            parser.error("dynax runs as --mode jit")
        call, _, _ = build_dynax(args.steps, args.batch, args.learn, args.broadcast)
    else:
        if args.mode == "jit":
            parser.error("ngclearn runs as --mode run or --mode scan")
        call = build_ngclearn(args.steps, args.batch, args.learn, args.mode)
    call()  # compile
    setup_s = time.perf_counter() - start
    timing = time_call(call, repeats=args.repeats, warmup=args.warmup)
    emit(
        result(
            "pcn_learn" if args.learn else "pcn_infer",
            args.lib,
            "jit-broadcast" if args.broadcast else args.mode,
            {
                "sizes": SIZES,
                "batch": args.batch,
                "steps": args.steps,
                "dt": 1.0,
                "learn": args.learn,
            },
            timing=per_step(timing, args.steps),
            setup_and_first_call_s=setup_s,
        )
    )


if __name__ == "__main__":
    main()
