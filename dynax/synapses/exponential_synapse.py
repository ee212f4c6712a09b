"""ExponentialSynapse: a single-exponential conductance driven by presynaptic spikes
(ngclearn's `ExponentialSynapse`)."""

from collections.abc import Callable
from typing import ClassVar

import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float, PRNGKeyArray

from .._core import CellState
from .._fields import parameter
from .._typing import OutParam, TimeStep
from .._validate import POSITIVE
from ..initializers import constant
from ._conductance import AbstractConductanceSynapse, ConductanceInputs
from ._synapse_helpers import connect, leak_fraction, resolve_gain


class ExponentialSynapseState(CellState):
    """`g_syn`: the conductance; `i_syn`: the synaptic current; `outputs` (= `i_syn`)."""

    g_syn: Float[Array, " n_out"]
    i_syn: Float[Array, " n_out"]
    outputs: Float[Array, " n_out"]


class ExponentialSynapse(AbstractConductanceSynapse):
    r"""A conductance that jumps by `ḡ·(s @ W)` at presynaptic spikes and decays with `τ`:

    $$g^+ = g − λ g + ḡ\,(s\,@\,(W ⊙ M)),\qquad i = −g^+·g_{factor}·(v − E_{syn}),$$

    with `λ = dt/τ` (`decay="linear"`, the reference's Euler step of
    `dg/dt = −g/τ + ḡ(s@W)/dt`) or `λ = 1 − exp(−dt/τ)` (`decay="exponential"`, exact). A
    single spike through weight `w` gives `g(t) = ḡ·w·exp(−t/τ)`: `ḡ` is the peak conductance.
    Without a reversal potential (`syn_rest=None`) the current is `i = −g⁺·g_factor`.
    `outputs = i_syn`.

    Differences from ngclearn 3.2.3: `docs/migrating-from-ngclearn.md` §7.2.
    """

    State: ClassVar = ExponentialSynapseState
    tau_decay: OutParam = parameter(constraint=POSITIVE, per="n_out")

    def __init__(
        self,
        shape: tuple[int, int],
        tau_decay: ArrayLike,
        g_syn_bar: ArrayLike,
        syn_rest: ArrayLike | None,
        weight_init=None,
        *,
        g_conduct_factor: ArrayLike = 1.0,
        p_conn: ArrayLike = 1.0,
        mask: ArrayLike | None = None,
        decay: str = "linear",
        key: PRNGKeyArray | None = None,
        resist_scale: ArrayLike | None = None,
    ):
        """**Arguments:**

        - `shape`: `(n_in, n_out)`.
        - `tau_decay`: decay time constant (> 0; scalar or `(n_out,)`), in `dt`'s unit.
        - `g_syn_bar`: peak conductance per unit weight (scalar or `(n_out,)`).
        - `syn_rest`: reversal potential `E_syn` (scalar or `(n_out,)`), or `None` for a
            current that does not depend on `v`.
        - `weight_init`: initializer, spec or explicit array; default all ones.
        - `g_conduct_factor`: gain of the current (scalar or `(n_out,)`).
        - `p_conn`: probability that a connection exists (a kept Bernoulli mask).
        - `mask`: a static multiplicative `(n_in, n_out)` mask.
        - `decay`: `"linear"` (the reference's) or `"exponential"` (exact).
        - `key`: PRNG key, needed only for random weights or `p_conn < 1`.
        - `resist_scale`: deprecated alias of `g_conduct_factor`.
        """
        connect(self, shape, weight_init, constant(1.0), p_conn, mask, key)
        self.tau_decay = tau_decay
        self.g_syn_bar = g_syn_bar
        self.syn_rest = syn_rest
        self.g_conduct_factor = resolve_gain(type(self).__name__, g_conduct_factor, resist_scale)
        self.decay = decay

    def init_state(self, *, key: PRNGKeyArray | None = None) -> ExponentialSynapseState:
        """All zeros (the reference's reset)."""
        zeros = jnp.zeros((self.n_out,), self.weights.dtype)
        return ExponentialSynapseState(g_syn=zeros, i_syn=zeros, outputs=zeros)

    def transmit(
        self,
        state: ExponentialSynapseState,
        inputs: ConductanceInputs,
        key: PRNGKeyArray | None,
        dt: TimeStep,
        *,
        weights: Float[Array, "n_in n_out"] | None = None,
        matvec: Callable[[Array, Array], Array] = jnp.matmul,
    ) -> ExponentialSynapseState:
        """Decays `g` over `dt`, adds the spikes' jumps, and computes the current; `key` is
        unused."""
        self.check_step(state, inputs, dt)
        g = state.g_syn
        jump = self.g_syn_bar * self.drive(inputs, weights, matvec)
        g = g - leak_fraction(dt, self.tau_decay, self.decay) * g + jump
        current = self.current(g, inputs.v)
        return state.replace(g_syn=g, i_syn=current, outputs=current)
