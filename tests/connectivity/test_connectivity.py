"""Connectivities against oracles written here: a dense matrix filled from the connection
list by a NumPy loop, a hand-written delayed loop, counting arguments for the random
builders, and the dense product's derivatives."""

import itertools

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from dynax import connectivity as C
from dynax.connectivity.builders import distinct_rows

KEY = jax.random.key(0)
N_IN, N_OUT = 150, 70
# Rates that put the active rows in every event buffer: none, fewer than MIN_EVENTS, between
# the ladder's levels, every row.
RATES = [0.0, 0.05, 0.5, 1.0]


def _activity(rate, seed=1, graded=False, n=N_IN):
    key = jax.random.key(seed)
    active = jax.random.uniform(key, (n,)) < rate
    if graded:  # any non-zero value is an event, weighted by its value
        return jnp.where(active, jax.random.normal(jax.random.fold_in(key, 1), (n,)), 0.0)
    return active.astype(jnp.float32)


def _connections(seed=0, n_syn=600):
    rng = np.random.default_rng(seed)
    pre = rng.integers(0, N_IN, n_syn)
    post = rng.integers(0, N_OUT, n_syn)  # repeated pairs included: they add
    return pre, post, rng.normal(size=n_syn).astype(np.float32), rng.integers(0, 6, n_syn)


def _dense_from_list(pre, post, weights):
    dense = np.zeros((N_IN, N_OUT))
    for i, j, w in zip(pre, post, weights, strict=True):
        dense[i, j] += w
    return dense


CONNECTIVITIES = {
    "from_connections": lambda: C.from_connections(
        *_connections()[:2], N_IN, N_OUT, _connections()[2]
    ),
    "fixed_probability": lambda: C.fixed_probability(KEY, N_IN, N_OUT, 0.1, jax.random.normal),
    "fixed_in_degree": lambda: C.fixed_in_degree(KEY, N_IN, N_OUT, 12, 0.5),
    "fixed_out_degree": lambda: C.fixed_out_degree(KEY, N_IN, N_OUT, 9, jax.random.normal),
    "procedural": lambda: C.ProceduralConnectivity(KEY, N_IN, N_OUT, 9, 0.7),
    "dense": lambda: C.DenseConnectivity(np.random.default_rng(3).normal(size=(N_IN, N_OUT))),
}


def _propagate(conn, activity):
    return eqx.filter_jit(lambda c, a: c.propagate(a))(conn, activity)


def test_a_connection_list_is_the_dense_matrix_a_loop_fills():
    pre, post, weights, _ = _connections()
    conn = C.from_connections(pre, post, N_IN, N_OUT, weights)
    np.testing.assert_allclose(conn.to_dense(), _dense_from_list(pre, post, weights), atol=1e-5)


@pytest.mark.parametrize("name", CONNECTIVITIES)
@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize("graded", [False, True])
def test_event_driven_propagation_is_the_dense_product(name, rate, graded):
    """Every buffer level, and all rows active: nothing is dropped. float32 sums of at most
    N_IN terms of size ~3 in another order: within 1e-4 absolute."""
    conn = CONNECTIVITIES[name]()
    a = _activity(rate, graded=graded)
    expected = np.asarray(a, np.float64) @ np.asarray(conn.to_dense(), np.float64)
    np.testing.assert_allclose(_propagate(conn, a), expected, atol=1e-4, rtol=1e-5)


@pytest.mark.parametrize("name", CONNECTIVITIES)
def test_a_batch_is_each_sample_on_its_own(name):
    """Samples with different event counts share one buffer size (the batch's largest) and
    give what each gives alone."""
    conn = CONNECTIVITIES[name]()
    batch = jnp.stack([_activity(r, seed=i) for i, r in enumerate([0.0, 0.02, 0.4, 1.0])])
    batched = eqx.filter_jit(lambda c, a: jax.vmap(c.propagate)(a))(conn, batch)
    for sample, out in zip(batch, batched, strict=True):
        np.testing.assert_allclose(out, _propagate(conn, sample), atol=1e-5)


