"""The E/I network workload (COBA and CUBA) of the peer benchmarks: ONE parameter set, the
initial state and the connectivity, shared by `ei_brian2` and `ei_brainpy` (it imports only
numpy and the standard library, so that it runs in either library's virtual environment).

Where each number comes from
----------------------------

Both networks are Brette et al. (2007), J. Comput. Neurosci. 23:349, benchmarks 1 (COBA) and
2 (CUBA), after Vogels & Abbott (2005): N leaky integrate-and-fire cells, the first
`int(0.8 N)` excitatory, the rest inhibitory, every cell receiving the same two synapse
types, τ_m = 20 ms, V_thr = −50 mV, V_reset = −60 mV, refractory 5 ms, dt = 0.1 ms.

COBA (conductance-based, exponential conductances) follows the version that BrainPy's authors
benchmark against Brian2 in their scaling study: `PKU-NIP-Lab/brainpy-paper-reproducibility`,
files `figure8A/COBA_brian2.py` (Brian2) and `figure8A/COBA_brainpy_jax.py` (BrainPy), also
`brainpy/BrainPy` `develop/benchmark/COBA/COBA_brian2.py` (same equations):

    dv/dt  = (ge (E_e − v) + gi (E_i − v) − (v − E_L) + I_b) / τ_m   (unless refractory)
    dge/dt = −ge / τ_e,  dgi/dt = −gi / τ_i,  on an E spike ge += w_e, on an I spike gi += w_i

    τ_e = 5 ms, τ_i = 10 ms, E_e = 0 mV, E_i = −80 mV, E_L = −60 mV, I_b = 20 mV,
    w_e = 0.6, w_i = 6.7 (ge, gi dimensionless, in units of the leak conductance g_L),
    method 'euler' (Brian2 script), v(0) ~ Normal(−55 mV, 5 mV), ge(0) = gi(0) = 0.

With Brian2's and NEST's membrane (C_m = 200 pF, g_L = 10 nS, so τ_m = 20 ms) these are
w_e = 0.6·g_L = 6 nS, w_i = 6.7·g_L = 67 nS and I_b = 20 mV·g_L = 200 pA: the NEST version of
the same benchmark, `brainpy/BrainPy` `develop/benchmark/COBA/COBA-Nest.py`, sets
`iaf_cond_exp` with C_m 200, g_L 10, I_e 200 pA and weights 6 nS / −67 nS; Brette's own Brian
implementation of benchmark 1 (Brian 1 `examples/COBA.py`, "we = 6./10., wi = 67./10.",
conductances in units of g_L) has the same weights. NB: "w_e = 0.6 nS, w_i = 6.7 nS" would be
ten times weaker than all of these; the weights here are 0.6 and 6.7 g_L. The 20 mV bias is in
the BrainPy/Brian2 scaling scripts (Brette's original instead starts from random conductances
without a bias; with neither, the network stays silent).

CUBA (current-based, exponential currents) is Brian2's `examples/CUBA.py` (brian-team/brian2):

    dv/dt  = (ge + gi − (v − E_L)) / τ_m   (unless refractory)
    dge/dt = −ge / τ_e,  dgi/dt = −gi / τ_i   (volt),  on a spike ge += w_e, gi += w_i

    E_L = −49 mV, τ_e = 5 ms, τ_i = 10 ms, w_e = 60·0.27/10 = 1.62 mV,
    w_i = −20·4.5/10 = −9 mV, method 'exact', v(0) = V_reset + U(0, 1)·(V_thr − V_reset),
    ge(0) = gi(0) = 0.

Network size and connectivity: fixed in-degree as the network grows, K = 80 inputs per cell
on average (64 E + 16 I), i.e. connection probability p = 80/N: Brian2's
`brian2/tests/features/speed.py` (`CUBAFixedConnectivity`: `connect("i<Ne", p=80.0 / N)`) and
the BrainPy scaling scripts (`p=80 / (num_exc + num_inh)` in Brian2, `FixedProb(80/N)` in
BrainPy). At N = 4000 this is the p = 0.02 of the original benchmarks. `--conn prob` uses each
library's own generator (Brian2: Bernoulli(p) per pair; BrainPy `FixedProb`: a fixed
out-degree of round(p·N) per presynaptic cell, hence in-degree 80 on average);
`--conn indegree` uses `fixed_indegree` below (exactly 64 E + 16 I distinct presynaptic
cells per cell, drawn with numpy from the seed), the same arrays in every library. Synapses
have no delay (the spike of step n reaches its targets' conductances for step n + 1), and
autapses are allowed, as in the sources.
"""

