"""What the conductance-based synapses (exponential, alpha, double exponential) share: the
weights that presynaptic spikes cross, the peak conductance `ḡ`, the reversal potential and
the current `i = −g·g_factor·(v − E_syn)`."""

from collections.abc import Callable
from typing import ClassVar

import equinox as eqx
from jaxtyping import Array, Float

from .._core import AbstractSynapse
from .._fields import choice, parameter, size
from .._typing import OutParam
from ._synapse_helpers import (
    DECAYS,
    effective_weights,
)


class ConductanceInputs(eqx.Module):
    """`inputs`: presynaptic spikes; `v`: the postsynaptic voltage (needed iff `syn_rest` is
    set)."""

    inputs: Float[Array, " n_in"]
    v: Float[Array, " n_out"] | None = None


class AbstractConductanceSynapse(AbstractSynapse):
    """A conductance driven by presynaptic spikes through `W ⊙ M`; a subclass states how the
    conductance evolves between and at spikes. Every parameter is a scalar or `(n_out,)`."""

    Inputs: ClassVar = ConductanceInputs

    n_in: int = size()
    n_out: int = size()
    weights: Float[Array, "n_in n_out"]
    mask: Float[Array, "n_in n_out"] | None
    g_syn_bar: OutParam = parameter(per="n_out")
    syn_rest: OutParam | None = parameter(per="n_out", optional=True)
    g_conduct_factor: OutParam = parameter(per="n_out")
    decay: str = choice("linear", DECAYS)

    def drive(
        self,
        inputs: ConductanceInputs,
        weights: Array | None,
        matvec: Callable[[Array, Array], Array],
    ) -> Array:
        """`s @ (W ⊙ M)`: the presynaptic events summed per postsynaptic unit."""
        if inputs.v is None and self.syn_rest is not None:
            raise ValueError(
                f"{type(self).__name__}.step: input `v` (the postsynaptic voltage, shape "
                f"({self.n_out},)) is needed when `syn_rest` is set; pass it, or build the "
                "synapse with syn_rest=None for a current i = −g·g_conduct_factor."
            )
        w = self.weights if weights is None else weights
        return matvec(inputs.inputs, effective_weights(w, self.mask))

    def current(self, g: Array, v: Array | None) -> Array:
        """`i = −g·g_factor·(v − E_syn)`, or `−g·g_factor` without a reversal potential."""
        current = -g * self.g_conduct_factor
        if self.syn_rest is not None:
            current = current * (v - self.syn_rest)
        return current
