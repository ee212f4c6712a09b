"""BrainPy (2.9, `brainpy.dyn`) side of the E/I network benchmark (COBA / CUBA, Brette et al.
2007 benchmarks 1 and 2), on JAX's CPU backend.

Runs in its own virtual environment (see `benchmarks/EI_PEERS.md`), from the repository root:

    /tmp/bp-venv/bin/python -m benchmarks.ei_brainpy --model coba --n 4000 --duration 1.0 \
        --mode jit --repeats 5 --seed 0

The model, its parameters and their sources are in `benchmarks/_ei_common.py` (the same
parameter set as `benchmarks.ei_brian2`). The network is the one of BrainPy's own scaling
script (`PKU-NIP-Lab/brainpy-paper-reproducibility` `figure8A/COBA_brainpy_jax.py`): one
`bp.dyn.LifRef` group of N cells, and two `bp.dyn.HalfProjAlignPostMg` (= `ProjAlignPostMg1`)
projections, E → all and I → all, each an event-driven sparse `comm`, a `bp.dyn.Expon`
synapse (τ_e, τ_i) aligned to the postsynaptic cells, and a `bp.dyn.COBA(E)` or `bp.dyn.CUBA`
output; the projections read the spikes of the previous step (no delay), as in Brian2.
COBA integrates with `method='euler'` (cells and conductances, as Brian2's 'euler'), CUBA with
`'exp_auto'` (exact for these linear equations, as Brian2's 'exact'). One difference of
update order remains: BrainPy adds a step's synaptic input to g before decaying g over the
step, Brian2 after, so a spike's first effect is w·exp(−dt/τ) here (0.98 w_e, 0.99 w_i).

Modes:

- `jit` (default): `comm = bp.dnn.EventCSRLinear` (CSR connectivity stored, event-driven
  kernels of brainevent, on CPU numba by default, `--backend jax_raw` for its plain-XLA
  kernels), connectivity `bp.conn.FixedProb(80/N,
  seed)` (`--conn prob`: BrainPy's generator, a fixed out-degree round(p·N) per presynaptic
  cell; its numba sampler costs O(N_pre·N_post), impractical at N = 400 000) or the shared
  fixed-in-degree arrays of `_ei_common.fixed_indegree` (`--conn indegree`, `bp.conn.CSRConn`).
- `jitconn`: `comm = bp.dnn.EventJitFPHomoLinear(prob=80/N, seed)` (BrainPy's just-in-time
  connectivity of its large-scale scaling study: nothing stored, the random connections are
  regenerated from the seed on every step; `--conn prob` only).

The time loop is `bm.for_loop` over the 10 000 steps (`net.step_run(i)`, one `lax.scan`),
inside `bm.jit`, compiled once and called once per run. build_s = constructing the network
(including the connectivity); compile_s = trace_lower_s (tracing the step and the loop and
lowering, `simulate.lower()`) + xla_compile_s (`.compile()`), ahead of time; first_run_s =
the first call after that (JAX may compile again there: its call path does not always reuse
the ahead-of-time executable, which then shows as first_run_s − median). Each run starts from the
initial state (every state variable restored outside the timed call) and is timed to
`jax.block_until_ready`. Rates are those of the first run. bytes_per_synapse is the CSR
arrays (int32 column indices, the row pointer; the weight is one homogeneous scalar) over
the synapse count, 0 for `jitconn`.
"""

import argparse
import time
from typing import Any

import numpy as np

from . import _ei_common as ei
from ._harness import emit, load_average, result


def build(model: str, n: int, seed: int, mode: str, conn: str, arrays) -> Any:
    """The network (a `bp.DynSysGroup` whose `update` returns the E and I spike counts)."""
    import brainpy as bp
    import brainpy.math as bm

    p = ei.PARAMS[model]
    n_e, n_i = ei.sizes(n)
    prob = ei.connection_probability(n)
    method = "euler" if p["method"] == "euler" else "exp_auto"

    def comm(key: str, n_pre: int, weight: float, k: int):
        if mode == "jitconn":
            return bp.dnn.EventJitFPHomoLinear(n_pre, n, prob=prob, weight=weight, seed=seed + k)
        if conn == "prob":
            connector = bp.conn.FixedProb(prob, pre=n_pre, post=n, seed=seed + k)
        else:
            pre, post = arrays[key]
            connector = bp.conn.CSRConn(post, ei.csr_indptr(pre, n_pre), pre=n_pre, post=n)
        return bp.dnn.EventCSRLinear(connector, weight)

    def output(reversal: str):
        if model == "coba":
            return bp.dyn.COBA.desc(E=p[reversal])
        return bp.dyn.CUBA.desc()

    bias = p["bias_mv"]

    class EINet(bp.DynSysGroup):
        def __init__(self):
            super().__init__()
            self.N = bp.dyn.LifRef(
                n,
                V_rest=p["v_rest_mv"],
                V_th=p["v_thr_mv"],
                V_reset=p["v_reset_mv"],
                tau=p["tau_m_ms"],
                tau_ref=p["t_ref_ms"],
                method=method,
                V_initializer=bm.asarray(ei.initial_v(model, n, seed)),
            )
            self.E = bp.dyn.HalfProjAlignPostMg(
                comm=comm("e", n_e, p["w_e"], 1),
                syn=bp.dyn.Expon.desc(n, tau=p["tau_e_ms"], method=method),
                out=output("e_exc_mv"),
                post=self.N,
            )
            self.I = bp.dyn.HalfProjAlignPostMg(
                comm=comm("i", n_i, p["w_i"], 2),
                syn=bp.dyn.Expon.desc(n, tau=p["tau_i_ms"], method=method),
                out=output("e_inh_mv"),
                post=self.N,
            )

        def update(self):
            spikes = self.N.spike.value
            self.E(spikes[:n_e])
            self.I(spikes[n_e:])
            s = self.N(bias)
            return bm.stack([bm.sum(s[:n_e]), bm.sum(s[n_e:])]).value

    return EINet()


