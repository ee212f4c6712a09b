"""TraceSTDPSynapse and OnlineTraceSTDPSynapse: golden parity with ngclearn, the rule by hand,
properties of learning, the online form, bad input (the contract of the step:
tests/test_contract.py, entries in tests/components/synapses.py)."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from components.synapses import trace_stdp_synapses
from hypothesis import given
from hypothesis import strategies as st
from support import contract
from support.golden import constructor_kwargs, golden_names, load_golden

from dynax.synapses.trace_stdp_synapse import (
    OnlineTraceSTDPSynapse,
    TraceSTDPSynapse,
    trace_stdp_update,
)

RTOL, ATOL = 1e-5, 1e-6
SIGNALS = ("preSpike", "postSpike", "preTrace", "postTrace")  # the reference's compartments


def _from_golden(golden, weights=None):
    kwargs = constructor_kwargs(golden, {"batch_size": None, "key_seed": None})
    syn = TraceSTDPSynapse(**kwargs, key=jax.random.PRNGKey(golden.params["key_seed"]))
    if weights is not None:
        syn = eqx.tree_at(lambda s: s.weights, syn, jnp.asarray(weights))
    return syn


@eqx.filter_jit
def _advance_then_evolve(syn, state, x, signals, dt):
    """The files' schedule: `advance_state` (the batch by vmap), then `evolve` on the batch."""
    state = jax.vmap(lambda s, xi: syn.step(s, syn.Inputs(xi), None, dt))(state, x)
    return syn.evolve(*signals), state, syn.calc_update(*signals)


