"""Brian2 side of the E/I network benchmark (COBA / CUBA, Brette et al. 2007 benchmarks 1, 2).

Runs in its own virtual environment (see `benchmarks/EI_PEERS.md`), from the repository root:

    /tmp/brian2-venv/bin/python -m benchmarks.ei_brian2 --model coba --n 4000 --duration 1.0 \
        --mode runtime --repeats 5 --seed 0
    /tmp/brian2-venv/bin/python -m benchmarks.ei_brian2 --model cuba --mode standalone

The model, its parameters and their sources are in `benchmarks/_ei_common.py` (one parameter set
for every library): a `NeuronGroup` of N LIF cells, two `Synapses` (E → all with
`ge_post += w_e`, I → all with `gi_post += w_i`, no delay), p = 80/N (`--conn prob`, Brian2's
`connect(p=...)`, as in `brian2/tests/features/speed.py`) or exactly 64 E + 16 I inputs per
cell (`--conn indegree`, the arrays of `_ei_common.fixed_indegree`, `connect(i=..., j=...)`).
COBA integrates with `method='euler'` (as the BrainPy/Brian2 scaling script), CUBA with
`method='exact'` (as `examples/CUBA.py`). Spikes are counted with `SpikeMonitor(record=False)`.
The floating type is `--dtype` (default float32, as JAX; Brian2's own default is float64).

Modes:

- `runtime`: Brian2's runtime device with Cython code generation (`prefs.codegen.target =
  'cython'`). build_s = constructing the groups and synapses (`connect` runs generated Cython
  code); compile_s = `net.run(0 * ms)` (code generation and Cython compilation, or loading
  them from Brian2's on-disk cache, `--cold-cache` uses an empty one); first_run_s = the
  first `net.run(duration)`. Each timed run starts from `net.restore()` of the initial state.
- `standalone`: `set_device('cpp_standalone', build_on_run=False)`. build_s = describing the
  network in Python; compile_s = `device.build(compile=True, run=False)` (C++ code generation
  and `make` with gcc); each run is one `device.run()` of the compiled binary, i.e. a fresh
  process that also creates the synapses (`--conn prob`) or loads them (`indegree`), runs and
  writes its results. Single-threaded unless `--threads` (OpenMP).

Timings: `timing` is the simulation's own time as Brian2 reports it (`device._last_run_time`:
the time-step loop of `Network.run` in runtime mode, the loop of the binary in standalone
mode); `timing_wall` is the wall time of the whole call (`net.run(duration)`, with its
per-run code-object set-up, or `device.run()`, with process start, synapse creation and I/O).
Both are the median of `--repeats` runs after `--warmup` runs, all in this one process.
Rates are those of the first run (every run starts from the same state, so they repeat).
bytes_per_synapse counts the per-synapse arrays of the `Synapses` objects (pre and post
indices, int32, and the per-synapse `delay` of the pathway, float) plus 4 bytes of the spike
queue's per-source synapse lists (`vector<vector<int32>>`).
"""

import argparse
import os
import shutil
import subprocess
import tempfile
import time
import warnings
from typing import Any

import numpy as np

from . import _ei_common as ei
from ._harness import emit, load_average

QUEUE_BYTES_PER_SYNAPSE = 4


def equations(model: str) -> str:
    if model == "coba":
        return """
        dv/dt = (ge*(E_e - v) + gi*(E_i - v) - (v - E_L) + I_b) / tau_m : volt (unless refractory)
        dge/dt = -ge / tau_e : 1
        dgi/dt = -gi / tau_i : 1
        """
    return """
    dv/dt = (ge + gi - (v - E_L)) / tau_m : volt (unless refractory)
    dge/dt = -ge / tau_e : volt
    dgi/dt = -gi / tau_i : volt
    """


