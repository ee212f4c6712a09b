"""EINetwork: a sparse population of excitatory and inhibitory LIF cells (the COBA and CUBA
benchmark networks of Brette et al. 2007, after Vogels & Abbott 2005)."""

from typing import ClassVar, Literal

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float, PRNGKeyArray

from .._core import AbstractCell
from .._fields import argument, checked_size
from .._typing import TimeStep
from .._validate import fail
from ..connectivity import (
    MIN_EVENTS,
    AbstractConnectivity,
    ProceduralConnectivity,
    fixed_in_degree,
    fixed_probability,
)
from ..neurons.spiking._base import CurrentInputs
from ..neurons.spiking.integrate_and_fire import LIFCellState
from ..neurons.spiking.lif_cell import LIFCell
from ..synapses.exponential_synapse import ExponentialSynapse, ExponentialSynapseState

Connection = Literal["fixed_probability", "fixed_in_degree", "procedural"]


class EINetworkState(eqx.Module):
    """`cell`: the population (spikes in `cell.s`, the first `n_e` excitatory);
    `excitatory`, `inhibitory`: the two synapses' states."""

    cell: LIFCellState
    excitatory: ExponentialSynapseState
    inhibitory: ExponentialSynapseState


class EINetworkInputs(eqx.Module):
    """`current`: an external current added to every cell's input (`None`: none)."""

    current: Float[Array, " n"] | None = None


