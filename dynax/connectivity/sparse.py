"""SparseConnectivity: synapses stored as compressed rows (CSR), one target index and one
weight per synapse."""

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float, Int

from .._fields import checked_size
from .._validate import FINITE, check_value, fail
from ._base import MIN_EVENTS, AbstractConnectivity

_OWNER = "SparseConnectivity"


def index_dtype(n: int):
    """The smallest unsigned dtype that holds the indices `0..n` (`n` marks padding)."""
    return jnp.uint16 if n <= np.iinfo(np.uint16).max else jnp.int32


def delay_dtype(max_delay: int):
    """The smallest dtype that holds delays `0..max_delay`."""
    return jnp.uint8 if max_delay <= np.iinfo(np.uint8).max else jnp.int32


class SparseConnectivity(AbstractConnectivity):
    """Synapses `i → indices[k]`, `k ∈ [indptr[i], indptr[i+1])`, sorted by presynaptic unit.

    Memory: one index (`uint16` up to 65 535 postsynaptic units, else `int32`) and one
    `float32` weight per synapse (none for a homogeneous `weight`, a scalar), one `int32` row
    pointer per presynaptic unit, and the delays where there are any (`uint8` up to 255
    steps): 6 to 8 bytes per synapse with per-synapse weights (`bytes_per_synapse`).

    Build one from a key (`dynax.connectivity.fixed_probability`, `fixed_in_degree`,
    `fixed_out_degree`) or from a list of connections (`from_connections`).
    """

    indptr: Int[Array, " n_in_plus_1"]
    indices: Int[Array, " synapses"]
    weights: Float[Array, " synapses"] | Float[Array, ""]
    delays: Int[Array, " synapses"] | Int[Array, "n_in 1"] | Int[Array, ""] | None
    n_in: int = eqx.field(static=True)
    n_out: int = eqx.field(static=True)
    max_delay: int = eqx.field(static=True)
    max_row: int = eqx.field(static=True)
    event_capacity: int = eqx.field(static=True)

    def __init__(
        self,
        indptr: ArrayLike,
        indices: ArrayLike,
        n_out: int,
        weights: ArrayLike = 1.0,
        *,
        delays: ArrayLike | None = None,
        max_delay: int | None = None,
        event_capacity: int = MIN_EVENTS,
    ):
        """**Arguments:**

        - `indptr`: `(n_in + 1,)` non-decreasing row pointers, `indptr[0] = 0`.
        - `indices`: `(indptr[-1],)` postsynaptic indices in `[0, n_out)`, row by row.
        - `n_out`: the number of postsynaptic units.
        - `weights`: a scalar (every synapse) or one per synapse, finite.
        - `delays`: integer delays in steps, `≥ 0`: a scalar, one per presynaptic unit
            (shape `(n_in, 1)`) or one per synapse (`(indptr[-1],)`); `None` for none.
        - `max_delay`: the ring buffer's reach (default: the largest delay); every delay
            must be at most this.
        - `event_capacity`: the smallest event buffer (see `dynax.connectivity.MIN_EVENTS`).
        """
        indptr_np, indices_np = np.asarray(indptr), np.asarray(indices)
        self.n_out = checked_size(_OWNER, "n_out", n_out)
        if indptr_np.ndim != 1 or indptr_np.size < 2 or not _is_integer(indptr_np):
            fail(
                _OWNER,
                "indptr",
                "a 1-D integer array of n_in + 1 >= 2 row pointers",
                _shape_of(indptr_np),
            )
        n_synapses = int(indptr_np[-1])
        if indptr_np[0] != 0 or np.any(np.diff(indptr_np) < 0):
            fail(_OWNER, "indptr", "non-decreasing from 0", f"{indptr_np[:4]}...")
        if indices_np.shape != (n_synapses,) or not _is_integer(indices_np):
            fail(
                _OWNER,
                "indices",
                f"an integer array of shape ({n_synapses},) (indptr[-1])",
                _shape_of(indices_np),
            )
        if n_synapses and (indices_np.min() < 0 or indices_np.max() >= self.n_out):
            fail(
                _OWNER,
                "indices",
                f"in [0, {self.n_out}) (n_out)",
                f"values in [{indices_np.min()}, {indices_np.max()}]",
            )
        self.n_in = indptr_np.size - 1
        self.indptr = jnp.asarray(indptr_np, jnp.int32)
        self.indices = jnp.asarray(indices_np, index_dtype(self.n_out))
        self.max_row = max(int(np.diff(indptr_np).max()), 1)
        self.weights = _per_synapse(weights, "weights", n_synapses, jnp.float32)
        check_value(_OWNER, "weights", self.weights, FINITE)
        self.delays, self.max_delay = _checked_delays(delays, max_delay, self.n_in, n_synapses)
        self.event_capacity = checked_size(_OWNER, "event_capacity", event_capacity)

    @property
    def num_synapses(self) -> int:
        return int(self.indices.shape[0])

    def synapses(self, rows):
        if rows is None:
            rows = jnp.arange(self.n_in)
        start = self.indptr[rows]  # a padding row (n_in) starts and ends at indptr[-1]
        count = self.indptr[jnp.minimum(rows + 1, self.n_in)] - start
        slot = jnp.arange(self.max_row)
        position = start[:, None] + slot
        valid = slot < count[:, None]
        targets = jnp.where(
            valid, self.indices.at[position].get(mode="fill", fill_value=self.n_out), self.n_out
        )
        weights = self.weights if self.weights.ndim == 0 else _gather(self.weights, position)
        delays = self.delays
        if delays is not None and delays.ndim == 2:  # one per presynaptic unit
            delays = delays.at[rows].get(mode="fill", fill_value=0)
        elif delays is not None and delays.ndim == 1:  # one per synapse
            delays = _gather(delays, position)
        return targets, weights, delays