@pytest.mark.parametrize("name", CONNECTIVITIES)
def test_gradients_and_tangents_are_the_dense_products(name):
    """d/dweights and d/dactivity of a loss of `propagate` equal those of `a @ W` (at silent
    units too: a surrogate gradient reaches units that did not fire); `jax.jvp` agrees."""
    conn = CONNECTIVITIES[name]()
    a = _activity(0.1)

    def loss(c, a):
        return jnp.sum(jnp.sin(c.propagate(a)) * jnp.arange(N_OUT))

    def dense_loss(w, a):
        return jnp.sum(jnp.sin(a @ w) * jnp.arange(N_OUT))

    dense = conn.to_dense()
    g_conn, g_a = eqx.filter_jit(eqx.filter_grad(loss))(conn, a), jax.grad(loss, 1)(conn, a)
    g_dense, g_a_dense = jax.grad(dense_loss, (0, 1))(dense, a)
    np.testing.assert_allclose(g_a, g_a_dense, atol=1e-4)
    assert np.any(np.asarray(g_a)[np.asarray(a) == 0] != 0)
    tangent = jnp.cos(jnp.arange(N_IN, dtype=jnp.float32))
    _, t = jax.jvp(lambda a: loss(conn, a), (a,), (tangent,))
    np.testing.assert_allclose(t, jnp.dot(g_a_dense, tangent), rtol=1e-4)
    # With respect to the stored weights: the dense gradient read at each synapse.
    if isinstance(conn, C.DenseConnectivity):
        np.testing.assert_allclose(g_conn.weights, g_dense, atol=1e-4)
    elif isinstance(conn, C.SparseConnectivity) and conn.weights.ndim == 1:
        rows = np.repeat(np.arange(N_IN), np.diff(np.asarray(conn.indptr)))
        cols = np.asarray(conn.indices, np.int64)
        np.testing.assert_allclose(g_conn.weights, np.asarray(g_dense)[rows, cols], atol=1e-4)
    else:  # one shared weight: the sum over the synapses
        targets = np.asarray(conn.synapses(None)[0])
        mask = np.zeros((N_IN, N_OUT + 1))
        np.add.at(mask, (np.arange(N_IN)[:, None], targets), 1.0)
        expected = np.sum(np.asarray(g_dense) * mask[:, :N_OUT])
        np.testing.assert_allclose(
            g_conn.weights if hasattr(g_conn, "weights") else g_conn.weight, expected, rtol=1e-4
        )


def _delayed_loop(pre, post, weights, delays, inputs):
    """What arrives at each step: the input of step t − d through every synapse of delay d
    (a step's own input arrives in that step at d = 0)."""
    out = np.zeros((inputs.shape[0], N_OUT))
    for t in range(inputs.shape[0]):
        for i, j, w, d in zip(pre, post, weights, delays, strict=True):
            if t - d >= 0:
                out[t, j] += w * inputs[t - d, i]
    return out


def _run_receive(conn, inputs):
    def body(ring, a):
        now, arrivals, head = conn.receive(a, *ring)
        return (arrivals, head), now

    run = eqx.filter_jit(
        lambda inputs: jax.lax.scan(body, conn.init_arrivals(jnp.float32), inputs)[1]
    )
    return run(inputs)


def test_per_synapse_delays_are_the_hand_written_delayed_loop():
    pre, post, weights, delays = _connections(n_syn=300)
    conn = C.from_connections(pre, post, N_IN, N_OUT, weights, delays=delays)
    assert conn.max_delay == delays.max()
    inputs = np.asarray(jax.random.uniform(KEY, (20, N_IN)) < 0.2, np.float32)
    expected = _delayed_loop(pre, post, weights, delays, inputs)
    np.testing.assert_allclose(_run_receive(conn, jnp.asarray(inputs)), expected, atol=1e-4)


def test_per_presynaptic_delays_and_a_longer_ring():
    """Delays of shape (n_in, 1) (one per presynaptic unit), in a ring longer than they need."""
    pre, post, weights, _ = _connections(n_syn=300)
    unit_delay = np.random.default_rng(5).integers(0, 4, N_IN)
    order = np.argsort(pre, kind="stable")
    indptr = np.concatenate([[0], np.cumsum(np.bincount(pre, minlength=N_IN))])
    conn = C.SparseConnectivity(
        indptr, post[order], N_OUT, weights[order], delays=unit_delay[:, None], max_delay=7
    )
    assert conn.init_arrivals(jnp.float32)[0].shape == (8, N_OUT)
    inputs = np.asarray(jax.random.uniform(KEY, (15, N_IN)) < 0.3, np.float32)
    expected = _delayed_loop(pre, post, weights, unit_delay[pre], inputs)
    np.testing.assert_allclose(_run_receive(conn, jnp.asarray(inputs)), expected, atol=1e-4)
    dense = C.DenseConnectivity(_dense_from_list(pre, post, weights), delays=unit_delay[:, None])
    np.testing.assert_allclose(_run_receive(dense, jnp.asarray(inputs)), expected, atol=1e-4)


def test_fixed_degrees_give_each_unit_exactly_k_distinct_partners():
    conn = C.fixed_in_degree(KEY, N_IN, N_OUT, 12)
    targets = np.asarray(conn.indices)
    np.testing.assert_array_equal(np.bincount(targets, minlength=N_OUT), np.full(N_OUT, 12))
    dense = np.asarray(conn.to_dense())
    assert set(np.unique(dense)) <= {0.0, 1.0}  # no pair twice
    out = np.asarray(C.fixed_out_degree(KEY, N_IN, N_OUT, 9).to_dense())
    np.testing.assert_array_equal(out.sum(axis=1), np.full(N_IN, 9))
    assert set(np.unique(out)) <= {0.0, 1.0}


def test_distinct_rows_draws_every_subset_equally_often():
    """2 of 4: six subsets, 6 000 rows; a chi-square with 5 degrees of freedom stays below
    25 (p ≈ 1e-4) for uniform draws. Also the complement path (3 of 4)."""
    for k in (2, 3):
        rows = distinct_rows(KEY, 6000, k, 4)
        assert np.all(np.diff(rows, axis=1) > 0)
        subsets = list(itertools.combinations(range(4), k))
        counts = np.array([np.sum(np.all(rows == s, axis=1)) for s in subsets])
        expected = 6000 / len(subsets)
        assert np.sum((counts - expected) ** 2 / expected) < 25, counts