class EINetwork(AbstractCell):
    r"""`n_units` LIF cells, the first `n_e` excitatory, each receiving the spikes of the
    excitatory cells through `excitatory` and of the inhibitory ones through `inhibitory`
    (two `ExponentialSynapse`s on sparse connectivities), plus a constant `bias`:

    $$j = i_e + i_i + \text{bias} + \text{current},$$

    with `i = −g·(v − E)` (conductance-based, COBA) or `i = g` (current-based, CUBA: the
    synapse without a reversal potential and gain −1). A spike of step n reaches the
    conductances at step n + 1 plus the synapse's delay. `EINetwork.coba` and `.cuba` build
    the benchmarks of Brette et al. (2007) at any size.
    """

    State: ClassVar = EINetworkState
    Inputs: ClassVar = EINetworkInputs

    cell: LIFCell
    excitatory: ExponentialSynapse
    inhibitory: ExponentialSynapse
    bias: Float[Array, ""]
    n_units: int = eqx.field(static=True)
    n_e: int = eqx.field(static=True)
    initial_v: tuple[str, float, float] = eqx.field(static=True)

    def __init__(
        self,
        cell: LIFCell,
        excitatory: ExponentialSynapse,
        inhibitory: ExponentialSynapse,
        bias: ArrayLike = 0.0,
        *,
        initial_v: tuple[str, float, float] | None = None,
    ):
        """**Arguments:**

        - `cell`: the population, `n_units` LIF cells.
        - `excitatory`: a synapse `(n_e, n_units)` from the first `n_e` cells.
        - `inhibitory`: a synapse `(n_units − n_e, n_units)` from the others.
        - `bias`: a constant current into every cell.
        - `initial_v`: `("normal", mean, std)` or `("uniform", low, high)`: the voltages
            `init_state(key=...)` draws (default: every cell at `v_rest`, also without a key).
        """
        owner = type(self).__name__
        self.cell, self.excitatory, self.inhibitory = cell, excitatory, inhibitory
        self.n_units = cell.n_units
        self.n_e = excitatory.n_in
        for name, synapse, n_in in (
            ("excitatory", excitatory, self.n_e),
            ("inhibitory", inhibitory, self.n_units - self.n_e),
        ):
            if (synapse.n_in, synapse.n_out) != (n_in, self.n_units):
                allowed = f"a synapse of shape {(n_in, self.n_units)}"
                fail(owner, name, allowed, f"shape {(synapse.n_in, synapse.n_out)}")
        self.bias = jnp.asarray(argument(owner, "bias", bias), jnp.float32)
        if initial_v is not None and not (
            len(initial_v) == 3 and initial_v[0] in ("normal", "uniform")
        ):
            fail(
                owner,
                "initial_v",
                "('normal', mean, std) or ('uniform', low, high)",
                repr(initial_v),
            )
        self.initial_v = None if initial_v is None else (initial_v[0], *map(float, initial_v[1:]))

    @classmethod
    def coba(
        cls,
        key: PRNGKeyArray,
        n_units: int = 4000,
        *,
        connection: Connection = "fixed_probability",
        in_degree: int = 80,
        delay: int | None = None,
        event_capacity: int = MIN_EVENTS,
    ) -> "EINetwork":
        """Brette et al. (2007) benchmark 1 (COBA) in the version of the BrainPy/Brian2
        scaling studies: τ_m 20 ms, E_L = v_reset = −60 mV, v_thr −50 mV, refractory 5 ms,
        exponential conductances τ_e 5 ms, τ_i 10 ms, E_e 0 mV, E_i −80 mV, weights 0.6 and
        6.7 (in units of the leak conductance), a bias of 20 mV, `in_degree` inputs per cell
        on average (p = in_degree/n: 0.02 at 4 000), v(0) ~ N(−55, 5) mV, Euler (dt 0.1 ms)."""
        return cls._brette(
            key,
            n_units,
            connection,
            in_degree,
            delay,
            event_capacity,
            v_rest=-60.0,
            tau=(5.0, 10.0),
            weights=(0.6, 6.7),
            reversal=(0.0, -80.0),
            bias=20.0,
            initial_v=("normal", -55.0, 5.0),
            exact=False,
        )

    @classmethod
    def cuba(
        cls,
        key: PRNGKeyArray,
        n_units: int = 4000,
        *,
        connection: Connection = "fixed_probability",
        in_degree: int = 80,
        delay: int | None = None,
        event_capacity: int = MIN_EVENTS,
    ) -> "EINetwork":
        """Brette et al. (2007) benchmark 2 (CUBA), as Brian2's `examples/CUBA.py`: τ_m 20
        ms, E_L −49 mV, v_reset −60 mV, v_thr −50 mV, refractory 5 ms, exponential currents
        τ_e 5 ms, τ_i 10 ms, jumps 1.62 mV and −9 mV, `in_degree` inputs per cell on average,
        v(0) ~ U(−60, −50) mV, exact integration (dt 0.1 ms)."""
        return cls._brette(
            key,
            n_units,
            connection,
            in_degree,
            delay,
            event_capacity,
            v_rest=-49.0,
            tau=(5.0, 10.0),
            weights=(1.62, -9.0),
            reversal=(None, None),
            bias=0.0,
            initial_v=("uniform", -60.0, -50.0),
            exact=True,
        )

    @classmethod
    def _brette(
        cls,
        key,
        n_units,
        connection,
        in_degree,
        delay,
        event_capacity,
        *,
        v_rest,
        tau,
        weights,
        reversal,
        bias,
        initial_v,
        exact,
    ) -> "EINetwork":
        owner = f"{cls.__name__}.coba/cuba"
        n_units = checked_size(owner, "n_units", n_units, minimum=2)
        in_degree = checked_size(owner, "in_degree", in_degree)
        n_e = int(0.8 * n_units)
        scheme = "exponential_euler" if exact else "euler"
        cell = LIFCell(
            n_units,
            20.0,
            1.0,
            -50.0,
            v_rest,
            -60.0,
            tau_theta=0.0,
            refract_time=5.0,
            integration_type=scheme,
            hold_refractory=True,
        )
        keys = jax.random.split(key, 2)
        synapses = []
        for k, n_in, tau_syn, w, e_syn in zip(
            keys, (n_e, n_units - n_e), tau, weights, reversal, strict=True
        ):
            conn = _connect(
                owner, k, n_in, n_units, in_degree, w, connection, delay, event_capacity
            )
            synapses.append(
                ExponentialSynapse(
                    None,
                    tau_syn,
                    1.0,
                    e_syn,
                    g_conduct_factor=1.0 if e_syn is not None else -1.0,
                    decay="exponential" if exact else "linear",
                    connectivity=conn,
                )
            )
        return cls(cell, *synapses, bias, initial_v=initial_v)

    def init_state(self, *, key: PRNGKeyArray | None = None) -> EINetworkState:
        """Silent synapses; every cell at `v_rest`, or with `key` at voltages drawn from
        `initial_v` (if set)."""
        cell = self.cell.init_state()
        if key is not None and self.initial_v is not None:
            law, a, b = self.initial_v
            shape, dtype = cell.v.shape, cell.v.dtype
            if law == "normal":
                v = a + b * jax.random.normal(key, shape, dtype)
            else:
                v = jax.random.uniform(key, shape, dtype, a, b)
            cell = cell.replace(v=v)
        return EINetworkState(cell, self.excitatory.init_state(), self.inhibitory.init_state())

    def step(
        self, state: EINetworkState, inputs: EINetworkInputs, key: PRNGKeyArray | None, dt: TimeStep
    ) -> EINetworkState:
        """One step of every cell and synapse from the state at time t (see the class
        docstring); `key` is unused."""
        self.check_step(state, inputs, dt)
        s, v = state.cell.s, state.cell.v
        excitatory = self.excitatory.step(
            state.excitatory, self.excitatory.Inputs(s[: self.n_e], v), None, dt
        )
        inhibitory = self.inhibitory.step(
            state.inhibitory, self.inhibitory.Inputs(s[self.n_e :], v), None, dt
        )
        j = excitatory.outputs + inhibitory.outputs + self.bias
        if inputs.current is not None:
            j = j + inputs.current
        cell = self.cell.step(state.cell, CurrentInputs(j), None, dt)
        return EINetworkState(cell, excitatory, inhibitory)

    def spikes(self, state: EINetworkState) -> Float[Array, " n"]:
        """The spikes of a state (for `simulate`'s `record`)."""
        return state.cell.s


def _connect(
    owner, key, n_in, n_out, in_degree, weight, connection, delay, event_capacity
) -> AbstractConnectivity:
    """`n_in → n_out` at probability `p = in_degree/n_out`: each cell receives on average
    `p·n_in` inputs from this population (its share of the `in_degree`)."""
    p = min(in_degree / n_out, 1.0)
    common = {"event_capacity": event_capacity}
    if connection == "fixed_probability":
        return fixed_probability(key, n_in, n_out, p, weight, delays=delay, **common)
    if connection == "fixed_in_degree":
        k = max(1, round(p * n_in))
        return fixed_in_degree(key, n_in, n_out, k, weight, delays=delay, **common)
    if connection != "procedural":
        allowed = "'fixed_probability', 'fixed_in_degree' or 'procedural'"
        fail(owner, "connection", allowed, repr(connection))
    k = max(1, round(p * n_out))  # BrainPy's FixedProb: a fixed out-degree round(p·n)
    return ProceduralConnectivity(key, n_in, n_out, k, weight, delay=delay, **common)
