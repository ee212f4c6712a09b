"""BernoulliCell: spikes with probability equal to the input (ngclearn's `BernoulliCell`)."""

from typing import ClassVar

import jax
import jax.numpy as jnp
from jaxtyping import PRNGKeyArray

from .._core import AbstractCell, require_key
from .._fields import size
from .._typing import TimeStep
from ..neurons.spiking._base import clock
from ._base import IntensityInputs, SpikeTrainState


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

    **Arguments:**

    - `n_units`: number of units.

    Differences from ngclearn 3.2.3: `docs/migrating-from-ngclearn.md` §7.2.
    """

    State: ClassVar = SpikeTrainState
    Inputs: ClassVar = IntensityInputs

    n_units: int = size()

    def init_state(self, *, key: PRNGKeyArray | None = None) -> SpikeTrainState:
        """No spikes, `tols = 0`, `t = 0`."""
        return SpikeTrainState.silent(self.n_units, jnp.result_type(float))

    def step(
        self,
        state: SpikeTrainState,
        inputs: IntensityInputs,
        key: PRNGKeyArray | None,
        dt: TimeStep,
    ) -> SpikeTrainState:
        """Draws this step's spikes from `key` (required)."""
        self.check_step(state, inputs, dt)
        key = require_key(type(self).__name__, key)
        dtype = state.outputs.dtype
        uniform = jax.random.uniform(key, (self.n_units,), dtype)
        spikes = (uniform < inputs.inputs).astype(dtype)
        t, tols = clock(state, spikes, dt)
        return state.replace(outputs=spikes, tols=tols, t=t)
