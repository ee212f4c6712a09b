"""Conductance synapses on a connectivity: the same trajectories as on its dense matrix, and
delays exactly those of a hand-written delayed loop."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from dynax import AlphaSynapse, DoubleExpSynapse, ExponentialSynapse
from dynax import connectivity as C

KEY = jax.random.key(0)
N_IN, N_OUT, STEPS, DT = 60, 25, 40, 0.1
SYNAPSES = {
    "exponential": lambda **kw: ExponentialSynapse(
        tau_decay=3.0, g_syn_bar=0.8, syn_rest=0.0, **kw
    ),
    "alpha": lambda **kw: AlphaSynapse(tau_decay=3.0, g_syn_bar=0.8, syn_rest=-80.0, **kw),
    "double_exp": lambda **kw: DoubleExpSynapse(
        tau_decay=4.0, tau_rise=1.0, g_syn_bar=0.8, syn_rest=0.0, **kw
    ),
}
SPIKES = (jax.random.uniform(KEY, (STEPS, N_IN)) < 0.1).astype(jnp.float32)
VOLTAGES = -70.0 + 10.0 * jax.random.uniform(jax.random.key(1), (STEPS, N_OUT))


def _run(synapse, spikes):
    def body(state, x):
        s, v = x
        state = synapse.step(state, synapse.Inputs(s, v), None, DT)
        return state, (state.g_syn, state.outputs)

    return eqx.filter_jit(
        lambda spikes: jax.lax.scan(body, synapse.init_state(), (spikes, VOLTAGES))[1]
    )(spikes)


@pytest.mark.parametrize("name", SYNAPSES)
def test_a_synapse_on_a_sparse_connectivity_is_the_dense_synapse_on_its_matrix(name):
    """float32 sums in another order (scatter vs matmul), carried by a linear decay: 1e-5
    relative."""
    conn = C.fixed_probability(KEY, N_IN, N_OUT, 0.2, jax.random.uniform)
    sparse = SYNAPSES[name](shape=None, connectivity=conn)
    dense = SYNAPSES[name](shape=(N_IN, N_OUT), weight_init=np.asarray(conn.to_dense()))
    for got, expected in zip(_run(sparse, SPIKES), _run(dense, SPIKES), strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_delays_are_the_synapse_driven_by_the_delayed_arrivals():
    """A delayed connectivity's synapse equals the undelayed synapse whose input is, at each
    step, what a hand-written loop says arrives then (through an identity matrix)."""
    rng = np.random.default_rng(0)
    pre, post = rng.integers(0, N_IN, 200), rng.integers(0, N_OUT, 200)
    weights, delays = rng.uniform(size=200).astype(np.float32), rng.integers(0, 5, 200)
    conn = C.from_connections(pre, post, N_IN, N_OUT, weights, delays=delays)
    arrived = np.zeros((STEPS, N_OUT))
    spikes = np.asarray(SPIKES)
    for t in range(STEPS):
        for i, j, w, d in zip(pre, post, weights, delays, strict=True):
            if t >= d:
                arrived[t, j] += w * spikes[t - d, i]
    delayed = SYNAPSES["exponential"](shape=None, connectivity=conn)
    assert delayed.init_state().arrivals.shape == (delays.max() + 1, N_OUT)
    relay = SYNAPSES["exponential"](shape=(N_OUT, N_OUT), weight_init=np.eye(N_OUT))
    got, expected = _run(delayed, SPIKES), _run(relay, jnp.asarray(arrived, jnp.float32))
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)


def test_a_connectivity_excludes_dense_arguments():
    conn = C.fixed_in_degree(KEY, N_IN, N_OUT, 3)
    for kwargs, argument in (
        ({"shape": (N_IN, N_OUT + 1)}, "`shape`"),
        ({"shape": None, "weight_init": np.ones((N_IN, N_OUT))}, "`weight_init`"),
        ({"shape": None, "p_conn": 0.5}, "`p_conn`"),
    ):
        with pytest.raises(ValueError, match=argument):
            SYNAPSES["exponential"](connectivity=conn, **kwargs)
    with pytest.raises(ValueError, match="`connectivity`"):
        SYNAPSES["exponential"](shape=None, connectivity=np.ones((3, 3)))
