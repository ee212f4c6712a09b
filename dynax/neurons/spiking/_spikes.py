"""Pieces shared by the spiking cells: the clock, times of last spike, refractory masks."""

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