def namespace(model: str) -> dict[str, Any]:
    from brian2 import ms, mV

    p = ei.PARAMS[model]
    w_unit = 1.0 if model == "coba" else mV
    ns = {
        "tau_m": p["tau_m_ms"] * ms,
        "tau_e": p["tau_e_ms"] * ms,
        "tau_i": p["tau_i_ms"] * ms,
        "E_L": p["v_rest_mv"] * mV,
        "v_thr": p["v_thr_mv"] * mV,
        "v_reset": p["v_reset_mv"] * mV,
        "w_e": p["w_e"] * w_unit,
        "w_i": p["w_i"] * w_unit,
    }
    if model == "coba":
        ns.update(E_e=p["e_exc_mv"] * mV, E_i=p["e_inh_mv"] * mV, I_b=p["bias_mv"] * mV)
    return ns


def build(model: str, n: int, seed: int, conn: str, arrays):
    """The network: (net, neurons, [exc_synapses, inh_synapses], spike monitor)."""
    import brian2 as b2

    p = ei.PARAMS[model]
    n_e, _ = ei.sizes(n)
    ns = namespace(model)
    neurons = b2.NeuronGroup(
        n,
        equations(model),
        threshold="v > v_thr",
        reset="v = v_reset",
        refractory=p["t_ref_ms"] * b2.ms,
        method=p["method"],
        namespace=ns,
        name="cells",
    )
    neurons.v = ei.initial_v(model, n, seed) * b2.mV
    exc = b2.Synapses(neurons[:n_e], neurons, on_pre="ge_post += w_e", namespace=ns, name="exc")
    inh = b2.Synapses(neurons[n_e:], neurons, on_pre="gi_post += w_i", namespace=ns, name="inh")
    for syn, key in ((exc, "e"), (inh, "i")):
        if conn == "prob":
            syn.connect(p=ei.connection_probability(n))
        else:
            pre, post = arrays[key]
            syn.connect(i=pre, j=post)
    monitor = b2.SpikeMonitor(neurons, record=False, name="counts")
    net = b2.Network(neurons, exc, inh, monitor)
    return net, neurons, [exc, inh], monitor


def synapse_bytes(syn) -> int:
    """Bytes per synapse of the per-synapse arrays of a `Synapses` object and its pathway."""
    from brian2.core.variables import ArrayVariable

    seen: dict[str, int] = {}
    for variables in (syn.variables, syn.pre.variables):
        for name, var in variables.items():
            if (
                isinstance(var, ArrayVariable)
                and not var.scalar
                and var.owner is not None
                and var.owner.name == syn.name
                and variables.indices[name] == "_idx"
            ):
                seen[var.name] = np.dtype(var.dtype).itemsize
    return sum(seen.values()) + QUEUE_BYTES_PER_SYNAPSE


def rates(monitor, n: int, duration_s: float) -> dict[str, float]:
    counts = np.asarray(monitor.count[:])
    n_e, _ = ei.sizes(n)
    return {
        "e": float(counts[:n_e].sum() / n_e / duration_s),
        "i": float(counts[n_e:].sum() / (n - n_e) / duration_s),
    }


