"""Where dynax's time goes on the benchmark workloads, and what a change in dynax would buy.

Reads the optimised HLO that XLA compiles for each workload (`jit(...).lower(...).compile()
.as_text()`): what runs inside the time loop (the `while` body) and what XLA hoisted out of
it, how many passes over the big arrays a step makes. Then times, in this process and
interleaved (so the machine's load hits all alike), dynax's documented path against small
pure-JAX prototypes of the changes proposed for dynax. The prototypes compute the same
quantities (checked against dynax where stated); they are evidence, not dynax code.

    python -m benchmarks.profile_dynax [--part pcn snn pop] [--dump-dir /tmp/hlo]
"""

import argparse
import re
import statistics
import time
from pathlib import Path

from ._harness import emit, result

# ------------------------------------------------------------------------------------------
# HLO reading


def computations(hlo: str) -> dict[str, str]:
    """Name → text of every computation in an HLO module."""
    out = {}
    for block in re.split(r"\n(?=\S)", hlo):
        head = block.split("\n", 1)[0]
        match = re.match(r"(?:ENTRY )?%?([\w.\-]+)", head)
        if match and "{" in head:
            out[("ENTRY " if head.startswith("ENTRY") else "") + match.group(1)] = block
    return out


def while_bodies(hlo: str) -> list[str]:
    comps = computations(hlo)
    names = set(re.findall(r"body=%([\w.\-]+)", hlo))
    return [comps[n] for n in names if n in comps]


def summarize(body: str, big: str) -> dict:
    """What one iteration of a while body does to arrays of shape `big` (e.g. "1000,1000"):
    fusions producing them, their big operands (reads), copies, dots/ynn custom fusions."""
    ops = []
    for line in body.split("\n"):
        m = re.match(r"\s*(?:ROOT )?%([\w.\-]+) = (\S+?)(?:\{[^}]*\})? (\w[\w-]*)\(([^)]*)\)", line)
        if not m:
            continue
        name, shape, op, operands = m.groups()
        ops.append((name, shape, op, operands))
    shapes = {name: shape for name, shape, _, _ in ops}
    param_shapes = dict(re.findall(r"%(get-tuple-element[\w.\-]*) = (f32\[[\d,]*\])", body))
    shapes.update(param_shapes)
    rows = []
    for name, shape, op, operands in ops:
        if op not in ("fusion", "copy", "dot", "custom-call"):
            continue
        reads = [o.strip().lstrip("%") for o in operands.split(",") if o.strip()]
        big_reads = sum(1 for o in reads if shapes.get(o, "").startswith(f"f32[{big}]"))
        writes_big = shape.startswith(f"f32[{big}]")
        if big_reads or writes_big:
            rows.append({"op": op, "name": name, "big_reads": big_reads, "big_write": writes_big})
    return {
        "kernels_touching_big": len(rows),
        "big_reads": sum(r["big_reads"] for r in rows),
        "big_writes": sum(r["big_write"] for r in rows),
        "copies_of_big": sum(1 for r in rows if r["op"] == "copy"),
        "kernels": rows,
    }


def dot_shapes(hlo: str) -> dict[str, list[str]]:
    """Shapes of the operands of every dot, split by where it runs (in a while body or not)."""
    comps = computations(hlo)
    bodies = set(re.findall(r"body=%([\w.\-]+)", hlo))
    fused = {}
    for name, text in comps.items():
        m = re.search(r"\((.*?)\) -> ", text.split("\n", 1)[0])
        if " dot(" in text and m:
            fused[name] = re.findall(r"f32\[([\d,]*)\]", m.group(1))
    where: dict[str, list[str]] = {"in_time_loop": [], "outside": []}
    for name, text in comps.items():
        for callee in re.findall(r"calls=%([\w.\-]+)", text):
            if callee in fused:
                key = "in_time_loop" if name in bodies else "outside"
                where[key].append(" x ".join(fused[callee][:2]))
    return where