def _gather(values: Array, position: Array) -> Array:
    """`values[position]`, 0 beyond the end (padding)."""
    return values.at[position].get(mode="fill", fill_value=0)


def _is_integer(array: np.ndarray) -> bool:
    return np.issubdtype(array.dtype, np.integer) and array.dtype != np.bool_


def _shape_of(array: np.ndarray) -> str:
    return f"dtype {array.dtype}, shape {array.shape}"


def _per_synapse(value: ArrayLike, name: str, n_synapses: int, dtype) -> Array:
    """A scalar, or one value per synapse."""
    array = jnp.asarray(value)
    if array.ndim != 0 and array.shape != (n_synapses,):
        fail(
            _OWNER,
            name,
            f"a scalar or of shape ({n_synapses},) (one per synapse)",
            f"shape {array.shape}",
        )
    return array.astype(dtype)


def _checked_delays(delays, max_delay, n_in: int, n_synapses: int):
    """`(delays, max_delay)` stored in the smallest dtype, or `(None, 0)`."""
    if delays is None:
        if max_delay not in (None, 0):
            fail(_OWNER, "max_delay", "0 (or None) without delays", repr(max_delay))
        return None, 0
    array = np.asarray(delays)
    if not _is_integer(array):
        fail(_OWNER, "delays", "integer numbers of steps", f"dtype {array.dtype}")
    if array.ndim != 0 and array.shape not in ((n_in, 1), (n_synapses,)):
        allowed = f"a scalar, of shape ({n_in}, 1) (per presynaptic unit) or ({n_synapses},)"
        fail(_OWNER, "delays", allowed + " (per synapse)", f"shape {array.shape}")
    largest = int(array.max()) if array.size else 0
    if array.size and array.min() < 0:
        fail(_OWNER, "delays", ">= 0 steps", f"values in [{array.min()}, {largest}]")
    if max_delay is None:
        max_delay = largest
    max_delay = checked_size(_OWNER, "max_delay", max_delay, minimum=0)
    if largest > max_delay:
        fail(
            _OWNER,
            "delays",
            f"at most max_delay={max_delay} steps (the ring buffer)",
            f"a delay of {largest}",
        )
    return jnp.asarray(array, delay_dtype(max_delay)), max_delay