def test_fixed_probability_is_a_bernoulli_process_per_pair():
    """The number of synapses is Binomial(n_in·n_out, p): within 5 standard deviations; each
    pair at most once; each target column hit about p·n_in times."""
    n_in, n_out, p = 400, 300, 0.03
    conn = C.fixed_probability(KEY, n_in, n_out, p)
    mean, sd = n_in * n_out * p, np.sqrt(n_in * n_out * p * (1 - p))
    assert abs(conn.num_synapses - mean) < 5 * sd
    dense = np.asarray(conn.to_dense())
    assert set(np.unique(dense)) <= {0.0, 1.0}
    column_sd = np.sqrt(n_in * p * (1 - p))
    assert abs(dense.sum(axis=0).mean() - n_in * p) < 5 * column_sd / np.sqrt(n_out)
    assert C.fixed_probability(KEY, 10, 10, 0.0).num_synapses == 0
    assert C.fixed_probability(KEY, 10, 10, 1.0).num_synapses == 100


def test_memory_per_synapse():
    """An index and a weight per synapse: 6 bytes (uint16 indices) up to 8 (int32), plus the
    row pointers; a shared weight drops to the index; procedural stores nothing per synapse."""
    per_synapse = C.fixed_in_degree(KEY, 2000, 2000, 80, jax.random.normal)
    assert per_synapse.indices.dtype == jnp.uint16
    assert per_synapse.bytes_per_synapse <= 6 + 4 * 2001 / per_synapse.num_synapses + 1e-9
    large = C.fixed_out_degree(KEY, 10, 70_000, 3, jax.random.normal)
    assert large.indices.dtype == jnp.int32 and large.bytes_per_synapse <= 8 + 44 / 30
    assert C.fixed_in_degree(KEY, 2000, 2000, 80, 0.5).bytes_per_synapse < 2.1
    assert C.ProceduralConnectivity(KEY, 10**6, 10**6, 80).bytes_per_synapse < 1e-6


BAD = [
    (lambda: C.fixed_probability(KEY, 10, 10, 1.5), "`p`"),
    (lambda: C.fixed_probability(KEY, 10, 10, -0.1), "`p`"),
    (lambda: C.fixed_in_degree(KEY, 10, 20, 11), "`k`"),
    (lambda: C.fixed_out_degree(KEY, 10, 5, 6), "`k`"),
    (lambda: C.fixed_in_degree(KEY, 0, 20, 1), "`n_in`"),
    (lambda: C.from_connections([0, 10], [1, 2], 10, 10), "`pre`"),
    (lambda: C.from_connections([0, 1], [1, -1], 10, 10), "`post`"),
    (lambda: C.from_connections([0, 1], [1, 2, 3], 10, 10), "`post`"),
    (lambda: C.from_connections([0.5, 1], [1, 2], 10, 10), "`pre`"),
    (lambda: C.from_connections([0, 1], [1, 2], 10, 10, [1.0, np.nan]), "`weights`"),
    (lambda: C.from_connections([0, 1], [1, 2], 10, 10, delays=[0, -1]), "`delays`"),
    (lambda: C.from_connections([0, 1], [1, 2], 10, 10, delays=[0, 5], max_delay=4), "`delays`"),
    (lambda: C.from_connections([0, 1], [1, 2], 10, 10, delays=[0.5, 1]), "`delays`"),
    (lambda: C.fixed_in_degree(KEY, 10, 10, 2, delays=-1), "`delays`"),
    (lambda: C.fixed_in_degree(KEY, 10, 10, 2, weights=lambda k, s: jnp.ones(3)), "`weights`"),
    (lambda: C.SparseConnectivity([0, 2, 1], [0, 1], 5), "`indptr`"),
    (lambda: C.SparseConnectivity([0, 1, 2], [0, 5], 5), "`indices`"),
    (lambda: C.SparseConnectivity([0, 1, 2], [0, 1], 5, delays=np.zeros((2, 2), int)), "`delays`"),
    (lambda: C.ProceduralConnectivity(KEY, 10, 10, 0), "`k`"),
    (lambda: C.ProceduralConnectivity(KEY, 10, 10, 3, delay=-2), "`delay`"),
    (lambda: C.ProceduralConnectivity(KEY, 10, 10, 3, weight=np.inf), "`weight`"),
    (lambda: C.DenseConnectivity(np.ones(3)), "`weights`"),
    (lambda: C.DenseConnectivity(np.ones((3, 2)), delays=np.ones(3, int)), "`delays`"),
]


@pytest.mark.parametrize(("build", "argument"), BAD)
def test_bad_input_is_a_value_error_naming_the_argument(build, argument):
    with pytest.raises(ValueError, match=argument):
        build()


def test_propagate_refuses_a_connectivity_with_delays():
    conn = C.from_connections([0], [1], 2, 2, delays=[1])
    with pytest.raises(ValueError, match="receive"):
        conn.propagate(jnp.ones(2))
