"""What the conductance-based synapses (exponential, alpha, double exponential) share: the
weights that presynaptic spikes cross (a dense matrix, or any `dynax.connectivity` with its
delays), the peak conductance `ḡ`, the reversal potential and the current
`i = −g·g_factor·(v − E_syn)`."""

import abc
import dataclasses
from collections.abc import Callable
from typing import Any, ClassVar

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float, Int, PRNGKeyArray, PyTree

from .._core import AbstractSynapse, CellState
from .._fields import choice, parameter, size
from .._typing import OutParam, TimeStep
from .._validate import POSITIVE, fail
from ..connectivity import AbstractConnectivity
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
    synaptic current; `outputs` (= `i_syn`); on a connectivity with delays, its ring of
    `arrivals` and `head` (else `None`)."""

    h_syn: Float[Array, " n_out"]
    g_syn: Float[Array, " n_out"]
    i_syn: Float[Array, " n_out"]
    outputs: Float[Array, " n_out"]
    arrivals: Float[Array, "slots n_out"] | None = None
    head: Int[Array, ""] | None = None


class AbstractConductanceSynapse(AbstractSynapse):
    """A conductance driven by presynaptic spikes through `W ⊙ M`, or through a
    `connectivity` (sparse, procedural, delayed, event-driven); a subclass states how the
    conductance evolves between and at spikes. Every parameter is a scalar or `(n_out,)`."""

    Inputs: ClassVar = ConductanceInputs

    n_in: int = size()
    n_out: int = size()
    weights: Float[Array, "n_in n_out"] | None
    mask: Float[Array, "n_in n_out"] | None
    connectivity: AbstractConnectivity | None
    g_syn_bar: OutParam = parameter(per="n_out")
    syn_rest: OutParam | None = parameter(per="n_out", optional=True)
    g_conduct_factor: OutParam = parameter(per="n_out")
    decay: str = choice("linear", DECAYS)
    tau_decay: OutParam = parameter(constraint=POSITIVE, per="n_out")

    def __init__(
        self,
        shape: tuple[int, int] | None,
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
        connectivity: AbstractConnectivity | None = None,
    ):
        """**Arguments:**

        - `shape`: `(n_in, n_out)`; `None` (or the same) with a `connectivity`.
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
        - `connectivity`: the synapses, in place of a dense `weight_init`/`p_conn`/`mask`
            (see `dynax.connectivity`); its delays are kept in the state's ring.
        """
        self.connectivity = connectivity
        if connectivity is None:
            connect(self, shape, weight_init, constant(1.0), p_conn, mask, key)
        else:
            self.n_in, self.n_out = _connectivity_shape(self, connectivity, shape)
            self.weights = self.mask = None
            for name, value in (("weight_init", weight_init), ("mask", mask)):
                if value is not None:
                    fail(type(self).__name__, name, "None with a `connectivity`", "a value")
            if not (isinstance(p_conn, int | float) and p_conn == 1.0):
                fail(type(self).__name__, "p_conn", "1.0 with a `connectivity`", repr(p_conn))
        self.tau_decay = tau_decay
        self.g_syn_bar = g_syn_bar
        self.syn_rest = syn_rest
        self.g_conduct_factor = resolve_gain(type(self).__name__, g_conduct_factor, resist_scale)
        self.decay = decay

    def init_state(self, *, key: PRNGKeyArray | None = None) -> PyTree:
        """All zeros (the reference's reset), an empty ring of arrivals on a delayed
        connectivity."""
        dtype = jnp.float32 if self.weights is None else self.weights.dtype
        zeros = jnp.zeros((self.n_out,), dtype)
        fields = [f.name for f in dataclasses.fields(self.State) if f.default is not None]
        state = self.State(**{name: zeros for name in fields})
        if self.connectivity is not None and self.connectivity.max_delay:
            arrivals, head = self.connectivity.init_arrivals(dtype)
            state = dataclasses.replace(state, arrivals=arrivals, head=head)
        return state

    def dimensions(self) -> dict[str, int]:
        """`n_in`, `n_out`, and `slots`, the length of a delayed connectivity's ring."""
        dims = super().dimensions()
        if self.connectivity is not None and self.connectivity.max_delay:
            dims["slots"] = self.connectivity.max_delay + 1
        return dims

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
        drive, ring = self.drive(state, inputs, weights, matvec)
        conductance = self.conduct(state, drive, dt)
        current = self.current(conductance["g_syn"], inputs.v)
        return state.replace(**conductance, **ring, i_syn=current, outputs=current)

    def drive(
        self,
        state: CellState,
        inputs: ConductanceInputs,
        weights: Array | None,
        matvec: Callable[[Array, Array], Array],
    ) -> tuple[Array, dict[str, Array]]:
        """`s @ (W ⊙ M)`, the presynaptic events summed per postsynaptic unit (through the
        connectivity: what arrives at this step), and the ring's new `arrivals`/`head`."""
        if inputs.v is None and self.syn_rest is not None:
            raise ValueError(
                f"{type(self).__name__}.step: input `v` (the postsynaptic voltage, shape "
                f"({self.n_out},)) is needed when `syn_rest` is set; pass it, or build the "
                "synapse with syn_rest=None for a current i = −g·g_conduct_factor."
            )
        if self.connectivity is None:
            w = self.weights if weights is None else weights
            return matvec(inputs.inputs, effective_weights(w, self.mask)), {}
        if weights is not None:
            fail(f"{type(self).__name__}.transmit", "weights", "None on a connectivity", "a matrix")
        if not self.connectivity.max_delay:
            return self.connectivity.propagate(inputs.inputs), {}
        now, arrivals, head = self.connectivity.receive(inputs.inputs, state.arrivals, state.head)
        return now, {"arrivals": arrivals, "head": head}

    def current(self, g: Array, v: Array | None) -> Array:
        """`i = −g·g_factor·(v − E_syn)`, or `−g·g_factor` without a reversal potential."""
        current = -g * self.g_conduct_factor
        if self.syn_rest is not None:
            current = current * (v - self.syn_rest)
        return current


def _connectivity_shape(synapse, connectivity: Any, shape: Any) -> tuple[int, int]:
    """`(n_in, n_out)` of the connectivity, which `shape` (if given) must be."""
    owner = type(synapse).__name__
    if not isinstance(connectivity, AbstractConnectivity):
        fail(owner, "connectivity", "a dynax.connectivity connectivity", repr(type(connectivity)))
    sizes = (connectivity.n_in, connectivity.n_out)
    if shape is not None and tuple(shape) != sizes:
        fail(owner, "shape", f"None or {sizes} (the connectivity's)", repr(shape))
    return sizes
