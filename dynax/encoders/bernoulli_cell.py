"""BernoulliCell: spikes with probability equal to the input (ngclearn's `BernoulliCell`)."""

import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from .._fields import size
from .._typing import TimeStep
from ._base import AbstractRandomEncoder, SpikeTrainState


class BernoulliCell(AbstractRandomEncoder):
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

    n_units: int = size()

    def init_state(self, *, key: PRNGKeyArray | None = None) -> SpikeTrainState:
        """No spikes, `tols = 0`, `t = 0`."""
        return SpikeTrainState.silent(self.n_units, jnp.result_type(float))

    def spike_probability(self, inputs: Float[Array, " n"], dt: TimeStep) -> Float[Array, " n"]:
        """The input itself."""
        return inputs
