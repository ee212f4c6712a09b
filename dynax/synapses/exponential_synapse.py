"""ExponentialSynapse: a single-exponential conductance driven by presynaptic spikes
(ngclearn's `ExponentialSynapse`)."""

from typing import ClassVar

from jaxtyping import Array, Float, Int

from .._core import CellState
from .._typing import TimeStep
from ._conductance import AbstractConductanceSynapse
from ._synapse_helpers import leak_fraction


class ExponentialSynapseState(CellState):
    """`g_syn`: the conductance; `i_syn`: the synaptic current; `outputs` (= `i_syn`); on a
    connectivity with delays, its ring of `arrivals` and `head` (else `None`)."""

    g_syn: Float[Array, " n_out"]
    i_syn: Float[Array, " n_out"]
    outputs: Float[Array, " n_out"]
    arrivals: Float[Array, "slots n_out"] | None = None
    head: Int[Array, ""] | None = None


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

    def conduct(self, state: ExponentialSynapseState, drive: Array, dt: TimeStep) -> dict:
        """`g⁺ = g − λ·g + ḡ·drive`."""
        g = state.g_syn
        return {
            "g_syn": g - leak_fraction(dt, self.tau_decay, self.decay) * g + self.g_syn_bar * drive
        }
