"""PoissonCell: rate-coded spikes at `input × target_freq` Hz (ngclearn's `PoissonCell`)."""

from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from .._core import AbstractCell, require_key
from .._typing import Param, ParamLike, TimeStep
from .._validate import (
    as_param,
    check_input,
    check_int,
    check_nonnegative,
    check_time_step,
    check_unit_param,
)
from ..neurons.spiking._spikes import advance_clock, last_spike_times

_MS_PER_S = 1000.0


class PoissonCellState(eqx.Module):
    """`outputs`: this step's spikes; `tols`: time of the last spike; `t`: the clock."""

    outputs: Float[Array, " n"]
    tols: Float[Array, " n"]
    t: Float[Array, ""]


class PoissonCellInputs(eqx.Module):
    """`inputs`: intensities, normally in [0, 1]; unit i fires at `inputs[i]·target_freq`
    Hz."""

    inputs: Float[Array, " n"]


class PoissonCell(AbstractCell):
    r"""Encodes intensities as Poisson spike trains of rate `λ = x·f` (f = `target_freq` in
    Hz; `dt` in ms). Each step, independently per unit, with `u ~ U[0, 1)`,

    $$s = 1[u < p],\qquad p = x·\frac{dt}{1000}·f \ \ (\text{default}),\quad
    p = 1 − e^{−x·f·dt/1000} \ \ (\text{exact=True}),$$

    then `tols⁺ = t⁺` where `s = 1`. The default is the reference's first-order (Bernoulli)
    approximation of the probability of at least one spike in `dt`: it is exact to
    O((λ·dt)²), and a `p > 1` acts as 1 (every step spikes), so rates above `1000/dt` Hz
    saturate. `exact=True` uses the Poisson probability `1 − e^{−λ·dt}` instead (the
    probability of one or more events; a step still emits at most one spike). Both compare
    the same uniform sample, so for one key the exact mode's spikes are a subset of the
    default's.

    Randomness: `step` draws `u = jax.random.uniform(key, (n_units,))` with the key it is
    given, without splitting it; ngclearn draws `uniform(sk)` on its `(batch, n_units)`
    input after `(key', sk) = split(key)`, so passing that `sk` reproduces its draw (for a
    batch of B, a cell of `B·n_units` units on the flattened batch does).

    Differences from ngclearn 3.2.3: the key is an argument of `step`, not state; the
    `max_freq` alias of `target_freq` is not accepted; `exact` is new.
    """

    State: ClassVar = PoissonCellState
    Inputs: ClassVar = PoissonCellInputs

    target_freq: Param
    n_units: int = eqx.field(static=True)
    exact: bool = eqx.field(static=True)

    def __init__(self, n_units: int, target_freq: ParamLike = 63.75, exact: bool = False):
        """**Arguments:**

        - `n_units`: number of units.
        - `target_freq`: the rate (Hz, ≥ 0) of a unit whose input is 1 (scalar or per unit).
        - `exact`: use `p = 1 − e^{−λ·dt}` rather than the reference's `p = λ·dt`.
        """
        owner = type(self).__name__
        check_int(owner, "n_units", n_units, minimum=1)
        self.n_units = n_units
        self.target_freq = as_param(target_freq)
        check_unit_param(owner, "target_freq", self.target_freq, n_units)
        check_nonnegative(owner, "target_freq", self.target_freq)
        if not isinstance(exact, bool):
            raise ValueError(f"{owner}: `exact` must be a bool, got {exact!r}.")
        self.exact = exact

    def init_state(self, *, key: PRNGKeyArray | None = None) -> PoissonCellState:
        """No spikes, `tols = 0`, `t = 0`."""
        zeros = jnp.zeros((self.n_units,), self.target_freq.dtype)
        return PoissonCellState(outputs=zeros, tols=zeros, t=jnp.zeros((), zeros.dtype))

    def spike_probability(self, inputs: Float[Array, " n"], dt: TimeStep) -> Float[Array, " n"]:
        """The probability `p` compared with the uniform sample (not clipped to [0, 1])."""
        if self.exact:
            return -jnp.expm1(-inputs * self.target_freq * (dt / _MS_PER_S))
        # The reference's order of operations, so that ties break the same way.
        return inputs * dt / _MS_PER_S * self.target_freq

    def step(
        self,
        state: PoissonCellState,
        inputs: PoissonCellInputs,
        key: PRNGKeyArray | None,
        dt: TimeStep,
    ) -> PoissonCellState:
        """Draws this step's spikes from `key` (required)."""
        owner = type(self).__name__
        check_input(owner, "inputs", inputs.inputs, (self.n_units,))
        check_time_step(owner, dt)
        key = require_key(owner, key)
        dtype = state.outputs.dtype
        uniform = jax.random.uniform(key, (self.n_units,), dtype)
        spikes = (uniform < self.spike_probability(inputs.inputs, dt)).astype(dtype)
        t = advance_clock(state.t, dt)
        return PoissonCellState(outputs=spikes, tols=last_spike_times(state.tols, spikes, t), t=t)
