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
