"""GaussianErrorCell: the error unit of a Gaussian likelihood (ngclearn's `GaussianErrorCell`)."""

from typing import ClassVar

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from ..._core import AbstractCell, CellState
from ..._fields import parameter, size
from ..._typing import Param, TimeStep
from ..._validate import POSITIVE


class GaussianErrorCellState(CellState):
    """The outputs of the last step: `L` (the log-likelihood, a scalar), `dmu`, `dtarget`
    (one value per unit) and `dSigma` (the shape of `sigma`: a scalar or one per unit)."""

    L: Float[Array, ""]
    dmu: Float[Array, " n"]
    dtarget: Float[Array, " n"]
    dSigma: Param


class GaussianErrorCellInputs(eqx.Module):
    """`mu`: the prediction; `target`: the observed value; `modulator`: scales the derivative
    outputs per unit (`None` ⇒ 1); `mask`: 1 where a unit is observed in this step, 0 where it
    is not (`None` ⇒ all observed)."""

    mu: Float[Array, " n"]
    target: Float[Array, " n"]
    modulator: Float[Array, " n"] | None = None
    mask: Float[Array, " n"] | None = None


class GaussianErrorCell(AbstractCell):
    r"""The error unit of a Gaussian likelihood with variance Σ.

    With the error `e = target − mu`, the mask `k` and the modulator `m`, one step computes

    $$L = −\tfrac12 \sum_i k_i \frac{e_i^2}{Σ_i}, \qquad
    \text{dmu} = m ⊙ k ⊙ \frac{e}{Σ} = m ⊙ \frac{∂L}{∂\text{mu}}, \qquad
    \text{dtarget} = −\text{dmu} = m ⊙ \frac{∂L}{∂\text{target}},$$

    i.e. `L` is the log-density of the observed units up to its normaliser
    `−½ Σ_i k_i log(2πΣ_i)`, which does not depend on `mu` or `target`. The derivative with
    respect to the variance is that of the full log-density (normaliser included):

    $$\text{dSigma} = \sum_{i \text{ sharing } Σ} m_i k_i \, \tfrac12
    \Big(\frac{e_i^2}{Σ^2} − \frac1Σ\Big),$$

    one value per unit for a per-unit Σ, the sum over units for a shared Σ. Ascending it drives
    Σ to the mean squared error (the maximum-likelihood variance); the gradient of `L` alone,
    `½e²/Σ²`, is positive everywhere and would grow Σ without bound.

    The cell is a stateless map: the state holds the outputs of the last step, and `dt` and
    `key` are unused. A batch is `jax.vmap`; `L` is per sample (sum it for the batch total).

    **Arguments:**

    - `n_units`: number of units.
    - `sigma`: the variance Σ > 0 (not the standard deviation), a scalar shared by all
        units or one value per unit.

    Differences from ngclearn 3.2.3: `docs/migrating-from-ngclearn.md` §7.2.
    """

    State: ClassVar = GaussianErrorCellState
    Inputs: ClassVar = GaussianErrorCellInputs

    n_units: int = size()
    sigma: Param = parameter(1.0, POSITIVE)

    def init_state(self, *, key: PRNGKeyArray | None = None) -> GaussianErrorCellState:
        """All zeros (the reference's reset)."""
        dtype = self.sigma.dtype
        zeros = jnp.zeros((self.n_units,), dtype)
        return GaussianErrorCellState(
            L=jnp.zeros((), dtype), dmu=zeros, dtarget=zeros, dSigma=jnp.zeros_like(self.sigma)
        )

    def step(
        self,
        state: GaussianErrorCellState,
        inputs: GaussianErrorCellInputs,
        key: PRNGKeyArray | None,
        dt: TimeStep,
    ) -> GaussianErrorCellState:
        """The error, log-likelihood and derivatives of this step (see the class docstring);
        `state`'s values, `key` and `dt` are unused."""
        self.check_step(state, inputs, dt)
        modulator = 1.0 if inputs.modulator is None else inputs.modulator
        mask = 1.0 if inputs.mask is None else inputs.mask
        sigma = self.sigma
        e = inputs.target - inputs.mu
        loss = -0.5 * jnp.sum(mask * jnp.square(e) / sigma)
        dmu = modulator * mask * e / sigma
        d_sigma = modulator * mask * 0.5 * (jnp.square(e / sigma) - 1.0 / sigma)
        if sigma.ndim == 0:
            d_sigma = jnp.sum(d_sigma)
        return state.replace(L=loss, dmu=dmu, dtarget=-dmu, dSigma=d_sigma)
