"""AlphaSynapse: an alpha-function conductance `g(t) ∝ t·exp(−t/τ)` driven by presynaptic
spikes (ngclearn's `AlphaSynapse`, which fails to compile in 3.2.3)."""

import math
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


class AlphaSynapseState(CellState):
    """`h_syn`: the intermediate (rising) variable; `g_syn`: the conductance; `i_syn`: the
    synaptic current; `outputs` (= `i_syn`)."""

    h_syn: Float[Array, " n_out"]
    g_syn: Float[Array, " n_out"]
    i_syn: Float[Array, " n_out"]
    outputs: Float[Array, " n_out"]


class AlphaSynapse(AbstractConductanceSynapse):
    r"""An alpha-function conductance, the linear system

    $$\frac{dh}{dt} = −\frac{h}{τ} + e\,ḡ\sum_k (s_k @ W)\,δ(t − t_k),\qquad
    \frac{dg}{dt} = \frac{h − g}{τ},$$

    so that one spike through weight `w` gives `g(t) = ḡ·w·(t/τ)·exp(1 − t/τ)`, which peaks at
    `ḡ·w` at `t = τ` (`ḡ` is the peak conductance, as for `ExponentialSynapse`). The current
    is `i = −g·g_factor·(v − E_syn)` (`−g·g_factor` with `syn_rest=None`); `outputs = i_syn`.

    Discrete steps: `decay="linear"` (the reference's Euler scheme),
    `h⁺ = h − h·dt/τ + e·ḡ(s@W)`, `g⁺ = g − g·dt/τ + h⁺·dt/τ`, which tends to the alpha
    function as `dt → 0`; `decay="exponential"` propagates the system exactly over `dt`,
    `h⁺ = h·a + e·ḡ(s@W)`, `g⁺ = (g + h·dt/τ)·a` with `a = exp(−dt/τ)`, so the samples lie on
    the alpha function for any `dt`.

    Differences from ngclearn 3.2.3: `docs/migrating-from-ngclearn.md` §7.2.
    """

    State: ClassVar = AlphaSynapseState
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
        - `tau_decay`: the time constant τ (> 0; scalar or `(n_out,)`); the response peaks
            at `t = τ`.
        - `g_syn_bar`: peak conductance per unit weight (scalar or `(n_out,)`).
        - `syn_rest`: reversal potential `E_syn` (scalar or `(n_out,)`), or `None`.
        - `weight_init`: initializer, spec or explicit array; default all ones.
        - `g_conduct_factor`: gain of the current (scalar or `(n_out,)`).
        - `p_conn`: probability that a connection exists (a kept Bernoulli mask).
        - `mask`: a static multiplicative `(n_in, n_out)` mask.
        - `decay`: `"linear"` (Euler) or `"exponential"` (exact propagation).
        - `key`: PRNG key, needed only for random weights or `p_conn < 1`.
        - `resist_scale`: deprecated alias of `g_conduct_factor`.
        """
        connect(self, shape, weight_init, constant(1.0), p_conn, mask, key)
        self.tau_decay = tau_decay
        self.g_syn_bar = g_syn_bar
        self.syn_rest = syn_rest
        self.g_conduct_factor = resolve_gain(type(self).__name__, g_conduct_factor, resist_scale)
        self.decay = decay

    def init_state(self, *, key: PRNGKeyArray | None = None) -> AlphaSynapseState:
        """All zeros (the reference's reset)."""
        zeros = jnp.zeros((self.n_out,), self.weights.dtype)
        return AlphaSynapseState(h_syn=zeros, g_syn=zeros, i_syn=zeros, outputs=zeros)

    def transmit(
        self,
        state: AlphaSynapseState,
        inputs: ConductanceInputs,
        key: PRNGKeyArray | None,
        dt: TimeStep,
        *,
        weights: Float[Array, "n_in n_out"] | None = None,
        matvec: Callable[[Array, Array], Array] = jnp.matmul,
    ) -> AlphaSynapseState:
        """Advances `h` and `g` by `dt` and computes the current; `key` is unused."""
        self.check_step(state, inputs, dt)
        drive = self.drive(inputs, weights, matvec)
        h, g = state.h_syn, state.g_syn
        jump = math.e * self.g_syn_bar * drive
        rate = dt / self.tau_decay
        if self.decay == "linear":
            h_new = h - rate * h + jump
            g_new = g - rate * g + rate * h_new
        else:
            kept = 1.0 - leak_fraction(dt, self.tau_decay, "exponential")
            h_new = h * kept + jump
            g_new = (g + rate * h) * kept
        current = self.current(g_new, inputs.v)
        return state.replace(h_syn=h_new, g_syn=g_new, i_syn=current, outputs=current)
