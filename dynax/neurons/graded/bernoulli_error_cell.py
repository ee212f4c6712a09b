"""BernoulliErrorCell: the error unit of a Bernoulli likelihood (ngclearn's
`BernoulliErrorCell`)."""

import math
from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from ..._core import AbstractCell, CellState
from ..._fields import number, size, switch
from ..._typing import TimeStep
from ..._validate import Interval


class BernoulliErrorCellState(CellState):
    """The outputs of the last step: `L` (the log-likelihood, a scalar), `dp` and `dtarget`
    (one value per unit)."""

    L: Float[Array, ""]
    dp: Float[Array, " n"]
    dtarget: Float[Array, " n"]


class BernoulliErrorCellInputs(eqx.Module):
    """`p`: the predicted probabilities (or logits, see `input_logits`); `target`: the observed
    values x (0/1, or soft targets in [0, 1]); `modulator`: scales the derivative outputs per
    unit (`None` ⇒ 1); `mask`: 1 where a unit is observed in this step, 0 where it is not
    (`None` ⇒ all observed)."""

    p: Float[Array, " n"]
    target: Float[Array, " n"]
    modulator: Float[Array, " n"] | None = None
    mask: Float[Array, " n"] | None = None


@jax.custom_jvp
def _straight_through_clip(x, lower, upper):
    """`clip(x, lower, upper)` in value (exactly: no `x + (clip − x)` cancellation, which loses
    `p = −5`'s clip to 1e-4 and puts `p = 3000`'s at 1.0), identity in derivative."""
    return jnp.clip(x, lower, upper)


@_straight_through_clip.defjvp
def _straight_through_clip_jvp(primals, tangents):
    x, lower, upper = primals
    return _straight_through_clip(x, lower, upper), tangents[0]


class BernoulliErrorCell(AbstractCell):
    r"""The error unit of a Bernoulli likelihood.

    The probability is `q = p` (or `q = σ(p)` with `input_logits=True`), clipped to
    `[eps, 1 − eps]`. With the target x, the mask `k` and the modulator `m`, one step computes

    $$L = \sum_i k_i \big[x_i \log q_i + (1 − x_i) \log(1 − q_i)\big], \qquad
    \text{dtarget} = m ⊙ k ⊙ \log\frac{q}{1 − q} = m ⊙ \frac{∂L}{∂x},$$

    $$\text{dp} = m ⊙ k ⊙ \Big(\frac{x}{q} − \frac{1 − x}{1 − q}\Big) \text{ (probabilities)},
    \qquad \text{dp} = m ⊙ k ⊙ (x − q) \text{ (logits)},$$

    so that `dp = m ⊙ ∂L/∂p`. Where the clip is active (p outside [eps, 1 − eps], or |p| beyond
    logit(1 − eps) for logits) the formulas are evaluated at the clipped q, as in the
    reference: the clip acts as a straight-through estimator (identity derivative), so the
    gradient keeps pointing towards the target instead of vanishing, and `jax.grad` of `L`
    gives the same values as `dp` there too. Probabilities outside [0, 1] (inputs are not
    validated: they are traced values) are clipped the same way, so every finite input gives
    finite outputs. Logits are clipped in logit space and `log q`, `log(1 − q)` are computed
    with `log σ`, which keeps them accurate near saturation.

    The cell is a stateless map: the state holds the outputs of the last step, and `dt` and
    `key` are unused. A batch is `jax.vmap`; `L` is per sample (sum it for the batch total).

    **Arguments:**

    - `n_units`: number of units.
    - `input_logits`: `p` holds logits (`q = σ(p)`) instead of probabilities.
    - `eps`: q is clipped to `[eps, 1 − eps]`, with 0 < eps < 0.5 (the reference's 1e-4).

    Differences from ngclearn 3.2.3: `docs/migrating-from-ngclearn.md` §7.2.
    """

    State: ClassVar = BernoulliErrorCellState
    Inputs: ClassVar = BernoulliErrorCellInputs

    n_units: int = size()
    input_logits: bool = switch(False)
    eps: float = number(1e-4, Interval(0.0, 0.5, False, False))

    def init_state(self, *, key: PRNGKeyArray | None = None) -> BernoulliErrorCellState:
        """All zeros (the reference's reset)."""
        zeros = jnp.zeros((self.n_units,), jnp.result_type(float))
        return BernoulliErrorCellState(L=jnp.zeros((), zeros.dtype), dp=zeros, dtarget=zeros)

    def step(
        self,
        state: BernoulliErrorCellState,
        inputs: BernoulliErrorCellInputs,
        key: PRNGKeyArray | None,
        dt: TimeStep,
    ) -> BernoulliErrorCellState:
        """The log-likelihood and derivatives of this step (see the class docstring);
        `state`'s values, `key` and `dt` are unused."""
        self.check_step(state, inputs, dt)
        modulator = 1.0 if inputs.modulator is None else inputs.modulator
        mask = 1.0 if inputs.mask is None else inputs.mask
        x = inputs.target
        if self.input_logits:
            bound = math.log((1.0 - self.eps) / self.eps)  # logit(1 − eps)
            z = _straight_through_clip(inputs.p, -bound, bound)
            q = jax.nn.sigmoid(z)
            log_q, log_1mq = jax.nn.log_sigmoid(z), jax.nn.log_sigmoid(-z)
            grad_p = x - q
        else:
            q = _straight_through_clip(inputs.p, self.eps, 1.0 - self.eps)
            log_q, log_1mq = jnp.log(q), jnp.log1p(-q)
            grad_p = x / q - (1.0 - x) / (1.0 - q)
        loss = jnp.sum(mask * (x * log_q + (1.0 - x) * log_1mq))
        gain = modulator * mask
        return state.replace(L=loss, dp=gain * grad_p, dtarget=gain * (log_q - log_1mq))