def median_time(fn, repeats: int) -> float:
    fn()
    fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def interleaved(cases: dict, repeats: int, rounds: int = 3) -> dict[str, float]:
    """Median time of each case, measured in `rounds` interleaved rounds."""
    for fn in cases.values():
        fn()
    samples: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(rounds):
        for name, fn in cases.items():
            samples[name].append(median_time(fn, repeats))
    return {k: statistics.median(v) for k, v in samples.items()}


# ------------------------------------------------------------------------------------------
# PCN


def profile_pcn(repeats: int, dump: Path | None) -> dict:
    import jax
    import jax.numpy as jnp

    from dynax.models.predictive_coding import PredictiveCodingInputs

    from .pcn import ETA, build_dynax

    out: dict = {}
    calls = {}
    for broadcast in (True, False):
        call, fn, args = build_dynax(20, 128, False, broadcast)
        hlo = fn.lower(*args).compile().as_text()
        name = "broadcast" if broadcast else "held"
        if dump:
            (dump / f"pcn_infer_{name}.hlo.txt").write_text(hlo)
        out[f"infer_{name}"] = {"dots": dot_shapes(hlo)}
        calls[
            "x, y broadcast over T" if broadcast else "x, y held (constant_inputs, documented)"
        ] = call
    # the floor: the same inference (x clamped, so μ_1 hoisted) written directly, 4 dots
    _, _, (model, _, x, y) = build_dynax(20, 128, False)
    w2, w3 = model.forward[1].weights, model.forward[2].weights
    e2, e3 = model.feedback[0].weights, model.feedback[1].weights
    mu1 = x @ model.forward[0].weights

    def minimal_step(carry, _):
        z1, z2 = carry
        f1, f2 = jax.nn.relu(z1), jax.nn.relu(z2)
        d1, d2, d3 = z1 - mu1, z2 - f1 @ w2, y - f2 @ w3
        z1 = z1 + 0.1 * ((z1 > 0) * (d2 @ e2) - d1)
        z2 = z2 + 0.1 * ((z2 > 0) * (d3 @ e3) - d2)
        return (z1, z2), None

    minimal = jax.jit(lambda c: jax.lax.scan(minimal_step, c, None, length=20)[0])
    one_dot = jax.jit(
        lambda a: jax.lax.scan(lambda a, _: (a @ w2 * 0.01 + a, None), a, None, length=20)[0]
    )
    z0 = (jnp.zeros((128, 256)), jnp.zeros((128, 256)))
    calls["minimal hand-written step (4 dots, floor)"] = lambda: jax.block_until_ready(minimal(z0))
    calls["one 128x256 @ 256x256 dot alone"] = lambda: jax.block_until_ready(one_dot(z0[0]))
    times = interleaved(calls, repeats)
    out["infer_ms_per_step"] = {k: v / 20 * 1e3 for k, v in times.items()}

    # Hebbian update: vmap(hebbian_gradients) + sum vs batch_hebbian_gradients (documented)
    _, fn, (model, state, x, y) = build_dynax(20, 128, False)
    final = fn(model, state, x, y)
    inputs = PredictiveCodingInputs(x=x, y=y)

    @jax.jit
    def vmapped(model, final, inputs):
        grads = jax.vmap(model.hebbian_gradients)(final, inputs)
        return jax.tree.map(lambda g: -ETA * g.sum(0), grads)

    @jax.jit
    def batched(model, final, inputs):
        grads = model.batch_hebbian_gradients(final, inputs, reduce="sum")
        return jax.tree.map(lambda g: -ETA * g, grads)

    ref = vmapped(model, final, inputs)
    new = batched(model, final, inputs)
    diff = max(
        float(jnp.max(jnp.abs(ref.forward[i].weights - new.forward[i].weights)))
        for i in range(len(model.forward))
    )
    hlo = vmapped.lower(model, final, inputs).compile().as_text()
    if dump:
        (dump / "pcn_hebbian_vmapped.hlo.txt").write_text(hlo)
    batch_outer = len(re.findall(r"f32\[128,784,256\]", hlo))
    times = interleaved(
        {
            "vmap(hebbian_gradients) + sum": lambda: jax.block_until_ready(
                vmapped(model, final, inputs)
            ),
            "batch_hebbian_gradients (documented)": lambda: jax.block_until_ready(
                batched(model, final, inputs)
            ),
        },
        repeats,
    )
    out["hebbian_update_ms"] = {k: v * 1e3 for k, v in times.items()}
    out["hebbian_batched_max_abs_difference"] = diff
    out["hebbian_vmapped_hlo_mentions_f32[128,784,256]"] = batch_outer
    return out


