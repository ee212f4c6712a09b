"""What every connectivity is: which presynaptic units reach which postsynaptic ones, with
what weight and after how many steps, and how a step's presynaptic activity is delivered.

A synapse model (an exponential conductance, a current, short-term plasticity) reads its
input through a connectivity and never sees how that is stored: dense, sparse, or regenerated
from a seed. Delivery is event-driven: the cost of a step grows with the number of active
presynaptic units times their fan-out, not with `n_in × n_out`.
"""

import abc
import functools

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, Int

from .._backend import max_in_batch

MIN_EVENTS = 8
"""The smallest event buffer: a step with at most this many active presynaptic units costs
what a step with this many costs."""

GROWTH = 2
"""Each event buffer holds `GROWTH` times the events of the one below it; the last holds
every presynaptic unit. A step runs the smallest that holds its events, so it never drops one
and never does more than `GROWTH` times the work its events need."""


class AbstractConnectivity(eqx.Module):
    """A map from presynaptic activity `a` (shape `(n_in,)`) to postsynaptic input.

    Every synapse `i → j` has a weight `w` and a delay `d` (an integer number of steps,
    `0 ≤ d ≤ max_delay`). `deliver` adds `w·a_i` to slot `(head + d) mod L` of a ring of
    arrivals `(L, n_out)`, `L = max_delay + 1`; `receive` does that, then reads and clears
    the slot of this step. Without delays (`max_delay = 0`), `propagate(a) = a @ W`.

    A subclass states its synapses row by row (`synapses`); the base picks, each step,
    the smallest event buffer that holds the active rows (`MIN_EVENTS`, `GROWTH`). The
    derivative with respect to `a` is the dense map's, `W`, at silent units too (a surrogate
    gradient reaches units that did not fire); with respect to the weights, `a_i` where the
    synapse exists.
    """

    n_in: eqx.AbstractVar[int]
    n_out: eqx.AbstractVar[int]
    max_delay: eqx.AbstractVar[int]
    event_capacity: eqx.AbstractVar[int]

    @abc.abstractmethod
    def synapses(
        self, rows: Int[Array, " events"] | None
    ) -> tuple[Int[Array, "events k"], Array, Int[Array, "events k"] | None]:
        """The synapses leaving the presynaptic units `rows` (`None`: all of them, in order;
        an index `n_in` pads a buffer): `(targets, weights, delays)`, `targets` of shape
        `(len(rows), k)` with `n_out` where a row has fewer than `k` synapses, `weights` and
        `delays` broadcastable to it (`delays` `None` without delays)."""

    def deliver_rows(
        self,
        activity: Float[Array, " n_in"],
        rows: Int[Array, " events"] | None,
        arrivals: Float[Array, "slots n_out"],
        head: Int[Array, ""],
    ) -> Float[Array, "slots n_out"]:
        """`arrivals` plus the contributions `activity[i]·w` of the synapses of the units
        `rows` (see `synapses`), each added at slot `(head + d) mod L`: one scatter-add, its
        padding dropped. Linear in `activity`, in the weights and in `arrivals`."""
        targets, weights, delays = self.synapses(rows)
        if rows is not None:
            activity = activity.at[rows].get(mode="fill", fill_value=0)
        contributions = activity[:, None].astype(arrivals.dtype) * weights
        contributions = jnp.broadcast_to(contributions, targets.shape)
        slots, n_out = arrivals.shape
        index = targets.astype(jnp.int32)
        if delays is not None:
            slot = jnp.mod(head + delays.astype(jnp.int32), slots)
            index = jnp.where(targets < n_out, slot * n_out + index, slots * n_out)
        flat = (
            arrivals.reshape(-1).at[index.reshape(-1)].add(contributions.reshape(-1), mode="drop")
        )
        return flat.reshape(arrivals.shape)

    def to_dense(self) -> Float[Array, "n_in n_out"]:
        """The weight matrix `W` (delays dropped; multiple synapses between a pair add)."""
        targets, weights, _ = self.synapses(None)
        weights = jnp.broadcast_to(jnp.asarray(weights, jnp.float32), targets.shape)
        rows = jnp.broadcast_to(jnp.arange(self.n_in)[:, None], targets.shape)
        dense = jnp.zeros((self.n_in, self.n_out + 1), weights.dtype)
        return dense.at[rows, targets.astype(jnp.int32)].add(weights)[:, : self.n_out]

    @property
    def buffer_sizes(self) -> tuple[int, ...]:
        """The event buffers, smallest first (see `GROWTH`)."""
        sizes, size = [], max(1, min(self.event_capacity, self.n_in))
        while size < self.n_in:
            sizes.append(size)
            size *= GROWTH
        return (*sizes, self.n_in)

    def deliver(
        self,
        activity: Float[Array, " n_in"],
        arrivals: Float[Array, "slots n_out"],
        head: Int[Array, ""],
    ) -> Float[Array, "slots n_out"]:
        """`arrivals` with this step's activity added at `(head + d) mod L` (see the class
        docstring), event-driven."""
        return _deliver(self, activity, arrivals, head)

    def propagate(self, activity: Float[Array, " n_in"]) -> Float[Array, " n_out"]:
        """`a @ W`, event-driven (a connectivity without delays)."""
        if self.max_delay:
            raise ValueError(
                f"{type(self).__name__}.propagate: this connectivity has delays (max_delay="
                f"{self.max_delay}); use `receive` with a ring of arrivals (`init_arrivals`)."
            )
        zeros = jnp.zeros((1, self.n_out), activity.dtype)
        return self.deliver(activity, zeros, jnp.zeros((), jnp.int32))[0]

    def init_arrivals(self, dtype) -> tuple[Float[Array, "slots n_out"], Int[Array, ""]]:
        """An empty ring of arrivals and its head: `((max_delay, n_out), 0)`; zero-size without
        delays (then `receive` is `propagate`)."""
        slots = self.max_delay + 1 if self.max_delay else 0
        return jnp.zeros((slots, self.n_out), dtype), jnp.zeros((), jnp.int32)

    def receive(
        self,
        activity: Float[Array, " n_in"],
        arrivals: Float[Array, "slots n_out"],
        head: Int[Array, ""],
    ) -> tuple[Float[Array, " n_out"], Float[Array, "slots n_out"], Int[Array, ""]]:
        """One step: delivers `activity`, then returns what arrives now, the ring with that
        slot cleared, and the next head."""
        if not self.max_delay:
            return self.propagate(activity), arrivals, head
        arrivals = self.deliver(activity, arrivals, head)
        now = arrivals[head]
        arrivals = arrivals.at[head].set(jnp.zeros_like(now))
        return now, arrivals, jnp.mod(head + 1, arrivals.shape[0]).astype(head.dtype)

    @property
    @abc.abstractmethod
    def num_synapses(self) -> int:
        """The number of synapses (stored or regenerated)."""

    @property
    def bytes_per_synapse(self) -> float:
        """The bytes this connectivity keeps in memory per synapse (its array leaves)."""
        stored = sum(x.nbytes for x in jax.tree.leaves(self) if isinstance(x, jax.Array))
        return stored / max(self.num_synapses, 1)


