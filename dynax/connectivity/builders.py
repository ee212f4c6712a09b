"""Sparse connectivity drawn from a key (by probability, fixed in-degree, fixed out-degree) or
given as a list of connections.

The builders run eagerly (the number of synapses decides the arrays' shapes) and return a
`SparseConnectivity`; weights and delays are a number for every synapse, or drawn per
synapse by a function `f(key, shape) -> array` (a `dynax.initializers` initializer, say).
"""

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import ArrayLike, PRNGKeyArray

from .._fields import argument, checked_size
from .._validate import PROBABILITY, fail
from ._base import MIN_EVENTS
from .sparse import SparseConnectivity

Drawn = ArrayLike | Callable[[PRNGKeyArray, tuple[int, ...]], ArrayLike]
"""A number (every synapse) or `f(key, shape)` drawing one value per synapse."""


def from_connections(
    pre: ArrayLike,
    post: ArrayLike,
    n_in: int,
    n_out: int,
    weights: ArrayLike = 1.0,
    *,
    delays: ArrayLike | None = None,
    max_delay: int | None = None,
    event_capacity: int = MIN_EVENTS,
) -> SparseConnectivity:
    """The synapses `pre[k] → post[k]` (any order; repeated pairs are separate synapses),
    each with `weights[k]` and `delays[k]` (or one number for all)."""
    owner = "from_connections"
    n_in, n_out = checked_size(owner, "n_in", n_in), checked_size(owner, "n_out", n_out)
    pre, post = _indices(owner, "pre", pre, n_in), _indices(owner, "post", post, n_out)
    if pre.shape != post.shape:
        fail(owner, "post", f"of shape {pre.shape} (as `pre`)", f"shape {post.shape}")
    order = np.argsort(pre, kind="stable")
    indptr = np.concatenate([[0], np.cumsum(np.bincount(pre, minlength=n_in))])
    return SparseConnectivity(
        indptr,
        post[order],
        n_out,
        _sorted(owner, "weights", weights, order),
        delays=None if delays is None else _sorted(owner, "delays", delays, order),
        max_delay=max_delay,
        event_capacity=event_capacity,
    )


def fixed_probability(
    key: PRNGKeyArray,
    n_in: int,
    n_out: int,
    p: float,
    weights: Drawn = 1.0,
    *,
    delays: Drawn | None = None,
    max_delay: int | None = None,
    event_capacity: int = MIN_EVENTS,
) -> SparseConnectivity:
    """Every pair `i → j` connected independently with probability `p` (autapses included
    when the populations are one). Exact: each row is a Bernoulli process walked by geometric
    gaps, so the cost is the number of synapses, not `n_in × n_out`."""
    owner = "fixed_probability"
    _check_concrete(owner, key)
    n_in, n_out = checked_size(owner, "n_in", n_in), checked_size(owner, "n_out", n_out)
    p = float(argument(owner, "p", p, PROBABILITY))
    k_gaps, k_values = jax.random.split(key)
    targets = _bernoulli_rows(k_gaps, n_in, n_out, p)
    counts = (targets < n_out).sum(axis=1)
    indptr = np.concatenate([[0], np.cumsum(counts)])
    return _drawn(
        owner,
        k_values,
        indptr,
        targets[targets < n_out],
        n_out,
        weights,
        delays,
        max_delay,
        event_capacity,
    )


def fixed_out_degree(
    key: PRNGKeyArray,
    n_in: int,
    n_out: int,
    k: int,
    weights: Drawn = 1.0,
    *,
    delays: Drawn | None = None,
    max_delay: int | None = None,
    event_capacity: int = MIN_EVENTS,
) -> SparseConnectivity:
    """Every presynaptic unit reaches exactly `k` distinct postsynaptic units, uniformly."""
    owner = "fixed_out_degree"
    _check_concrete(owner, key)
    n_in, n_out = checked_size(owner, "n_in", n_in), checked_size(owner, "n_out", n_out)
    k = _degree(owner, k, n_out, "n_out")
    k_rows, k_values = jax.random.split(key)
    targets = distinct_rows(k_rows, n_in, k, n_out)
    indptr = np.arange(n_in + 1) * k
    return _drawn(
        owner, k_values, indptr, targets.ravel(), n_out, weights, delays, max_delay, event_capacity
    )


def fixed_in_degree(
    key: PRNGKeyArray,
    n_in: int,
    n_out: int,
    k: int,
    weights: Drawn = 1.0,
    *,
    delays: Drawn | None = None,
    max_delay: int | None = None,
    event_capacity: int = MIN_EVENTS,
) -> SparseConnectivity:
    """Every postsynaptic unit receives from exactly `k` distinct presynaptic units,
    uniformly (the scaling studies' connectivity: the input per cell stays as `n` grows)."""
    owner = "fixed_in_degree"
    _check_concrete(owner, key)
    n_in, n_out = checked_size(owner, "n_in", n_in), checked_size(owner, "n_out", n_out)
    k = _degree(owner, k, n_in, "n_in")
    k_rows, k_values = jax.random.split(key)
    pre = distinct_rows(k_rows, n_out, k, n_in).ravel()
    order = np.argsort(pre, kind="stable")
    post = np.repeat(np.arange(n_out), k)[order]
    indptr = np.concatenate([[0], np.cumsum(np.bincount(pre, minlength=n_in))])
    return _drawn(owner, k_values, indptr, post, n_out, weights, delays, max_delay, event_capacity)


