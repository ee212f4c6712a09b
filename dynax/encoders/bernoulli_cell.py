"""BernoulliCell: spikes with probability equal to the input (ngclearn's `BernoulliCell`)."""

from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from .._core import AbstractCell, require_key
from .._typing import TimeStep
from .._validate import check_input, check_int, check_time_step
from ..neurons.spiking._spikes import advance_clock, last_spike_times


class BernoulliCellState(eqx.Module):
    """`outputs`: this step's spikes; `tols`: time of the last spike; `t`: the clock."""

    outputs: Float[Array, " n"]
    tols: Float[Array, " n"]
    t: Float[Array, ""]


class BernoulliCellInputs(eqx.Module):
    """`inputs`: the spike probability of each unit for this step (values outside [0, 1]
    act as 0 or 1)."""

    inputs: Float[Array, " n"]


class BernoulliCell(AbstractCell):
    r"""Encodes intensities as Bernoulli spikes: each step, independently per unit,

    $$u \sim U[0, 1),\qquad s = 1[u < x],$$

    so `P(s = 1) = clip(x, 0, 1)`; then `tols⁺ = t⁺` where `s = 1`.

    Randomness: `step` draws `u = jax.random.uniform(key, (n_units,))` with the key it is
    given, without splitting it. ngclearn draws `bernoulli(sk, p=inputs)` after
    `(key', sk) = split(key)` on its whole `(batch, n_units)` input; passing that `sk` to
    `step` reproduces its draw for one sample (for a batch of B, a cell of `B·n_units` units
    stepping the flattened batch reproduces it: JAX's threefry bits depend only on the
    flattened index). Callers split keys per step (`dynax.simulate` does).

    Differences from ngclearn 3.2.3: the key is an argument of `step`, not state.
    """

    State: ClassVar = BernoulliCellState
    Inputs: ClassVar = BernoulliCellInputs

    n_units: int = eqx.field(static=True)

    def __init__(self, n_units: int):
        """**Arguments:**

        - `n_units`: number of units.
        """
        check_int(type(self).__name__, "n_units", n_units, minimum=1)
        self.n_units = n_units

    def init_state(self, *, key: PRNGKeyArray | None = None) -> BernoulliCellState:
        """No spikes, `tols = 0`, `t = 0`."""
        zeros = jnp.zeros((self.n_units,), jnp.result_type(float))
        return BernoulliCellState(outputs=zeros, tols=zeros, t=jnp.zeros((), zeros.dtype))

    def step(
        self,
        state: BernoulliCellState,
        inputs: BernoulliCellInputs,
        key: PRNGKeyArray | None,
        dt: TimeStep,
    ) -> BernoulliCellState:
        """Draws this step's spikes from `key` (required)."""
        owner = type(self).__name__
        check_input(owner, "inputs", inputs.inputs, (self.n_units,))
        check_time_step(owner, dt)
        key = require_key(owner, key)
        dtype = state.outputs.dtype
        uniform = jax.random.uniform(key, (self.n_units,), dtype)
        spikes = (uniform < inputs.inputs).astype(dtype)
        t = advance_clock(state.t, dt)
        return BernoulliCellState(outputs=spikes, tols=last_spike_times(state.tols, spikes, t), t=t)