BLOCK = 32
"""Units per block of the two-level search for active units (see `active_rows`)."""


def active_rows(active: Array, size: int) -> Int[Array, " size"]:
    """The indices of the `True` entries of `active` (at most `size` of them), padded with
    `len(active)`, in no particular order.

    `jnp.nonzero` costs a prefix sum over all units, the slowest part of a sparse step on a
    CPU. Here: the blocks of `BLOCK` units that hold an active unit (a `top_k` over the
    blocks' maxima: at most `size` blocks are active), then the active units among those
    blocks' (a `top_k` over `size·BLOCK` entries)."""
    n = active.shape[0]
    flags = active.astype(jnp.float32)
    if size * BLOCK >= n:
        found, rows = jax.lax.top_k(flags, size)
    else:
        n_blocks = -(-n // BLOCK)
        blocks = jnp.pad(flags, (0, n_blocks * BLOCK - n)).reshape(n_blocks, BLOCK)
        chosen = jax.lax.top_k(jnp.max(blocks, axis=1), size)[1]
        found, local = jax.lax.top_k(blocks[chosen].reshape(-1), size)
        rows = chosen[local // BLOCK] * BLOCK + local % BLOCK
    return jnp.where(found > 0, rows, n).astype(jnp.int32)


def _deliver_events(connectivity, activity, arrivals, head):
    """`deliver_rows` over the active rows, in the smallest event buffer that holds them."""
    active = activity != 0
    count = max_in_batch(jnp.sum(active, dtype=jnp.int32))
    sizes = connectivity.buffer_sizes

    def rows_of(size):
        return None if size == connectivity.n_in else active_rows(active, size)

    branches = [
        functools.partial(
            lambda size, a, arr: connectivity.deliver_rows(a, rows_of(size), arr, head), size
        )
        for size in sizes
    ]
    level = jnp.searchsorted(jnp.asarray(sizes[:-1], jnp.int32), count, side="left")
    return jax.lax.switch(level, branches, activity, arrivals)


@jax.custom_jvp
def _deliver(connectivity, activity, arrivals, head):
    return _deliver_events(connectivity, activity, arrivals, head)


@_deliver.defjvp
def _deliver_jvp(primals, tangents):
    connectivity, activity, arrivals, head = primals
    d_connectivity, d_activity, d_arrivals, _ = tangents
    out = _deliver_events(connectivity, activity, arrivals, head)
    zeros = jnp.zeros_like(arrivals)
    # The map is linear in the activity, the weights and the arrivals. With respect to the
    # activity its derivative is the whole map (silent units included): every row.
    through_activity = connectivity.deliver_rows(d_activity, None, zeros, head)
    # With respect to the weights: the same events, carrying the weights' tangents.
    tangent_weights = jax.tree.map(
        lambda p, t: p if t.dtype == jax.dtypes.float0 else t, connectivity, d_connectivity
    )
    through_weights = _deliver_events(tangent_weights, activity, zeros, head)
    return out, d_arrivals + through_activity + through_weights