def distinct_rows(key: PRNGKeyArray, rows: int, k: int, high: int) -> np.ndarray:
    """`(rows, k)` draws from `[0, high)`, distinct and sorted within each row, every
    `k`-subset equally likely: draws with replacement, the repeats redrawn until none is
    left (a process that no relabelling of `[0, high)` changes, hence uniform)."""
    if 2 * k > high:  # mostly full rows: draw the `high − k` left out instead
        left_out = distinct_rows(key, rows, high - k, high)
        keep = np.ones((rows, high), bool)
        np.put_along_axis(keep, left_out, False, axis=1)
        return np.nonzero(keep)[1].reshape(rows, k)
    draws = jax.random.randint(key, (rows, k), 0, high)
    for attempt in range(1, 10_000):
        draws = jnp.sort(draws, axis=1)
        repeated = jnp.concatenate(
            [jnp.zeros((rows, 1), bool), draws[:, 1:] == draws[:, :-1]], axis=1
        )
        if not bool(repeated.any()):
            return np.asarray(draws)
        redrawn = jax.random.randint(jax.random.fold_in(key, attempt), (rows, k), 0, high)
        draws = jnp.where(repeated, redrawn, draws)
    raise RuntimeError("distinct_rows: repeats left after 10 000 redraws")  # never in practice


def _bernoulli_rows(key: PRNGKeyArray, rows: int, high: int, p: float) -> np.ndarray:
    """`(rows, m)` sorted indices of a Bernoulli(`p`) process on `[0, high)` per row, `high`
    where a row has fewer than `m`."""
    if p == 0.0:
        return np.full((rows, 1), high)
    if p == 1.0:
        return np.broadcast_to(np.arange(high), (rows, high))
    mean = high * p
    width = int(np.ceil(mean + 6.0 * np.sqrt(mean) + 8))
    positions = jnp.cumsum(jax.random.geometric(key, p, (rows, width)), axis=1) - 1
    attempt = 0
    while bool((positions[:, -1] < high).any()):  # a row not yet walked to its end: go on
        attempt += 1
        gaps = jax.random.geometric(jax.random.fold_in(key, attempt), p, (rows, width))
        positions = jnp.concatenate([positions, positions[:, -1:] + jnp.cumsum(gaps, axis=1)], 1)
    return np.asarray(jnp.minimum(positions, high))


def _drawn(owner, key, indptr, indices, n_out, weights, delays, max_delay, event_capacity):
    """The connectivity with its weights and delays drawn (or given) per synapse."""
    k_weights, k_delays = jax.random.split(key)
    n_synapses = int(indptr[-1])
    weights = _draw(owner, "weights", weights, k_weights, n_synapses)
    delays = None if delays is None else _draw(owner, "delays", delays, k_delays, n_synapses)
    return SparseConnectivity(
        indptr,
        indices,
        n_out,
        weights,
        delays=delays,
        max_delay=max_delay,
        event_capacity=event_capacity,
    )


def _draw(owner: str, name: str, value: Drawn, key: PRNGKeyArray, n_synapses: int) -> ArrayLike:
    """A number as it is; a function called for `(n_synapses,)` values."""
    if not callable(value):
        if np.ndim(value) != 0:
            fail(
                owner,
                name,
                "a number or a function f(key, shape) drawing one per synapse",
                f"shape {np.shape(value)}",
            )
        return value
    drawn = value(key, (n_synapses,))
    if np.shape(drawn) != (n_synapses,):
        fail(
            owner,
            name,
            f"a function returning shape ({n_synapses},) for that shape",
            f"shape {np.shape(drawn)}",
        )
    return drawn


def _check_concrete(owner: str, key: PRNGKeyArray) -> None:
    """The synapses a key draws decide the arrays' shapes: a traced key cannot build them."""
    if isinstance(key, jax.core.Tracer):
        fail(
            owner,
            "key",
            "a concrete key (the synapses it draws decide the shapes)",
            "a traced key",
            "Build the connectivity outside `jax.jit`/`eqx.filter_eval_shape`; to load a "
            "checkpoint, build the model eagerly from the same key as `like`.",
        )


def _degree(owner: str, k: int, population: int, name: str) -> int:
    k = checked_size(owner, "k", k, minimum=0)
    if k > population:
        fail(owner, "k", f"at most {name}={population} (distinct partners)", repr(k))
    return k


def _indices(owner: str, name: str, value: ArrayLike, n: int) -> np.ndarray:
    array = np.asarray(value)
    if array.ndim != 1 or not (np.issubdtype(array.dtype, np.integer) and array.dtype != np.bool_):
        fail(
            owner,
            name,
            "a 1-D array of integer indices",
            f"dtype {array.dtype}, shape {array.shape}",
        )
    if array.size and (array.min() < 0 or array.max() >= n):
        limit = "n_in" if name == "pre" else "n_out"
        fail(owner, name, f"in [0, {n}) ({limit})", f"values in [{array.min()}, {array.max()}]")
    return array.astype(np.int64)


def _sorted(owner: str, name: str, value: ArrayLike, order: np.ndarray) -> np.ndarray:
    """A number as it is; one value per connection put in row order."""
    array = np.asarray(value)
    if array.ndim == 0:
        return array
    if array.shape != order.shape:
        fail(
            owner,
            name,
            f"a number or of shape {order.shape} (one per connection)",
            f"shape {array.shape}",
        )
    return array[order]
