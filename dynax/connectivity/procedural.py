"""ProceduralConnectivity: random synapses regenerated from a seed inside the step, never
stored ("just-in-time" connectivity), for networks whose synapses do not fit memory."""

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float, PRNGKeyArray, UInt32

from .._fields import argument, checked_size
from .._validate import FINITE
from ._base import MIN_EVENTS, AbstractConnectivity
from .sparse import delay_dtype

_OWNER = "ProceduralConnectivity"


class ProceduralConnectivity(AbstractConnectivity):
    """Every presynaptic unit `i` reaches `k` postsynaptic units drawn uniformly, with
    replacement, from a key derived from `(key, i)`, all with one learnable `weight` and one
    `delay`: the same synapses at every step and on every device, in memory 8 bytes in all.

    Drawing with replacement keeps a row's regeneration one `randint`; two synapses of a row
    share a target with probability about `k²/(2·n_out)` (a multapse, its weights adding),
    negligible for the large `n_out` this is for. The synapses are those of
    `fixed_out_degree` up to that.
    """

    key_data: UInt32[Array, " key"]
    weight: Float[Array, ""]
    delay: ArrayLike | None
    n_in: int = eqx.field(static=True)
    n_out: int = eqx.field(static=True)
    k: int = eqx.field(static=True)
    max_delay: int = eqx.field(static=True)
    event_capacity: int = eqx.field(static=True)

    def __init__(
        self,
        key: PRNGKeyArray,
        n_in: int,
        n_out: int,
        k: int,
        weight: ArrayLike = 1.0,
        *,
        delay: int | None = None,
        event_capacity: int = MIN_EVENTS,
    ):
        """**Arguments:**

        - `key`: the seed of the synapses.
        - `n_in`, `n_out`: the population sizes.
        - `k`: synapses per presynaptic unit (`≥ 1`).
        - `weight`: every synapse's weight (finite).
        - `delay`: every synapse's delay in steps (`≥ 0`), or `None` for none.
        - `event_capacity`: the smallest event buffer (see `dynax.connectivity.MIN_EVENTS`).
        """
        self.key_data = jax.random.key_data(key)
        self.n_in = checked_size(_OWNER, "n_in", n_in)
        self.n_out = checked_size(_OWNER, "n_out", n_out)
        self.k = checked_size(_OWNER, "k", k)
        self.weight = jnp.asarray(argument(_OWNER, "weight", weight, FINITE), jnp.float32)
        self.max_delay = 0 if delay is None else checked_size(_OWNER, "delay", delay, minimum=0)
        self.delay = (
            None if delay is None else jnp.asarray(self.max_delay, delay_dtype(self.max_delay))
        )
        self.event_capacity = checked_size(_OWNER, "event_capacity", event_capacity)

    @property
    def num_synapses(self) -> int:
        return self.n_in * self.k

    def synapses(self, rows):
        if rows is None:
            rows = jnp.arange(self.n_in)
        key = jax.random.wrap_key_data(self.key_data)

        def row(i):
            return jax.random.randint(jax.random.fold_in(key, i), (self.k,), 0, self.n_out)

        targets = jnp.where((rows < self.n_in)[:, None], jax.vmap(row)(rows), self.n_out)
        return targets, self.weight, self.delay
