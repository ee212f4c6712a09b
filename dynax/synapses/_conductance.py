"""What the conductance-based synapses (exponential, alpha, double exponential) share: the
weights that presynaptic spikes cross, the peak conductance `ḡ`, the reversal potential and
the current `i = −g·g_factor·(v − E_syn)`."""

import abc
import dataclasses
from collections.abc import Callable
from typing import ClassVar

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float, PRNGKeyArray, PyTree

from .._core import AbstractSynapse, CellState
from .._fields import choice, parameter, size
from .._typing import OutParam, TimeStep
from .._validate import POSITIVE
from ..initializers import constant
from ._synapse_helpers import (
    DECAYS,
    connect,
    effective_weights,
    resolve_gain,
)


class ConductanceInputs(eqx.Module):
    """`inputs`: presynaptic spikes; `v`: the postsynaptic voltage (needed iff `syn_rest` is
    set)."""

    inputs: Float[Array, " n_in"]
    v: Float[Array, " n_out"] | None = None


class TwoStageConductanceState(CellState):
    """`h_syn`: the intermediate (rising) variable; `g_syn`: the conductance; `i_syn`: the
    synaptic current; `outputs` (= `i_syn`)."""

    h_syn: Float[Array, " n_out"]
    g_syn: Float[Array, " n_out"]
    i_syn: Float[Array, " n_out"]
    outputs: Float[Array, " n_out"]


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
        - `tau_decay`: the decay time constant τ (> 0; scalar or `(n_out,)`), in `dt`'s unit.
        - `g_syn_bar`: peak conductance per unit weight (scalar or `(n_out,)`).
        - `syn_rest`: reversal potential `E_syn` (scalar or `(n_out,)`), or `None` for a
            current that does not depend on `v`.
        - `weight_init`: initializer, spec or explicit array; default all ones.
        - `g_conduct_factor`: gain of the current (scalar or `(n_out,)`).
        - `p_conn`: probability that a connection exists (a kept Bernoulli mask).
        - `mask`: a static multiplicative `(n_in, n_out)` mask.
        - `decay`: `"linear"` (the reference's Euler scheme) or `"exponential"` (exact
            propagation).
        - `key`: PRNG key, needed only for random weights or `p_conn < 1`.
        - `resist_scale`: deprecated alias of `g_conduct_factor`.
        """
        connect(self, shape, weight_init, constant(1.0), p_conn, mask, key)
        self.tau_decay = tau_decay
        self.g_syn_bar = g_syn_bar
        self.syn_rest = syn_rest
        self.g_conduct_factor = resolve_gain(type(self).__name__, g_conduct_factor, resist_scale)
        self.decay = decay

    def init_state(self, *, key: PRNGKeyArray | None = None) -> PyTree:
        """All zeros (the reference's reset)."""
        zeros = jnp.zeros((self.n_out,), self.weights.dtype)
        return self.State(**{f.name: zeros for f in dataclasses.fields(self.State)})

    @abc.abstractmethod
    def conduct(self, state: CellState, drive: Array, dt: TimeStep) -> dict[str, Array]:
        """The new conductance variables (`g_syn`, and `h_syn` for two stages) after `dt`,
        given the presynaptic `drive = s @ (W ⊙ M)` of this step."""

    def transmit(
        self,
        state: CellState,
        inputs: ConductanceInputs,
        key: PRNGKeyArray | None,
        dt: TimeStep,
        *,
        weights: Float[Array, "n_in n_out"] | None = None,
        matvec: Callable[[Array, Array], Array] = jnp.matmul,
    ) -> CellState:
        """Advances the conductance by `dt` (`conduct`) and computes the current, with
        `self.weights` or the given `weights` and the product `matvec(a, W) = a @ W`; `key` is
        unused."""
        self.check_step(state, inputs, dt)
        conductance = self.conduct(state, self.drive(inputs, weights, matvec), dt)
        current = self.current(conductance["g_syn"], inputs.v)
        return state.replace(**conductance, i_syn=current, outputs=current)

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
