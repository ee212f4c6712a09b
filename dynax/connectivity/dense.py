"""DenseConnectivity: a full weight matrix, delivered event by event (the rows of the active
presynaptic units, gathered)."""

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float, Int

from .._fields import argument, checked_size
from .._validate import FINITE, fail
from ._base import MIN_EVENTS, AbstractConnectivity
from .sparse import _checked_delays

_OWNER = "DenseConnectivity"


class DenseConnectivity(AbstractConnectivity):
    """`W` of shape `(n_in, n_out)`, optionally a delay per presynaptic unit. A step reads only
    the rows of the units that are active: `Σ_{i active} a_i W[i]`, `O(events × n_out)`."""

    weights: Float[Array, "n_in n_out"]
    delays: Int[Array, "n_in 1"] | Int[Array, ""] | None
    n_in: int = eqx.field(static=True)
    n_out: int = eqx.field(static=True)
    max_delay: int = eqx.field(static=True)
    event_capacity: int = eqx.field(static=True)

    def __init__(
        self,
        weights: ArrayLike,
        *,
        delays: ArrayLike | None = None,
        max_delay: int | None = None,
        event_capacity: int = MIN_EVENTS,
    ):
        """**Arguments:**

        - `weights`: `(n_in, n_out)`, finite.
        - `delays`: integer steps `≥ 0`, a scalar or one per presynaptic unit `(n_in, 1)`.
        - `max_delay`: the ring buffer's reach (default: the largest delay).
        - `event_capacity`: the smallest event buffer (see `dynax.connectivity.MIN_EVENTS`).
        """
        weights = jnp.asarray(weights)
        if weights.ndim != 2:
            fail(_OWNER, "weights", "a matrix (n_in, n_out)", f"shape {weights.shape}")
        self.n_in, self.n_out = weights.shape
        checked_size(_OWNER, "weights.shape[0]", self.n_in)
        checked_size(_OWNER, "weights.shape[1]", self.n_out)
        self.weights = argument(_OWNER, "weights", weights, FINITE, shapes=[weights.shape])
        # `(n_in, 1)` is the per-presynaptic shape; no per-synapse delays on a dense matrix.
        self.delays, self.max_delay = _checked_delays(delays, max_delay, self.n_in, -1)
        self.event_capacity = checked_size(_OWNER, "event_capacity", event_capacity)

    @property
    def num_synapses(self) -> int:
        return self.n_in * self.n_out

    def synapses(self, rows):
        if rows is None:
            rows = jnp.arange(self.n_in)
        targets = jnp.broadcast_to(jnp.arange(self.n_out), (rows.shape[0], self.n_out))
        targets = jnp.where((rows < self.n_in)[:, None], targets, self.n_out)
        weights = self.weights.at[rows].get(mode="fill", fill_value=0)
        delays = self.delays
        if delays is not None and delays.ndim == 2:
            delays = delays.at[rows].get(mode="fill", fill_value=0)
        return targets, weights, delays

    def deliver_rows(self, activity, rows, arrivals, head):
        """A product of the gathered rows (no scatter) where all synapses of a row arrive
        together; per-unit delays scatter whole rows into their slots."""
        weights = (
            self.weights if rows is None else self.weights.at[rows].get(mode="fill", fill_value=0)
        )
        active = activity if rows is None else activity.at[rows].get(mode="fill", fill_value=0)
        active = active.astype(arrivals.dtype)
        if self.delays is None:
            return arrivals.at[0].add(active @ weights)
        delays = (
            self.delays
            if rows is None or self.delays.ndim == 0
            else self.delays.at[rows].get(mode="fill", fill_value=0)
        )
        slot = jnp.mod(
            head + jnp.broadcast_to(delays.astype(jnp.int32).reshape(-1), active.shape),
            arrivals.shape[0],
        )
        return arrivals.at[slot].add(active[:, None] * weights)