import os
import platform
from typing import Any

import numpy as np

DT_MS = 0.1
IN_DEGREE = 80
E_FRACTION = 0.8

# Shared by both models (Brette et al. 2007; Brian2 examples/CUBA.py; BrainPy scaling scripts).
_COMMON = {"tau_m_ms": 20.0, "v_thr_mv": -50.0, "v_reset_mv": -60.0, "t_ref_ms": 5.0}

PARAMS: dict[str, dict[str, Any]] = {
    "coba": {
        **_COMMON,
        "v_rest_mv": -60.0,  # E_L
        "tau_e_ms": 5.0,
        "tau_i_ms": 10.0,
        "e_exc_mv": 0.0,
        "e_inh_mv": -80.0,
        "bias_mv": 20.0,  # I_b / g_L (200 pA with g_L = 10 nS)
        "w_e": 0.6,  # in units of g_L (6 nS with g_L = 10 nS)
        "w_i": 6.7,  # in units of g_L (67 nS)
        "weight_unit": "g_L (leak conductance; g_L = 10 nS gives 6 nS and 67 nS)",
        "method": "euler",
        "v_init": "normal(-55 mV, 5 mV)",
    },
    "cuba": {
        **_COMMON,
        "v_rest_mv": -49.0,  # E_L
        "tau_e_ms": 5.0,
        "tau_i_ms": 10.0,
        "bias_mv": 0.0,
        "w_e": 60 * 0.27 / 10,  # mV (1.62)
        "w_i": -20 * 4.5 / 10,  # mV (-9)
        "weight_unit": "mV",
        "method": "exact",
        "v_init": "uniform(v_reset, v_thr)",
    },
}

SOURCES = {
    "coba": "PKU-NIP-Lab/brainpy-paper-reproducibility figure8A/COBA_brian2.py and "
    "COBA_brainpy_jax.py (BrainPy's Brian2-vs-BrainPy scaling study); weights as Brette 2007 "
    "benchmark 1 (Brian 1 examples/COBA.py: we = 6/10, wi = 67/10 in units of g_L)",
    "cuba": "brian-team/brian2 examples/CUBA.py (Brette 2007 benchmark 2)",
    "scaling": "brian-team/brian2 brian2/tests/features/speed.py CUBAFixedConnectivity "
    "(p = 80/N); BrainPy scaling scripts (p = 80/N)",
}


def sizes(n: int) -> tuple[int, int]:
    """(n_e, n_i): the first int(0.8 n) cells are excitatory (Brian2's speed.py)."""
    n_e = int(E_FRACTION * n)
    return n_e, n - n_e


def in_degrees(n: int) -> tuple[int, int]:
    """(k_e, k_i): excitatory and inhibitory inputs per cell, 64 and 16 (80 in all)."""
    n_e, _ = sizes(n)
    k_e = round(IN_DEGREE * n_e / n)
    return k_e, IN_DEGREE - k_e


def connection_probability(n: int) -> float:
    """p = 80 / N: 80 inputs per cell on average at every size (0.02 at N = 4000)."""
    return IN_DEGREE / n


def initial_v(model: str, n: int, seed: int) -> np.ndarray:
    """Initial membrane potentials (mV, float64), the same in every library for a seed."""
    rng = np.random.default_rng(seed)
    p = PARAMS[model]
    if model == "coba":
        return rng.normal(-55.0, 5.0, n)
    return p["v_reset_mv"] + rng.random(n) * (p["v_thr_mv"] - p["v_reset_mv"])


