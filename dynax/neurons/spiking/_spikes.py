"""Pieces shared by the spiking cells: the clock, times of last spike, refractory masks."""

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from ..._typing import TimeStep


def advance_clock(t: Float[Array, ""], dt: TimeStep) -> Float[Array, ""]:
    """The time at the end of the step, `t + dt`, in `t`'s dtype."""
    return (t + dt).astype(t.dtype)


def last_spike_times(tols: Array, spikes: Array, t: Array) -> Array:
    """`tols⁺ = t` where a unit spiked, else the old time of last spike."""
    return jnp.where(spikes > 0, t, tols).astype(tols.dtype)


def refractory_update(rfr: Array, spikes: Array, dt: TimeStep) -> Array:
    """Time since the last spike, restarted at a spike: `rfr⁺ = (rfr + dt)·(1 − s)`."""
    return ((rfr + dt) * (1.0 - spikes)).astype(rfr.dtype)


def refractory_restart(rfr: Array, spikes: Array, dt: TimeStep) -> Array:
    """Time since the last spike, restarted at `dt` (not 0) at a spike, as SLIF and WTAS count
    it: `rfr⁺ = (rfr + dt)·(1 − s) + s·dt`."""
    return ((rfr + dt) * (1.0 - spikes) + spikes * dt).astype(rfr.dtype)


def jittered_thresholds(key, base, jitter, n_units: int) -> Array:
    """`base + U(−jitter, +jitter)`, one value per unit, drawn with `key` itself (no split).

    With the subkey that ngclearn's SLIF/WTAS constructors draw with, this reproduces their
    `(1, n_units)` draw exactly (JAX's threefry bits depend only on the flattened index).
    """
    jitter = jnp.asarray(jitter)
    dtype = jnp.result_type(base, jitter, float)
    noise = jax.random.uniform(key, (n_units,), dtype, minval=-jitter, maxval=jitter)
    return (base + noise).astype(dtype)


def require_construction_key(owner: str, key, needed_for: str):
    """Returns `key`, or raises a `ValueError` naming `key` and what the constructor draws."""
    if key is None:
        raise ValueError(
            f"{owner}: `key` is needed to draw {needed_for} at construction, got key=None. "
            "Pass e.g. key=jax.random.key(0) (or the explicit arrays)."
        )
    return key


def reset_potential(v: Array, spikes: Array, v_reset) -> Array:
    """`v⁺ = v·(1 − s) + s·v_reset` with the spike's surrogate gradient stopped.

    The forward value is exactly `v` or `v_reset`. The reset is a switch, not a signal: were
    the surrogate derivative of `s` to flow through it, every sub-threshold step would carry
    a spurious `(v_reset − v)·σ′(v − thr)` term and gradients of smooth (spike-free)
    trajectories would be wrong. Gradients still reach spikes wherever they are outputs.
    """
    s = jax.lax.stop_gradient(spikes)
    return v * (1.0 - s) + s * v_reset


def keep_one_random_spike(spikes: Array, key) -> Array:
    """Keeps one spike of `spikes` (one sample, shape `(n,)`), chosen uniformly at random
    among the units that spiked; no spike stays no spike.

    The forward value is `s·e_k` with `e_k` the one-hot of the chosen unit, so the kept
    spike keeps its surrogate gradient. Draws `uniform(key, (n,))` once.
    """
    draws = jax.random.uniform(key, spikes.shape)
    chosen = jnp.argmax(jnp.where(spikes > 0, draws, -1.0))
    return spikes * jax.nn.one_hot(chosen, spikes.shape[-1], dtype=spikes.dtype)


def keep_spike_at_max(spikes: Array, values: Array) -> Array:
    """Keeps only the spike of the unit where `values` is largest (the first such unit);
    every other spike is dropped, even when that unit did not spike."""
    chosen = jnp.argmax(values)
    return spikes * jax.nn.one_hot(chosen, spikes.shape[-1], dtype=spikes.dtype)


def computed_once(tree):
    """`tree`, unchanged. On CPU it is wrapped in an optimization barrier, so that XLA
    computes it once: XLA:CPU does not merge sibling loop fusions, and without the barrier
    every output that reads an integrated state (`v`, `w`, `s`, `tols`) recomputes the
    integration step (10⁶ units, jax 0.12, ms per step: AdEx 2.5 → 1.6, LIF 3.2 → 2.4–2.8,
    Izhikevich 1.6 → 1.3–1.4). Other backends fuse the outputs into one kernel by themselves
    and get `tree` as it is."""
    return jax.lax.platform_dependent(
        tree, cpu=jax.lax.optimization_barrier, default=lambda tree: tree
    )