def synapse_info(net, mode: str, n: int) -> tuple[dict[str, Any], float | None]:
    """({e, i, total} synapse counts, bytes per synapse)."""
    if mode == "jitconn":
        n_e, n_i = ei.sizes(n)
        prob = ei.connection_probability(n)
        expected = {"e": n_e * n * prob, "i": n_i * n * prob}
        return {**expected, "total": sum(expected.values()), "expected_only": True}, 0.0
    counts, stored = {}, 0
    for key, proj in (("e", net.E), ("i", net.I)):
        c = proj.comm
        counts[key] = int(c.indices.size)
        stored += c.indices.nbytes + c.indptr.nbytes + np.asarray(c.weight).nbytes
        if np.ndim(c.weight) == 0:
            stored -= np.asarray(c.weight).nbytes
    counts["total"] = counts["e"] + counts["i"]
    return counts, stored / counts["total"]


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("brainpy", "brainstate", "brainevent", "brainunit", "jax", "jaxlib", "numba"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "absent"
    out["numpy"] = np.__version__
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", choices=["coba", "cuba"], required=True)
    parser.add_argument("--n", type=int, default=4000)
    parser.add_argument("--duration", type=float, default=1.0, help="biological time, s")
    parser.add_argument("--mode", choices=["jit", "jitconn"], default="jit")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--conn", choices=["prob", "indegree"], default="prob")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument(
        "--backend",
        choices=["numba", "jax_raw"],
        default="numba",
        help="brainevent's CPU kernels (numba: its default; jax_raw: plain XLA)",
    )
    args = parser.parse_args()
    if args.mode == "jitconn" and args.conn != "prob":
        parser.error("--mode jitconn generates its connectivity itself: use --conn prob")
    load_start = load_average()

    import brainevent
    import brainpy as bp
    import brainpy.math as bm
    import jax

    bm.set_platform("cpu")
    brainevent.config.set_backend("cpu", args.backend)
    if args.dtype == "float64":
        bm.enable_x64()
        bm.set_float(bm.float64)
    bm.set_dt(ei.DT_MS)
    steps = ei.steps(args.duration)

    start = time.perf_counter()
    arrays = ei.fixed_indegree(args.n, args.seed) if args.conn == "indegree" else None
    connectivity_s = time.perf_counter() - start

    start = time.perf_counter()
    net = build(args.model, args.n, args.seed, args.mode, args.conn, arrays)
    states = net.vars().unique()
    jax.block_until_ready([v.value for v in states.values()])
    build_s = time.perf_counter() - start
    initial = {k: v.value for k, v in states.items()}

    indices = np.arange(steps)
    simulate = bm.jit(lambda: bm.for_loop(net.step_run, indices, progress_bar=False))

    def one_run() -> tuple[float, np.ndarray]:
        for k, v in states.items():
            v.value = initial[k]
        start = time.perf_counter()
        counts = jax.block_until_ready(simulate())
        return time.perf_counter() - start, np.asarray(counts)

    n_e, n_i = ei.sizes(args.n)

    def rates(counts: np.ndarray) -> dict[str, float]:
        e, i = counts.sum(axis=0)
        return {"e": float(e / n_e / args.duration), "i": float(i / n_i / args.duration)}

    start = time.perf_counter()
    lowered = simulate.lower()  # trace the step function and the loop, lower to StableHLO
    trace_lower_s = time.perf_counter() - start
    start = time.perf_counter()
    lowered.compile()
    xla_compile_s = time.perf_counter() - start
    first_run_s, counts = one_run()
    first_rates = rates(counts)
    for _ in range(args.warmup):
        one_run()
    samples = []
    for _ in range(args.repeats):
        seconds, counts = one_run()
        samples.append(seconds)
    timing = ei.summary(samples)
    synapses, bytes_per_synapse = synapse_info(net, args.mode, args.n)

    emit(
        result(
            args.model,
            "brainpy",
            args.mode,
            ei.params_record(args.model, args.n, args.duration, args.seed, args.conn, args.dtype),
            connectivity_s=connectivity_s,
            build_s=build_s,
            compile_s=trace_lower_s + xla_compile_s,
            trace_lower_s=trace_lower_s,
            xla_compile_s=xla_compile_s,
            first_run_s=first_run_s,
            timing=timing,
            timing_what="wall time of one jitted bm.for_loop call over all steps, to "
            "block_until_ready (state restore outside)",
            rates_hz=first_rates,
            rates_hz_last_run=rates(counts),
            synapses=synapses,
            synapses_per_cell=synapses["total"] / args.n,
            bytes_per_synapse=bytes_per_synapse,
            bytes_per_synapse_what="CSR column indices (int32) + row pointer, weight a "
            "homogeneous scalar; 0 for jitconn (connectivity regenerated every step)",
            comm="EventJitFPHomoLinear" if args.mode == "jitconn" else "EventCSRLinear",
            brainevent_cpu_backend=args.backend,
            brainpy_version=bp.__version__,
            versions=versions(),
            load_avg_start=load_start,
        )
    )


if __name__ == "__main__":
    main()
