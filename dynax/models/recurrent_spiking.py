"""RecurrentSpikingNetwork: a spiking population with short-term-plastic recurrence."""

import dataclasses
from typing import Any, ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P
from jaxtyping import Array, Float, PRNGKeyArray, PyTree

from .._core import AbstractCell
from .._fields import checked_size
from .._typing import TimeStep
from ..initializers import uniform
from ..neurons.spiking.adex_cell import AdExCell
from ..parallel import gather_matvec
from ..synapses.dense_synapse import DenseSynapse, DenseSynapseState
from ..synapses.stp_dense_synapse import STPDenseSynapse, STPDenseSynapseState


class RecurrentSpikingState(eqx.Module):
    """`cell`: the population's state (spikes in `cell.s`); `recurrent`: the STP synapse's
    state (its `outputs` is the recurrent current); `input`: the input projection's state, or
    `None` without one."""

    cell: PyTree
    recurrent: STPDenseSynapseState
    input: DenseSynapseState | None


class RecurrentSpikingInputs(eqx.Module):
    """`x`: activity of the input layer, projected by `input_projection` (`None`: none);
    `current`: an external current added to every unit's input (`None`: none)."""

    x: Float[Array, " n_in"] | None = None
    current: Float[Array, " n"] | None = None


class RecurrentSpikingNetwork(AbstractCell):
    r"""`n_units` spiking cells coupled by a recurrent `STPDenseSynapse`, driven through an
    input projection and/or an external current.

    The update is synchronous: from the state at time t, the cell integrates

    $$j(t) = \text{recurrent.outputs}(t) + \text{input.outputs}(t) + \text{current}(t)$$

    while the synapses read the spikes `s(t)` and the input `x(t)`; so a spike reaches its
    targets one step later (a synaptic delay of `dt`). Any spiking cell whose `Inputs` has a
    current `j` and whose state has spikes `s` can be the population.

    Model parallel: `network.shard(mesh)` and `network.shard_state(state)` split the neuron
    axis over a 1-D mesh. Every per-neuron array is split over the devices, the weights by
    postsynaptic columns, and each step gathers the presynaptic activity explicitly
    (`dynax.parallel.gather_matvec`, one `all_gather` in a `jax.shard_map`); everything else
    is elementwise and stays on its device.
    """

    State: ClassVar = RecurrentSpikingState
    Inputs: ClassVar = RecurrentSpikingInputs

    cell: AbstractCell
    recurrent: STPDenseSynapse
    input_projection: DenseSynapse | None
    n_units: int = eqx.field(static=True)
    mesh: Mesh | None = eqx.field(static=True)

    def __init__(
        self,
        n_units: int,
        n_inputs: int = 0,
        *,
        cell: AbstractCell | None = None,
        recurrent: STPDenseSynapse | None = None,
        input_projection: DenseSynapse | None = None,
        key: PRNGKeyArray | None = None,
        mesh: Mesh | None = None,
    ):
        """**Arguments:**

        - `n_units`: the population size.
        - `n_inputs`: the size of the input layer (0: no input projection).
        - `cell`: the population (default `AdExCell(n_units)`).
        - `recurrent`: an `(n_units, n_units)` `STPDenseSynapse` (default: weights
            U(0, 0.5), τ_f = 750, τ_d = 50, resources per presynaptic neuron).
        - `input_projection`: an `(n_inputs, n_units)` `DenseSynapse` (default: the
            synapse's default weights).
        - `key`: for the default synapses' random weights.
        - `mesh`: a 1-D mesh to split the neuron axis over (see `shard`); `None`: one device.
        """
        owner = type(self).__name__
        self.n_units = n_units = checked_size(owner, "n_units", n_units)
        n_inputs = checked_size(owner, "n_inputs", n_inputs, minimum=0)
        needs_key = recurrent is None or (n_inputs > 0 and input_projection is None)
        if needs_key and key is None:
            raise ValueError(
                f"{owner}: `key` is needed to draw the default synapses' weights, got None."
            )
        rec_key, in_key = jax.random.split(key) if key is not None else (None, None)
        self.cell = AdExCell(n_units) if cell is None else cell
        _check_population(owner, self.cell, n_units)
        if recurrent is None:
            recurrent = STPDenseSynapse(
                (n_units, n_units),
                weight_init=uniform(0.0, 0.5),
                presynaptic=True,
                key=rec_key,
            )
        if (recurrent.n_in, recurrent.n_out) != (n_units, n_units):
            raise ValueError(
                f"{owner}: `recurrent` must have shape ({n_units}, {n_units}), got "
                f"({recurrent.n_in}, {recurrent.n_out})."
            )
        self.recurrent = recurrent
        if n_inputs > 0 and input_projection is None:
            input_projection = DenseSynapse((n_inputs, n_units), key=in_key)
        if input_projection is not None and (
            input_projection.n_in != n_inputs or input_projection.n_out != n_units
        ):
            raise ValueError(
                f"{owner}: `input_projection` must have shape ({n_inputs}, {n_units}), got "
                f"({input_projection.n_in}, {input_projection.n_out})."
            )
        self.input_projection = input_projection
        if mesh is not None:
            if len(mesh.axis_names) != 1:
                raise ValueError(f"{owner}: `mesh` must be 1-D, got axes {mesh.axis_names}.")
            if n_units % mesh.size:
                raise ValueError(
                    f"{owner}: `n_units`={n_units} cannot be split over {mesh.size} devices; "
                    "use a multiple of the mesh size."
                )
        self.mesh = mesh

    def shard(self, mesh: Mesh) -> "RecurrentSpikingNetwork":
        """This network split over `mesh`'s devices along the neuron axis (model parallel)."""
        network = RecurrentSpikingNetwork(
            self.n_units,
            0 if self.input_projection is None else self.input_projection.n_in,
            cell=self.cell,
            recurrent=self.recurrent,
            input_projection=self.input_projection,
            mesh=mesh,
        )
        return network._place(network)

    def shard_state(self, state: RecurrentSpikingState) -> RecurrentSpikingState:
        """`state` placed like this sharded network's neurons (see `shard`)."""
        if self.mesh is None:
            raise ValueError("shard_state: this network has no mesh; call shard(mesh) first.")
        return self._place(state)

    def _place(self, tree: PyTree) -> PyTree:
        # The last axis of length n_units is the neuron (postsynaptic) axis; the rest is
        # replicated (scalars, input-layer vectors).
        (axis,) = self.mesh.axis_names

        def place(x):
            if not eqx.is_array(x):
                return x
            if x.ndim and x.shape[-1] == self.n_units:
                spec = P(*(None,) * (x.ndim - 1), axis)
            else:
                spec = P()
            return jax.device_put(x, NamedSharding(self.mesh, spec))

        return jax.tree.map(place, tree)

    def dimensions(self) -> dict[str, int]:
        """`n`: the population size; `n_in`: the input layer's size (with an input
        projection)."""
        dims = {"n": self.n_units}
        if self.input_projection is not None:
            dims["n_in"] = self.input_projection.n_in
        return dims

    def init_state(self, *, key: PRNGKeyArray | None = None) -> RecurrentSpikingState:
        """Every part at rest."""
        return RecurrentSpikingState(
            cell=self.cell.init_state(key=key),
            recurrent=self.recurrent.init_state(),
            input=None if self.input_projection is None else self.input_projection.init_state(),
        )

    def step(
        self,
        state: RecurrentSpikingState,
        inputs: RecurrentSpikingInputs,
        key: PRNGKeyArray | None,
        dt: TimeStep,
    ) -> RecurrentSpikingState:
        """One synchronous step (see the class docstring). `key` is split between the parts
        (only stochastic cells or synapses use it)."""
        self.check_step(state, inputs, dt)
        owner = type(self).__name__
        keys = (None,) * 3 if key is None else tuple(jax.random.split(key, 3))
        current = state.recurrent.outputs
        new_input = None
        if self.input_projection is not None:
            if inputs.x is None:
                raise ValueError(f"{owner}.step: this network has an input projection; pass x.")
            current = current + state.input.outputs
            new_input = self.input_projection.step(
                state.input, DenseSynapse.Inputs(inputs.x), keys[2], dt
            )
        elif inputs.x is not None:
            raise ValueError(f"{owner}.step: got x but this network has no input projection.")
        if inputs.current is not None:
            current = current + inputs.current
        cell_inputs = type(self.cell).Inputs(j=current)
        new_cell = self.cell.step(state.cell, cell_inputs, keys[0], dt)
        matvec = jnp.matmul if self.mesh is None else gather_matvec(self.mesh)
        new_recurrent = self.recurrent.transmit(
            state.recurrent, STPDenseSynapse.Inputs(state.cell.s), None, dt, matvec=matvec
        )
        return RecurrentSpikingState(cell=new_cell, recurrent=new_recurrent, input=new_input)


def _check_population(owner: str, cell: Any, n_units: int) -> None:
    """`cell` is a spiking cell of `n_units` units driven by a current `j` (what `step`
    feeds it) with spikes `s` in its state (what the recurrent synapse reads)."""
    spiking = (
        isinstance(cell, AbstractCell)
        and "j" in {f.name for f in dataclasses.fields(cell.Inputs)}
        and "s" in {f.name for f in dataclasses.fields(cell.State)}
    )
    if not spiking:
        raise ValueError(
            f"{owner}: `cell` must be a spiking cell whose inputs are a current `j` and whose "
            f"state has spikes `s` (e.g. AdExCell, LIFCell), got {type(cell).__name__}."
        )
    if getattr(cell, "n_units", None) != n_units:
        raise ValueError(
            f"{owner}: `cell` must have n_units={n_units} (one unit per neuron of the network), "
            f"got n_units={getattr(cell, 'n_units', None)}."
        )