# ------------------------------------------------------------------------------------------
# SNN


def snn_models(n: int, presynaptic: bool):
    import jax

    from dynax.initializers import uniform
    from dynax.models.recurrent_spiking import RecurrentSpikingNetwork
    from dynax.neurons.spiking.adex_cell import AdExCell
    from dynax.synapses.stp_dense_synapse import STPDenseSynapse

    from .snn import DT, TAU_D_STEPS, TAU_F_STEPS

    rec = STPDenseSynapse(
        (n, n),
        weight_init=uniform(0.0, 0.5),
        tau_f=TAU_F_STEPS * DT,
        tau_d=TAU_D_STEPS * DT,
        presynaptic=presynaptic,
        key=jax.random.key(1),
    )
    return RecurrentSpikingNetwork(n, cell=AdExCell(n, integration_type="euler"), recurrent=rec)


def lazy_stp_run(model, steps: int, drive: float, dt: float, lazy: bool = True, reduce=False):
    """Prototypes of the proposed STP steps (the network around it as dynax's).

    `lazy`: a silent step (no presynaptic spike at all) only counts itself; the decays it
    owes are applied in closed form, `u·(1−λ_f)^k` and `1 − (1−x)·(1−λ_d)^k`, at the next
    step with a spike (`lax.cond`), and its output is the bias alone. The same recurrences
    as dynax's per-step update (up to rounding).
    `reduce` (per synapse): the output as `Σ_i s_i W_ij e_ij` in one reduction fusion instead
    of materialising `W ⊙ e` for a matrix-vector product."""
    import jax
    import jax.numpy as jnp

    syn = model.recurrent
    cell = model.cell
    lam_f = dt / syn.tau_f
    lam_d = dt / syn.tau_d
    w = syn.weights
    big = not syn.presynaptic

    def syn_step(u, x, e, k, s):
        def spike(u, x, e, k):
            u = u * (1.0 - lam_f) ** k
            x = 1.0 - (1.0 - x) * (1.0 - lam_d) ** k
            gate = s[:, None] if big else s
            u1 = u - lam_f * u + syn.resources * (1.0 - u) * gate
            e1 = u1 * x * gate + e * (1.0 - gate)
            x1 = x + lam_d * (1.0 - x) - u1 * x * gate
            if not big:
                out = (s * e1) @ w
            elif reduce:
                out = jnp.sum(gate * w * e1, axis=0)
            else:
                out = s @ (w * e1)
            return u1, x1, e1, jnp.zeros_like(k), out

        def silent(u, x, e, k):
            return u, x, e, k + 1, jnp.zeros((syn.n_out,), w.dtype)

        if not lazy:
            return spike(u, x, e, k)
        return jax.lax.cond(jnp.any(s != 0), spike, silent, u, x, e, k)

    def body(carry, _):
        cstate, (u, x, e, k), current = carry
        new_cell = cell.step(cstate, cell.Inputs(j=current + drive), None, dt)
        u, x, e, k, out = syn_step(u, x, e, k, cstate.s)
        return (new_cell, (u, x, e, k), out), None

    @jax.jit
    def run(carry):
        return jax.lax.scan(body, carry, None, length=steps)[0]

    state = model.init_state()
    r = state.recurrent
    carry = (state.cell, (r.u, r.x, r.efficacy, jnp.zeros((), w.dtype)), r.outputs)
    return run, carry


