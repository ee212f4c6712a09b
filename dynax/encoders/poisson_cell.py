"""PoissonCell: rate-coded spikes at `input × target_freq` Hz (ngclearn's `PoissonCell`)."""

import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from .._fields import parameter, size, switch
from .._typing import Param, TimeStep
from .._validate import NONNEGATIVE
from ._base import AbstractRandomEncoder, SpikeTrainState

_MS_PER_S = 1000.0


class PoissonCell(AbstractRandomEncoder):
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

    **Arguments:**

    - `n_units`: number of units.
    - `target_freq`: the rate (Hz, ≥ 0) of a unit whose input is 1 (scalar or per unit).
    - `exact`: use `p = 1 − e^{−λ·dt}` rather than the reference's `p = λ·dt`.

    Differences from ngclearn 3.2.3: `docs/migrating-from-ngclearn.md` §7.2.
    """

    n_units: int = size()
    target_freq: Param = parameter(63.75, NONNEGATIVE)
    exact: bool = switch(False)

    def init_state(self, *, key: PRNGKeyArray | None = None) -> SpikeTrainState:
        """No spikes, `tols = 0`, `t = 0`."""
        return SpikeTrainState.silent(self.n_units, self.target_freq.dtype)

    def spike_probability(self, inputs: Float[Array, " n"], dt: TimeStep) -> Float[Array, " n"]:
        """The probability `p` compared with the uniform sample (not clipped to [0, 1])."""
        if self.exact:
            return -jnp.expm1(-inputs * self.target_freq * (dt / _MS_PER_S))
        # The reference's order of operations, so that ties break the same way.
        return inputs * dt / _MS_PER_S * self.target_freq
