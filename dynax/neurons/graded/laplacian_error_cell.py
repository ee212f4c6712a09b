"""LaplacianErrorCell: the error unit of a Laplace likelihood (ngclearn's
`LaplacianErrorCell`)."""

from typing import ClassVar

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from ..._core import AbstractCell, CellState
from ..._fields import parameter, size
from ..._typing import Param, TimeStep
from ..._validate import POSITIVE


class LaplacianErrorCellState(CellState):
    """The outputs of the last step: `L` (the log-likelihood, a scalar), `dshift`, `dtarget`
    (one value per unit) and `dScale` (the shape of `scale`: a scalar or one per unit)."""

    L: Float[Array, ""]
    dshift: Float[Array, " n"]
    dtarget: Float[Array, " n"]
    dScale: Param


class LaplacianErrorCellInputs(eqx.Module):
    """`shift`: the prediction (the location of the Laplace density); `target`: the observed
    value; `modulator`: scales the derivative outputs per unit (`None` ⇒ 1); `mask`: 1 where a
    unit is observed in this step, 0 where it is not (`None` ⇒ all observed)."""

    shift: Float[Array, " n"]
    target: Float[Array, " n"]
    modulator: Float[Array, " n"] | None = None
    mask: Float[Array, " n"] | None = None


class LaplacianErrorCell(AbstractCell):
    r"""The error unit of a Laplace likelihood with scale b.

    With the error `e = target − shift`, `s = sign(e)` (sign(0) = 0), the mask `k` and the
    modulator `m`, one step computes

    $$L = −\sum_i k_i \frac{|e_i|}{b_i}, \qquad
    \text{dshift} = m ⊙ k ⊙ \frac{s}{b} = m ⊙ \frac{∂L}{∂\text{shift}}, \qquad
    \text{dtarget} = −\text{dshift} = m ⊙ \frac{∂L}{∂\text{target}},$$

    i.e. `L` is the scaled L1 distance of the observed units: the log-density up to its
    normaliser `−Σ_i k_i log(2b_i)`, which does not depend on `shift` or `target`. At a tie
    (e = 0) the derivatives are 0, a subgradient of |e|, and `jax.grad` of `L` gives the same.
    The derivative with respect to the scale is that of the full log-density (normaliser
    included):

    $$\text{dScale} = \sum_{i \text{ sharing } b} m_i k_i
    \Big(\frac{|e_i|}{b^2} − \frac1b\Big),$$

    one value per unit for a per-unit b, the sum over units for a shared b. Ascending it drives
    b to the mean absolute error (the maximum-likelihood scale); the gradient of `L` alone is
    positive everywhere and would grow b without bound.

    The cell is a stateless map: the state holds the outputs of the last step, and `dt` and
    `key` are unused. A batch is `jax.vmap`; `L` is per sample (sum it for the batch total).

    **Arguments:**

    - `n_units`: number of units.
    - `scale`: the scale b > 0 of the Laplace density, a scalar shared by all units or
        one value per unit.

    Differences from ngclearn 3.2.3: `docs/migrating-from-ngclearn.md` §7.2.
    """

    State: ClassVar = LaplacianErrorCellState
    Inputs: ClassVar = LaplacianErrorCellInputs

    n_units: int = size()
    scale: Param = parameter(1.0, POSITIVE)

    def init_state(self, *, key: PRNGKeyArray | None = None) -> LaplacianErrorCellState:
        """All zeros (the reference's reset)."""
        dtype = self.scale.dtype
        zeros = jnp.zeros((self.n_units,), dtype)
        return LaplacianErrorCellState(
            L=jnp.zeros((), dtype), dshift=zeros, dtarget=zeros, dScale=jnp.zeros_like(self.scale)
        )

    def step(
        self,
        state: LaplacianErrorCellState,
        inputs: LaplacianErrorCellInputs,
        key: PRNGKeyArray | None,
        dt: TimeStep,
    ) -> LaplacianErrorCellState:
        """The error, log-likelihood and derivatives of this step (see the class docstring);
        `state`'s values, `key` and `dt` are unused."""
        self.check_step(state, inputs, dt)
        modulator = 1.0 if inputs.modulator is None else inputs.modulator
        mask = 1.0 if inputs.mask is None else inputs.mask
        scale = self.scale
        e = inputs.target - inputs.shift
        s = jnp.sign(e)
        # |e| written as e·sign(e): the same value, and jax.grad gives sign(e) (0 at a tie).
        abs_e = e * s
        loss = -jnp.sum(mask * abs_e / scale)
        dshift = modulator * mask * s / scale
        d_scale = modulator * mask * (abs_e / jnp.square(scale) - 1.0 / scale)
        if scale.ndim == 0:
            d_scale = jnp.sum(d_scale)
        return state.replace(L=loss, dshift=dshift, dtarget=-dshift, dScale=d_scale)
