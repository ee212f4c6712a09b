"""DoubleExpSynapse: a difference-of-exponentials conductance with rise and decay time
constants (ngclearn's `DoubleExpSynapse`, which fails to compile in 3.2.3)."""

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
from ._synapse_helpers import connect, resolve_gain


class DoubleExpSynapseState(CellState):
    """`h_syn`: the intermediate (rising) variable; `g_syn`: the conductance; `i_syn`: the
    synaptic current; `outputs` (= `i_syn`)."""

    h_syn: Float[Array, " n_out"]
    g_syn: Float[Array, " n_out"]
    i_syn: Float[Array, " n_out"]
    outputs: Float[Array, " n_out"]


class DoubleExpSynapse(AbstractConductanceSynapse):
    r"""A difference-of-exponentials conductance, the linear system

    $$\frac{dh}{dt} = −\frac{h}{τ_r} + κ A\,ḡ\sum_k (s_k @ W)\,δ(t − t_k),\qquad
    \frac{dg}{dt} = −\frac{g}{τ_d} + h,$$

    with `κ = 1/τ_r − 1/τ_d` (the reference's factor) and the normalisation
    `A = 1/(exp(−t*/τ_d) − exp(−t*/τ_r))`, so that one spike through weight `w` gives

    $$g(t) = ḡ\,w\,A\,(e^{−t/τ_d} − e^{−t/τ_r}),$$

    which peaks at `ḡ·w` at `t* = τ_r τ_d/(τ_d − τ_r)·ln(τ_d/τ_r)` (`ḡ` is the peak
    conductance, as for `ExponentialSynapse`). The current is `i = −g·g_factor·(v − E_syn)`
    (`−g·g_factor` with `syn_rest=None`); `outputs = i_syn`. Needs `τ_r < τ_d` (equal time
    constants are the `AlphaSynapse`).

    Discrete steps: `decay="linear"` (the reference's Euler scheme),
    `h⁺ = h − h·dt/τ_r + κA·ḡ(s@W)`, `g⁺ = g − g·dt/τ_d + h⁺·dt`, tends to the closed form
    as `dt → 0`; `decay="exponential"` propagates exactly,
    `h⁺ = h·a_r + κA·ḡ(s@W)`, `g⁺ = g·a_d + h·(a_d − a_r)/κ` with `a = exp(−dt/τ)`, so the
    samples lie on the closed form for any `dt`.

    Differences from ngclearn 3.2.3: `docs/migrating-from-ngclearn.md` §7.2.
    """

    State: ClassVar = DoubleExpSynapseState
    tau_decay: OutParam = parameter(constraint=POSITIVE, per="n_out")
    tau_rise: OutParam = parameter(
        constraint=POSITIVE,
        per="n_out",
        below="tau_decay",
        why="For equal time constants use AlphaSynapse.",
    )

    def __init__(
        self,
        shape: tuple[int, int],
        tau_decay: ArrayLike,
        tau_rise: ArrayLike,
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
        - `tau_decay`: decay time constant τ_d (> τ_r; scalar or `(n_out,)`).
        - `tau_rise`: rise time constant τ_r (> 0; scalar or `(n_out,)`).
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
        self.tau_rise = tau_rise
        self.g_syn_bar = g_syn_bar
        self.syn_rest = syn_rest
        self.g_conduct_factor = resolve_gain(type(self).__name__, g_conduct_factor, resist_scale)
        self.decay = decay

    def init_state(self, *, key: PRNGKeyArray | None = None) -> DoubleExpSynapseState:
        """All zeros (the reference's reset)."""
        zeros = jnp.zeros((self.n_out,), self.weights.dtype)
        return DoubleExpSynapseState(h_syn=zeros, g_syn=zeros, i_syn=zeros, outputs=zeros)

    def transmit(
        self,
        state: DoubleExpSynapseState,
        inputs: ConductanceInputs,
        key: PRNGKeyArray | None,
        dt: TimeStep,
        *,
        weights: Float[Array, "n_in n_out"] | None = None,
        matvec: Callable[[Array, Array], Array] = jnp.matmul,
    ) -> DoubleExpSynapseState:
        """Advances `h` and `g` by `dt` and computes the current; `key` is unused."""
        self.check_step(state, inputs, dt)
        drive = self.drive(inputs, weights, matvec)
        h, g = state.h_syn, state.g_syn
        tau_r, tau_d = self.tau_rise, self.tau_decay
        # κ·A = r^(−r/(1−r))/τ_r with r = τ_r/τ_d (the peak of e^{−t/τ_d} − e^{−t/τ_r} is
        # (1 − r)·r^(r/(1−r))).
        r = tau_r / tau_d
        jump = jnp.power(r, -r / (1.0 - r)) / tau_r * self.g_syn_bar * drive
        if self.decay == "linear":
            h_new = h - h * dt / tau_r + jump
            g_new = g - g * dt / tau_d + h_new * dt
        else:
            kappa = 1.0 / tau_r - 1.0 / tau_d
            a_r, a_d = jnp.exp(-dt / tau_r), jnp.exp(-dt / tau_d)
            # (a_d − a_r)/κ written without cancellation: a_d·(1 − exp(−κ·dt))/κ
            h_new = h * a_r + jump
            g_new = g * a_d + h * (a_d * -jnp.expm1(-kappa * dt) / kappa)
        current = self.current(g_new, inputs.v)
        return state.replace(h_syn=h_new, g_syn=g_new, i_syn=current, outputs=current)
