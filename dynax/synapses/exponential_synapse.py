"""ExponentialSynapse: a single-exponential conductance driven by presynaptic spikes
(ngclearn's `ExponentialSynapse`)."""

from typing import ClassVar

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float, PRNGKeyArray

from .._core import AbstractSynapse
from .._typing import TimeStep
from ._synapse_helpers import (
    build_conductance,
    conductance_current,
    conductance_drive,
    leak_fraction,
    time_constant,
)


class ExponentialSynapseState(eqx.Module):
    """`g_syn`: the conductance; `i_syn`: the synaptic current; `outputs` (= `i_syn`)."""

    g_syn: Float[Array, " n_out"]
    i_syn: Float[Array, " n_out"]
    outputs: Float[Array, " n_out"]


class ExponentialSynapseInputs(eqx.Module):
    """`inputs`: presynaptic spikes; `v`: the postsynaptic voltage (needed iff `syn_rest` is
    set)."""

    inputs: Float[Array, " n_in"]
    v: Float[Array, " n_out"] | None = None


class ExponentialSynapse(AbstractSynapse):
    r"""A conductance that jumps by `ḡ·(s @ W)` at presynaptic spikes and decays with `τ`:

    $$g^+ = g − λ g + ḡ\,(s\,@\,(W ⊙ M)),\qquad i = −g^+·g_{factor}·(v − E_{syn}),$$

    with `λ = dt/τ` (`decay="linear"`, the reference's Euler step of
    `dg/dt = −g/τ + ḡ(s@W)/dt`) or `λ = 1 − exp(−dt/τ)` (`decay="exponential"`, exact). A
    single spike through weight `w` gives `g(t) = ḡ·w·exp(−t/τ)`: `ḡ` is the peak conductance.
    Without a reversal potential (`syn_rest=None`) the current is `i = −g⁺·g_factor`.
    `outputs = i_syn`.

    Differences from ngclearn 3.2.3: `p_conn` masks (the reference forwards it into the
    release probability, a no-op here); `is_nonplastic` is gone: the weights default to ones
    (the reference's default) and `weight_init` gives others; there is no bias (the
    reference's is never used).
    """

    State: ClassVar = ExponentialSynapseState
    Inputs: ClassVar = ExponentialSynapseInputs

    weights: Float[Array, "n_in n_out"]
    mask: Float[Array, "n_in n_out"] | None
    tau_decay: Float[Array, ""] | Float[Array, " n_out"]
    g_syn_bar: Float[Array, ""] | Float[Array, " n_out"]
    syn_rest: Float[Array, ""] | Float[Array, " n_out"] | None
    g_conduct_factor: Float[Array, ""] | Float[Array, " n_out"]
    n_in: int = eqx.field(static=True)
    n_out: int = eqx.field(static=True)
    decay: str = eqx.field(static=True)

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
        owner = type(self).__name__
        fields = build_conductance(
            owner,
            shape,
            weight_init,
            g_syn_bar,
            syn_rest,
            g_conduct_factor,
            p_conn,
            mask,
            decay,
            key,
            resist_scale,
        )
        for name, value in fields.items():
            setattr(self, name, value)
        self.tau_decay = time_constant(owner, "tau_decay", tau_decay, self.n_out)

    def init_state(self, *, key: PRNGKeyArray | None = None) -> ExponentialSynapseState:
        """All zeros (the reference's reset)."""
        zeros = jnp.zeros((self.n_out,), self.weights.dtype)
        return ExponentialSynapseState(g_syn=zeros, i_syn=zeros, outputs=zeros)

    def step(
        self,
        state: ExponentialSynapseState,
        inputs: ExponentialSynapseInputs,
        key: PRNGKeyArray | None,
        dt: TimeStep,
    ) -> ExponentialSynapseState:
        """Decays `g` over `dt`, adds the spikes' jumps, and computes the current; `key` is
        unused."""
        drive = conductance_drive(type(self).__name__, self, inputs)
        dtype = state.g_syn.dtype
        g = state.g_syn
        g = g - leak_fraction(dt, self.tau_decay, self.decay) * g + self.g_syn_bar * drive
        current = conductance_current(self, g, inputs.v)
        return ExponentialSynapseState(
            g_syn=g.astype(dtype), i_syn=current.astype(dtype), outputs=current.astype(dtype)
        )