def profile_snn(repeats: int, dump: Path | None) -> dict:
    import jax
    import jax.numpy as jnp

    from dynax.models.recurrent_spiking import RecurrentSpikingInputs
    from dynax.simulate import simulate

    from .snn import DRIVE, DT

    n, steps = 1000, 500
    out: dict = {}
    for presynaptic in (False, True):
        model = snn_models(n, presynaptic)
        inputs = RecurrentSpikingInputs(current=jnp.full((steps, n), DRIVE, jnp.float32))

        @jax.jit
        def run(model, state, inputs):
            return simulate(model, state, inputs, dt=DT, record=lambda s: None)[0]

        state = model.init_state()
        hlo = run.lower(model, state, inputs).compile().as_text()
        label = "presynaptic" if presynaptic else "synapse"
        if dump:
            (dump / f"snn_{label}.hlo.txt").write_text(hlo)
        bodies = [summarize(b, f"{n},{n}") for b in while_bodies(hlo)]
        body = max(bodies, key=lambda b: b["kernels_touching_big"])
        variants = {"lazy silent steps": dict(lazy=True)}
        if not presynaptic:
            variants["output as one reduction"] = dict(lazy=False, reduce=True)
            variants["lazy + reduction"] = dict(lazy=True, reduce=True)
        holder = {"dynax": state}
        cases = {}

        def dynax_call(model=model, inputs=inputs, run=run, holder=holder):
            holder["dynax"] = run(model, holder["dynax"], inputs)
            jax.block_until_ready(holder["dynax"])

        cases["dynax"] = dynax_call
        for name, options in variants.items():
            proto_run, carry = lazy_stp_run(model, steps, DRIVE, DT, **options)
            holder[name] = carry

            def proto_call(proto_run=proto_run, holder=holder, name=name):
                holder[name] = proto_run(holder[name])
                jax.block_until_ready(holder[name])

            cases[name] = proto_call
        _, carry = lazy_stp_run(model, steps, DRIVE, DT)

        # same trajectory over the first 100 steps? (the closed-form decays round
        # differently, and the network's dynamics amplify last-ulp differences later)
        short = RecurrentSpikingInputs(current=inputs.current[:100])
        ref = run(model, state, short)
        proto, _ = lazy_stp_run(model, 100, DRIVE, DT)
        proto = proto(carry)
        spikes_equal = bool(jnp.array_equal(ref.cell.s, proto[0].s))
        v_difference = float(jnp.max(jnp.abs(ref.cell.v - proto[0].v)))
        silent = int(
            (
                simulate(
                    model,
                    state,
                    inputs,
                    dt=DT,
                    record=lambda s: s.cell.s.sum() == 0,
                )[1]
            ).sum()
        )
        times = interleaved(cases, repeats)
        out[label] = {
            "while_body": {k: v for k, v in body.items() if k != "kernels"},
            "while_body_kernels": body["kernels"],
            "us_per_step": {k: v / steps * 1e6 for k, v in times.items()},
            "silent_steps_fraction": silent / steps,
            "prototype_same_spikes_after_100_steps": spikes_equal,
            "prototype_max_abs_v_difference_after_100_steps": v_difference,
        }
    return out


# ------------------------------------------------------------------------------------------
# POP