@pytest.mark.parametrize("name", golden_names("TraceSTDPSynapse"))
def test_matches_reference(name):
    """Outputs (with the weights before the step's evolve), dWeights (the batch of 3 summed)
    and the weights after every evolve."""
    golden = load_golden(name)
    syn = _from_golden(golden, golden.init["weights"])
    state = jax.vmap(lambda _: syn.init_state())(jnp.arange(golden.batch_size))
    for k in range(golden.num_steps):
        signals = tuple(golden.inputs[c][k] for c in SIGNALS)
        syn, state, dW = _advance_then_evolve(
            syn, state, golden.inputs["inputs"][k], signals, golden.dt
        )
        traj = {c: v[k] for c, v in golden.traj.items()}
        np.testing.assert_allclose(state.outputs, traj["outputs"], rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(dW, traj["dWeights"], rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(syn.weights, traj["weights"], rtol=RTOL, atol=ATOL)
        np.testing.assert_array_equal(traj["biases"], 0.0)  # no biases (the reference adds 0)


@pytest.mark.parametrize("name", golden_names("TraceSTDPSynapse"))
def test_construction_key_draws_the_reference_weights(name):
    golden = load_golden(name)
    np.testing.assert_array_equal(_from_golden(golden).weights, golden.init["weights"])


# ---------------------------------------------------------------- the rule by hand

ONE = jnp.ones(1)


def _hand(**kwargs):
    defaults = {"A_plus": 0.1, "A_minus": 0.05, "weight_init": jnp.array([[0.5]])}
    return TraceSTDPSynapse((1, 1), **{**defaults, **kwargs})


def _signals(x_pre=0.8, x_post=0.6, s_pre=1.0, s_post=1.0):
    return s_pre * ONE, s_post * ONE, x_pre * ONE, x_post * ONE


def test_single_pair_by_hand():
    """μ = 0: ΔW = A₊(x_pre − x_tar)s_post − A₋ s_pre x_post = 0.1·0.7 − 0.05·0.6 = 0.04.
    μ = 1, w_bound = 1, W = 0.5: ΔW = 0.1·0.5·0.7 − 0.05·0.5·0.6 = 0.02."""
    np.testing.assert_allclose(
        _hand(pretrace_target=0.1).calc_update(*_signals()), [[0.04]], rtol=1e-6
    )
    syn = _hand(pretrace_target=0.1, mu=1.0, eta=0.5, tau_w=10.0)
    np.testing.assert_allclose(syn.calc_update(*_signals()), [[0.02]], rtol=1e-6)
    # W⁺ = W + η ΔW − W/τ_w = 0.5 + 0.01 − 0.05
    np.testing.assert_allclose(syn.evolve(*_signals()).weights, [[0.46]], rtol=1e-6)
    # the decay counts in units of dt: over dt = 2, W/τ_w·2 = 0.1
    np.testing.assert_allclose(syn.evolve(*_signals(), dt=2.0).weights, [[0.41]], rtol=1e-6)


def test_power_law_halves_at_mid_bound_and_vanishes_at_the_bounds():
    """(w_bound − W)^μ gates LTP and W^μ gates LTD: at W = w_bound no LTP, at W = 0 no LTD."""
    ltp_only, ltd_only = _signals(s_pre=0.0), _signals(s_post=0.0)
    for w, ltp, ltd in (
        (0.0, 0.08, 0.0),
        (1.0, 0.0, -0.03),
        (0.5, 0.08 * 0.5**0.5, -0.03 * 0.5**0.5),
    ):
        syn = _hand(mu=0.5, weight_init=jnp.array([[w]]))
        np.testing.assert_allclose(syn.calc_update(*ltp_only), [[ltp]], rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(syn.calc_update(*ltd_only), [[ltd]], rtol=1e-6, atol=1e-8)


def test_weights_are_clipped_to_zero_and_the_bound():
    up = _hand(eta=10.0, w_bound=0.7).evolve(*_signals(s_pre=0.0))
    down = _hand(eta=100.0).evolve(*_signals(s_post=0.0))
    np.testing.assert_array_equal(up.weights, np.float32([[0.7]]))
    np.testing.assert_array_equal(down.weights, [[0.0]])


def test_batch_is_summed_like_outer_products():
    rng = np.random.default_rng(0)
    s_pre, s_post = rng.uniform(size=(6, 4)) < 0.3, rng.uniform(size=(6, 3)) < 0.3
    x_pre, x_post = rng.uniform(size=(6, 4)), rng.uniform(size=(6, 3))
    W = jnp.asarray(rng.uniform(0, 1, (4, 3)), jnp.float32)
    dW = trace_stdp_update(
        W, s_pre * 1.0, s_post * 1.0, x_pre, x_post, A_plus=0.2, A_minus=0.1, pretrace_target=0.3
    )
    expected = sum(
        0.2 * np.outer(x_pre[b] - 0.3, s_post[b]) - 0.1 * np.outer(s_pre[b], x_post[b])
        for b in range(6)
    )
    np.testing.assert_allclose(dW, expected, rtol=1e-5, atol=1e-7)


def test_a_minus_zero_means_no_depression():
    syn = _hand(A_minus=0.0)
    np.testing.assert_array_equal(syn.calc_update(*_signals(s_post=0.0)), [[0.0]])


def test_p_conn_really_masks():
    """Defect 16: the reference passes p_conn positionally into p_release_mean (it never masks,
    and 0 < p_conn < 1 crashes its forward pass). Here the pruned weights are zero, stay zero
    under learning and carry no signal."""
    syn = TraceSTDPSynapse((6, 5), 0.5, 0.0, p_conn=0.5, key=jax.random.key(3))
    pruned = np.asarray(syn.mask) == 0
    assert 0 < pruned.sum() < pruned.size
    np.testing.assert_array_equal(np.asarray(syn.weights)[pruned], 0.0)
    for _ in range(3):
        syn = syn.evolve(jnp.ones(6), jnp.ones(5), jnp.ones(6), jnp.ones(5))
    W = np.asarray(syn.weights)
    np.testing.assert_array_equal(W[pruned], 0.0)
    assert (W[~pruned] > 0).all()
    out = syn.step(syn.init_state(), syn.Inputs(jnp.ones(6)), None, 1.0).outputs
    np.testing.assert_allclose(out, W.sum(0), rtol=1e-6)


def test_weight_mask_zeroes_from_construction_on():
    """As the reference: the initial weights are scaled by weight_mask, the forward pass uses
    the weights as they are, and updates keep the masked weights at zero."""
    mask = jnp.array([[1.0, 0.0], [0.0, 0.5]])
    syn = TraceSTDPSynapse((2, 2), 0.5, 0.1, weight_init=jnp.full((2, 2), 0.8), weight_mask=mask)
    np.testing.assert_allclose(syn.weights, [[0.8, 0.0], [0.0, 0.4]], rtol=1e-6)
    out = syn.step(syn.init_state(), syn.Inputs(jnp.ones(2)), None, 1.0).outputs
    np.testing.assert_allclose(out, [0.8, 0.4], rtol=1e-6)
    new = syn.evolve(jnp.ones(2), jnp.ones(2), jnp.ones(2), jnp.zeros(2))
    np.testing.assert_array_equal(np.asarray(new.weights)[np.asarray(mask) == 0], 0.0)
    assert (np.asarray(new.weights)[np.asarray(mask) != 0] > [0.8, 0.4]).all()


# ---------------------------------------------------------------- properties (hypothesis)

N_IN, N_OUT = 4, 3  # the shape of `trace_stdp_synapses`
MASK = jnp.asarray(np.random.default_rng(2).uniform(size=(N_IN, N_OUT)) < 0.7, jnp.float32)
unit = st.floats(0.0, 1.0, width=32)


def vectors(n, elements=unit):
    return st.lists(elements, min_size=n, max_size=n).map(lambda v: jnp.asarray(v, jnp.float32))


spikes = st.lists(st.booleans(), min_size=N_IN + N_OUT, max_size=N_IN + N_OUT).map(
    lambda v: (jnp.asarray(v[:N_IN], jnp.float32), jnp.asarray(v[N_IN:], jnp.float32))
)


def _snapshot(tree):
    return jax.tree.map(lambda x: np.array(x, copy=True), eqx.filter(tree, eqx.is_array))


_jit_evolve = eqx.filter_jit(lambda syn, *signals: syn.evolve(*signals))


@given(trace_stdp_synapses(), spikes, vectors(N_IN), vectors(N_OUT))
def test_evolve_is_pure_and_jit_matches_eager(syn, s, x_pre, x_post):
    signals = (s[0], s[1], x_pre, x_post)
    before = _snapshot((syn, signals))
    first, second = syn.evolve(*signals), syn.evolve(*signals)
    np.testing.assert_array_equal(first.weights, second.weights)
    jax.tree.map(np.testing.assert_array_equal, before, _snapshot((syn, signals)))
    assert jax.tree.structure(first) == jax.tree.structure(syn)
    np.testing.assert_allclose(_jit_evolve(syn, *signals).weights, first.weights, rtol=1e-6)


@given(
    trace_stdp_synapses(),
    st.lists(spikes, min_size=3, max_size=3),
    st.lists(vectors(N_IN), min_size=3, max_size=3),
    st.lists(vectors(N_OUT), min_size=3, max_size=3),
)
def test_per_sample_update_under_vmap_matches_a_loop(syn, s, x_pre, x_post):
    s_pre, s_post = jnp.stack([a for a, _ in s]), jnp.stack([b for _, b in s])
    x_pre, x_post = jnp.stack(x_pre), jnp.stack(x_post)
    per_sample = jax.vmap(syn.calc_update)(s_pre, s_post, x_pre, x_post)
    for b in range(3):
        single = syn.calc_update(s_pre[b], s_post[b], x_pre[b], x_post[b])
        np.testing.assert_allclose(per_sample[b], single, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(
        per_sample.sum(0), syn.calc_update(s_pre, s_post, x_pre, x_post), rtol=1e-5, atol=1e-6
    )


@eqx.filter_jit
def _train(syn, signals):
    def body(s, sig):
        return s.evolve(*sig), None

    return jax.lax.scan(body, syn, signals)[0]


@given(trace_stdp_synapses(MASK, low=-1.0, high=3.0), st.integers(0, 2**31 - 1))
def test_bounds_and_mask_hold_after_many_updates(syn, seed):
    """200 updates from random spikes and traces, starting from weights outside [0, w_bound]
    (no NaN from the power law): W ends in [0, w_bound], masked weights stay zero."""
    keys = jax.random.split(jax.random.key(seed), 4)
    signals = (
        jax.random.bernoulli(keys[0], 0.5, (200, 2, N_IN)).astype(jnp.float32),
        jax.random.bernoulli(keys[1], 0.5, (200, 2, N_OUT)).astype(jnp.float32),
        jax.random.uniform(keys[2], (200, 2, N_IN)),
        jax.random.uniform(keys[3], (200, 2, N_OUT)),
    )
    W = np.asarray(_train(syn, signals).weights)
    assert np.isfinite(W).all()
    assert W.min() >= 0.0 and W.max() <= float(syn.w_bound)
    np.testing.assert_array_equal(W[np.asarray(MASK) == 0], 0.0)


def test_new_eta_or_mu_does_not_retrace():
    """μ is an array leaf: switching from additive (μ = 0) to power-law STDP reuses the trace."""

    @eqx.filter_jit
    @eqx.debug.assert_max_traces(max_traces=1)
    def evolve(syn):
        return syn.evolve(jnp.ones(N_IN), jnp.ones(N_OUT), jnp.ones(N_IN), jnp.ones(N_OUT))

    for eta, mu in ((1.0, 0.0), (0.5, 1.0), (0.1, 0.5)):
        evolve(TraceSTDPSynapse((N_IN, N_OUT), 0.1, 0.05, eta, mu, key=jax.random.key(0)))


# ---------------------------------------------------------------- online form


def _online_case(seed=5, steps=30):
    rng = np.random.default_rng(seed)
    syn = TraceSTDPSynapse(
        (N_IN, N_OUT), 0.05, 0.03, 0.8, 1.0, 0.1, tau_w=20.0, key=jax.random.key(seed)
    )
    s_pre = (rng.uniform(size=(steps, N_IN)) < 0.4).astype(np.float32)
    inputs = OnlineTraceSTDPSynapse.Inputs(
        inputs=jnp.asarray(s_pre),
        post_spike=jnp.asarray(rng.uniform(size=(steps, N_OUT)) < 0.4, jnp.float32),
        pre_trace=jnp.asarray(rng.uniform(size=(steps, N_IN)), jnp.float32),
        post_trace=jnp.asarray(rng.uniform(size=(steps, N_OUT)), jnp.float32),
    )
    return syn, inputs


def test_online_cell_equals_advance_then_evolve():
    """One sample: the weights in the state follow the module's evolve step by step, and the
    outputs use the weights from before each step's update (dt = 0.5 scales the decay)."""
    syn, inputs = _online_case()
    cell = OnlineTraceSTDPSynapse(syn)
    _, states = contract.run_steps(cell, cell.init_state(), inputs, None, 0.5)
    state = syn.init_state()
    for k in range(inputs.inputs.shape[0]):
        state = syn.step(state, syn.Inputs(inputs.inputs[k]), None, 0.5)
        signals = (
            inputs.inputs[k],
            inputs.post_spike[k],
            inputs.pre_trace[k],
            inputs.post_trace[k],
        )
        np.testing.assert_allclose(
            states.dWeights[k], syn.calc_update(*signals), rtol=1e-5, atol=1e-7
        )
        syn = syn.evolve(*signals, dt=0.5)
        np.testing.assert_allclose(states.outputs[k], state.outputs, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(states.weights[k], syn.weights, rtol=1e-5, atol=1e-6)


def test_online_cell_pre_spike_defaults_to_the_inputs():
    """pre_spike=None means the transmitted inputs are the presynaptic spikes."""
    syn, inputs = _online_case(steps=3)
    cell = OnlineTraceSTDPSynapse(syn)
    first = jax.tree.map(lambda x: x[0], inputs)
    explicit = OnlineTraceSTDPSynapse.Inputs(
        first.inputs, first.post_spike, first.pre_trace, first.post_trace, pre_spike=first.inputs
    )
    a = cell.step(cell.init_state(), first, None, 1.0)
    b = cell.step(cell.init_state(), explicit, None, 1.0)
    np.testing.assert_array_equal(a.weights, b.weights)


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("index", "shape", "match"),
    [
        (0, (N_IN + 1,), "`pre_spike`"),
        (1, (2, N_OUT), "batch size"),
        (2, (1, 1, N_IN), "`pre_trace`"),
        (3, (N_IN,), "`post_trace`"),
    ],
)
def test_wrong_signal_shapes_raise_at_trace_time(index, shape, match):
    syn = TraceSTDPSynapse((N_IN, N_OUT), 0.1, 0.05, key=jax.random.key(0))
    signals = [jnp.ones(N_IN), jnp.ones(N_OUT), jnp.ones(N_IN), jnp.ones(N_OUT)]
    signals[index] = jnp.ones(shape)
    with pytest.raises(ValueError, match=match):
        jax.jit(lambda *sig: syn.calc_update(*sig))(*signals)


def test_online_cell_bad_input():
    """An input of another size (a leading batch axis: tests/test_contract.py)."""
    syn, inputs = _online_case(steps=1)
    cell = OnlineTraceSTDPSynapse(syn)
    bad = eqx.tree_at(
        lambda i: i.post_trace, jax.tree.map(lambda x: x[0], inputs), jnp.ones(N_OUT + 1)
    )
    with pytest.raises(
        ValueError,
        match=rf"OnlineTraceSTDPSynapse.step: input `post_trace` must have shape \({N_OUT},\)",
    ):
        jax.jit(lambda s: cell.step(s, bad, None, 1.0))(cell.init_state())