def versions() -> dict[str, str]:
    import brian2
    import Cython
    import sympy

    out = {
        "brian2": brian2.__version__,
        "numpy": np.__version__,
        "cython": Cython.__version__,
        "sympy": sympy.__version__,
    }
    try:
        out["gcc"] = subprocess.run(
            ["gcc", "-dumpfullversion"], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        pass
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", choices=["coba", "cuba"], required=True)
    parser.add_argument("--n", type=int, default=4000)
    parser.add_argument("--duration", type=float, default=1.0, help="biological time, s")
    parser.add_argument("--mode", choices=["runtime", "standalone"], default="runtime")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--conn", choices=["prob", "indegree"], default="prob")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--threads", type=int, default=0, help="standalone OpenMP threads")
    parser.add_argument("--cold-cache", action="store_true", help="runtime: empty Cython cache")
    args = parser.parse_args()

    load_start = load_average()
    # Brian2's NaN check compares float32 state with 1e50 and warns about the cast
    warnings.filterwarnings("ignore", message="overflow encountered in cast")
    import brian2 as b2

    b2.prefs.core.default_float_dtype = getattr(np, args.dtype)
    workdir = tempfile.mkdtemp(prefix="ei_brian2_")
    try:
        run(args, b2, workdir, load_start)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run(args, b2, workdir: str, load_start: list[float]) -> None:
    project = os.path.join(workdir, "project")
    if args.mode == "runtime":
        b2.prefs.codegen.target = "cython"
        if args.cold_cache:
            b2.prefs.codegen.runtime.cython.cache_dir = os.path.join(workdir, "cython")
    else:
        b2.set_device("cpp_standalone", directory=project, build_on_run=False)
        b2.prefs.devices.cpp_standalone.openmp_threads = args.threads
    b2.seed(args.seed)
    b2.defaultclock.dt = ei.DT_MS * b2.ms
    duration = args.duration * b2.second

    start = time.perf_counter()
    arrays = ei.fixed_indegree(args.n, args.seed) if args.conn == "indegree" else None
    connectivity_s = time.perf_counter() - start

    start = time.perf_counter()
    net, _, synapses, monitor = build(args.model, args.n, args.seed, args.conn, arrays)
    if args.mode == "standalone":
        net.run(duration)  # recorded, not run: the binary runs it
    build_s = time.perf_counter() - start

    walls: list[float] = []
    loops: list[float] = []
    if args.mode == "runtime":
        net.store("initial")
        start = time.perf_counter()
        net.run(0 * b2.ms)
        compile_s = time.perf_counter() - start

        def one_run() -> None:
            net.restore("initial")
            start = time.perf_counter()
            net.run(duration)
            walls.append(time.perf_counter() - start)
            loops.append(float(b2.device._last_run_time))
    else:
        start = time.perf_counter()
        b2.device.build(directory=project, compile=True, run=False, with_output=False)
        compile_s = time.perf_counter() - start

        def one_run() -> None:
            start = time.perf_counter()
            b2.device.run(with_output=False)
            walls.append(time.perf_counter() - start)
            loops.append(float(b2.device._last_run_time))

    one_run()
    first_run_s, first_loop_s = walls[0], loops[0]
    first_rates = rates(monitor, args.n, args.duration)
    n_syn = [len(s) for s in synapses]
    bytes_per_synapse = sum(
        synapse_bytes(s) * k for s, k in zip(synapses, n_syn, strict=True)
    ) / sum(n_syn)
    for _ in range(args.warmup):
        one_run()
    walls.clear()
    loops.clear()
    for _ in range(args.repeats):
        one_run()
    last_rates = rates(monitor, args.n, args.duration)

    emit(
        {
            "workload": args.model,
            "library": "brian2",
            "mode": args.mode,
            "params": ei.params_record(
                args.model, args.n, args.duration, args.seed, args.conn, args.dtype
            ),
            "connectivity_s": connectivity_s,
            "build_s": build_s,
            "compile_s": compile_s,
            "first_run_s": first_run_s,
            "first_run_loop_s": first_loop_s,
            "timing": ei.summary(loops),
            "timing_wall": ei.summary(walls),
            "timing_what": "timing: device._last_run_time (Brian2's own time of the time-step "
            "loop); timing_wall: wall time of "
            + ("net.run(duration)" if args.mode == "runtime" else "device.run()"),
            "rates_hz": first_rates,
            "rates_hz_last_run": last_rates,
            "synapses": {"e": n_syn[0], "i": n_syn[1], "total": sum(n_syn)},
            "synapses_per_cell": sum(n_syn) / args.n,
            "bytes_per_synapse": bytes_per_synapse,
            "bytes_per_synapse_what": "per-synapse arrays (i, j int32, delay float) + 4 B "
            "spike-queue synapse lists; the neuron state and monitors are not counted",
            "threads": args.threads if args.mode == "standalone" else 1,
            "codegen_target": "cython" if args.mode == "runtime" else "cpp_standalone",
            "cold_cache": args.cold_cache,
            "versions": versions(),
            "machine": {
                **ei.machine_without_jax(),
                "load_avg_start": load_start,
                "load_avg_end": load_average(),
            },
        }
    )


if __name__ == "__main__":
    main()