def profile_pop(repeats: int, dump: Path | None) -> dict:
    import equinox as eqx
    import jax
    import jax.numpy as jnp

    from dynax.neurons.spiking.adex_cell import AdExCell
    from dynax.simulate import simulate

    from .pop import DRIVE, DT

    n, steps = 1_000_000, 100
    cell = AdExCell(n, integration_type="euler")

    class VectorDrive(eqx.Module):
        cell: AdExCell
        current: jax.Array

        def step(self, state, inputs, key, dt):
            return self.cell.step(state, AdExCell.Inputs(j=self.current), key, dt)

    class ScalarDrive(eqx.Module):
        cell: AdExCell
        current: jax.Array

        def step(self, state, inputs, key, dt):
            j = jnp.broadcast_to(self.current, (self.cell.n_units,))
            return self.cell.step(state, AdExCell.Inputs(j=j), key, dt)

    def minimal(carry, j):
        """The AdEx Euler step written directly (v, w, s, tols), same guard and reset."""
        v, w, _, tols, t = carry
        vc = jnp.minimum(v, cell.v_cap)
        dv = -(vc - cell.v_rest) + cell.v_sharpness * jnp.exp(
            (vc - cell.intrinsic_mem_thr) / cell.v_sharpness
        )
        dv = (dv - cell.resist_m * w + cell.resist_m * j) * (1.0 / cell.tau_m)
        dw = (-w + (vc - cell.v_rest) * cell.a) * (1.0 / cell.tau_w)
        v, w = v + DT * dv, w + DT * dw
        s = (v > cell.thr).astype(v.dtype)
        t = t + DT
        return (
            jnp.where(s > 0, cell.v_reset, v),
            w + cell.b * s,
            s,
            jnp.where(s > 0, t, tols),
            t,
        )

    @jax.jit
    def run_model(model, state):
        return simulate(model, state, num_steps=steps, dt=DT, record=lambda s: None)[0]

    @jax.jit
    def run_minimal(carry, j):
        return jax.lax.scan(lambda c, _: (minimal(c, j), None), carry, None, length=steps)[0]

    vector = VectorDrive(cell, jnp.full((n,), DRIVE))
    scalar = ScalarDrive(cell, jnp.asarray(DRIVE))
    state = cell.init_state()
    j = jnp.full((n,), DRIVE)
    out: dict = {}
    hlo = run_model.lower(vector, state).compile().as_text()
    if dump:
        (dump / "pop.hlo.txt").write_text(hlo)
    body = max(
        (summarize(b, str(n)) for b in while_bodies(hlo)), key=lambda b: b["kernels_touching_big"]
    )
    out["while_body"] = {k: v for k, v in body.items() if k != "kernels"}
    out["while_body_kernels"] = body["kernels"]
    carry0 = (state.v, state.w, state.s, state.tols, state.t)
    times = interleaved(
        {
            "dynax AdExCell, vector input": lambda: jax.block_until_ready(run_model(vector, state)),
            "dynax AdExCell, scalar input broadcast in step": lambda: jax.block_until_ready(
                run_model(scalar, state)
            ),
            "same step written directly in jnp, vector input": lambda: jax.block_until_ready(
                run_minimal(carry0, j)
            ),
        },
        repeats,
    )
    out["ms_per_step"] = {k: v / steps * 1e3 for k, v in times.items()}
    out["gbytes_per_s_at_32_bytes_per_cell"] = {
        k: 32 * n / (v / steps) / 1e9 for k, v in times.items()
    }
    ref = run_model(vector, state)
    mine = run_minimal(carry0, j)
    out["direct_step_matches_dynax"] = bool(jnp.allclose(ref.v, mine[0])) and bool(
        jnp.array_equal(ref.s, mine[2])
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--part", nargs="+", choices=["pcn", "snn", "pop"], default=None)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--dump-dir", type=Path, default=None)
    args = parser.parse_args()
    parts = args.part or ["pcn", "snn", "pop"]
    if args.dump_dir:
        args.dump_dir.mkdir(parents=True, exist_ok=True)
    found = {}
    for part in parts:
        fn = {"pcn": profile_pcn, "snn": profile_snn, "pop": profile_pop}[part]
        found[part] = fn(args.repeats, args.dump_dir)
    emit(result("profile", "dynax", "analysis", {"parts": parts}, profile=found))


if __name__ == "__main__":
    main()
