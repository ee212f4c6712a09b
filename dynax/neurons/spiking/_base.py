"""The base of every spiking cell: integrate the cell's ODE, fire, reset, advance the clock.

A spiking cell's `step` reads, in the physics' order,

```python
v, w = self.integrate(state.t, (state.v, state.w), dt, current)   # the cell's vector_field
s = self.fire(v, self.thr)                                         # spikes, surrogate gradient
t, tols = clock(state, s, dt)                                      # end of the step, last spike
return state.replace(v=reset_potential(v, s, self.v_reset), s=s, tols=tols, t=t, ...)
```
"""

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PyTree

from ..._backend import computed_once
from ..._core import AbstractCell, CellState
from ..._typing import TimeStep
from ...surrogate import AbstractSurrogate

RESET_BELOW_THRESHOLD = "A reset at or above the threshold would fire on every step."
"""Why `v_reset` must lie below the threshold (the message of a declared `below=`)."""


class ClockedState(CellState):
    """The part of a spiking cell's state that `clock` advances: `tols`, the time of each
    unit's last spike (0 before the first), and `t`, the clock."""

    tols: Float[Array, " n"]
    t: Float[Array, ""]


class CurrentInputs(eqx.Module):
    """`j`: the input current of each unit (each cell's docstring says what scales it)."""

    j: Float[Array, " n"]


class AbstractSpikingCell(AbstractCell):
    """A cell that emits spikes: `s = H(v − θ)` forward, the derivative of `surrogate`
    backward (`dynax.surrogate`). Cells with an ODE define `vector_field(t, y, args)`
    (diffrax's signature) and an `integration_type` stepper; `integrate` advances it."""

    surrogate: eqx.AbstractVar[AbstractSurrogate]

    def integrate(self, t: Float[Array, ""], y: PyTree, dt: TimeStep, args) -> PyTree:
        """`y` one step later under this cell's `vector_field` and `integration_type`
        (`args` held fixed over the step), computed once (`dynax._backend.computed_once`)."""
        return computed_once(self.integration_type(self.vector_field, t, y, dt, args))

    def fire(self, v: Array, threshold) -> Array:
        """The spikes `1[v > threshold]`, with the surrogate derivative of `v − threshold`."""
        return self.surrogate(v - threshold)


def clock(state: PyTree, spikes: Array, dt: TimeStep) -> tuple[Array, Array]:
    """`(t⁺, tols⁺)`: the time at the end of the step, and the time of the last spike (`t⁺`
    where a unit spiked, else the old `tols`), for a state with a clock `t` and `tols`."""
    t = advance_clock(state.t, dt)
    return t, last_spike_times(state.tols, spikes, t)


def advance_clock(t: Float[Array, ""], dt: TimeStep) -> Float[Array, ""]:
    """The time at the end of the step, `t + dt`, in `t`'s dtype."""
    return (t + dt).astype(t.dtype)


def last_spike_times(tols: Array, spikes: Array, t: Array) -> Array:
    """`tols⁺ = t` where a unit spiked, else the old time of last spike."""
    return jnp.where(spikes > 0, t, tols).astype(tols.dtype)


def reset_potential(v: Array, spikes: Array, v_reset) -> Array:
    """`v⁺ = v_reset` where a unit spiked, else `v`; the reset carries no surrogate gradient.

    The reset is a switch, not a signal: were the surrogate derivative of `s` to flow
    through it, every sub-threshold step would carry a spurious `(v_reset − v)·σ′(v − thr)`
    term and gradients of smooth (spike-free) trajectories would be wrong. Gradients still
    reach spikes wherever they are outputs. (A select, so an overflowed `v` is reset too.)
    """
    fired = jax.lax.stop_gradient(spikes) > 0
    return jnp.where(fired, jnp.asarray(v_reset, jnp.result_type(v)), v)


def refractory_mask(rfr: Array, refract_time, dt: TimeStep) -> Array:
    """`True` where a unit is out of its refractory period: `rfr ≥ refract_time`, with `rfr`
    (the time since the last spike, a sum of `dt`s) counted in whole steps.

    A sum of k float32 `dt`s misses k·dt by up to a fifth of a step after a few thousand
    steps (200 × 0.01 < 2), which would make a period of an exact number of steps one step
    too long. So a unit is free after `⌈refract_time/dt⌉` steps, the count being read with
    half a step of slack: `rfr ≥ min(refract_time, (⌈refract_time/dt⌉ − ½)·dt)` (the first
    term keeps the rest state, `rfr = refract_time`, out of the period)."""
    steps = jnp.ceil(refract_time / dt - 1e-3)
    return rfr >= jnp.minimum(refract_time, (steps - 0.5) * dt)