def _distinct_rows(rng: np.random.Generator, n_rows: int, k: int, high: int) -> np.ndarray:
    """(n_rows, k) int64 draws from [0, high), distinct within each row."""
    if k > high:
        raise ValueError(f"cannot draw {k} distinct presynaptic cells out of {high}")
    out = rng.integers(0, high, size=(n_rows, k))
    todo = np.arange(n_rows)
    while todo.size:
        rows = np.sort(out[todo], axis=1)
        bad = todo[(np.diff(rows, axis=1) == 0).any(axis=1)]
        if bad.size:
            out[bad] = rng.integers(0, high, size=(bad.size, k))
        todo = bad
    return out


def fixed_indegree(n: int, seed: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Exactly 64 distinct E and 16 distinct I presynaptic cells per cell.

    Returns {"e": (pre, post), "i": (pre, post)}, int32 arrays sorted by `pre` (CSR order);
    `pre` indexes the source population (E: 0..n_e−1, I: 0..n_i−1), `post` all n cells."""
    n_e, n_i = sizes(n)
    k_e, k_i = in_degrees(n)
    rng = np.random.default_rng([seed, 80])
    out = {}
    for name, n_pre, k in (("e", n_e, k_e), ("i", n_i, k_i)):
        pre = _distinct_rows(rng, n, k, n_pre).ravel()
        post = np.repeat(np.arange(n, dtype=np.int64), k)
        order = np.argsort(pre, kind="stable")
        out[name] = (pre[order].astype(np.int32), post[order].astype(np.int32))
    return out


def csr_indptr(pre: np.ndarray, n_pre: int) -> np.ndarray:
    """Row pointer of synapses sorted by `pre`."""
    return np.concatenate([[0], np.cumsum(np.bincount(pre, minlength=n_pre))]).astype(np.int32)


def params_record(
    model: str, n: int, duration_s: float, seed: int, conn: str, dtype: str
) -> dict[str, Any]:
    """The `params` field of the JSON record."""
    n_e, n_i = sizes(n)
    k_e, k_i = in_degrees(n)
    p = PARAMS[model]
    return {
        "n": n,
        "n_e": n_e,
        "n_i": n_i,
        "in_degree": IN_DEGREE,
        "in_degree_e_i": [k_e, k_i],
        "connection_probability": connection_probability(n),
        "conn": conn,
        "dt_ms": DT_MS,
        "duration_s": duration_s,
        "steps": steps(duration_s),
        "seed": seed,
        "dtype": dtype,
        "weights": {"w_e": p["w_e"], "w_i": p["w_i"], "unit": p["weight_unit"]},
        "taus_ms": {"tau_m": p["tau_m_ms"], "tau_e": p["tau_e_ms"], "tau_i": p["tau_i_ms"]},
        "model": {k: v for k, v in p.items() if k not in ("w_e", "w_i", "weight_unit")},
        "source": SOURCES[model],
    }


def steps(duration_s: float) -> int:
    """Time steps in `duration_s` seconds of biological time."""
    return round(duration_s * 1000.0 / DT_MS)


def summary(samples: list[float]) -> dict[str, Any]:
    """Median, min, max (s) of timed runs, in `_harness.time_call`'s format (+ the samples)."""
    ordered = sorted(samples)
    mid = len(ordered) // 2
    median = ordered[mid] if len(ordered) % 2 else 0.5 * (ordered[mid - 1] + ordered[mid])
    return {
        "median_s": median,
        "min_s": ordered[0],
        "max_s": ordered[-1],
        "repeats": len(samples),
        "samples_s": samples,
    }


def machine_without_jax() -> dict[str, Any]:
    """`_harness.machine()` without the JAX fields (the Brian2 venv has no JAX)."""
    from ._harness import load_average

    info: dict[str, Any] = {
        "python": platform.python_version(),
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
    return info
