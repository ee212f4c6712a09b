"""DenseSynapse: golden parity with ngclearn, delays, p_conn, stochastic release, gradients,
bad input (the contract itself: tests/test_contract.py, entry in tests/components/synapses.py)."""

import re

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import contract
from support.golden import constructor_kwargs, golden_names, load_golden

from dynax.synapses.dense_synapse import DenseSynapse

# ---------------------------------------------------------------- golden parity


def _reference_delays(golden):
    """Defect 15: the reference delays pre unit i by D − d_i steps (always 1..D), with
    d_i = randint(split(key, 4)[2], (n_pre,), 0, D) and key = PRNGKey(key_seed)."""
    depth = golden.params.get("max_delay_steps", 0)
    if depth == 0:
        return None
    n_pre = golden.params["shape"][0]
    key = jax.random.split(jax.random.PRNGKey(golden.params["key_seed"]), 4)[2]
    return depth - np.asarray(jax.random.randint(key, (n_pre,), 0, depth))


def _lags_from_trajectory(golden):
    """The delay of each pre unit read off the recorded `delayed_inputs`: the lag L with
    delayed[k] = inputs[k − L] (zeros before the first input)."""
    inputs, delayed = golden.inputs["inputs"], golden.traj["delayed_inputs"]
    lags = []
    for i in range(inputs.shape[-1]):
        found = [
            lag
            for lag in range(len(inputs))
            if np.array_equal(delayed[lag:, :, i], inputs[: len(inputs) - lag, :, i])
            and not delayed[:lag, :, i].any()
        ]
        assert len(found) == 1, (i, found)
        lags.append(found[0])
    return np.asarray(lags)


def _synapse_from_golden(golden):
    """Built from the file's parameters with its recorded initial arrays (the p_conn mask is
    already folded into `init__weights`; a (1, 1) mask is the reference's "no mask")."""
    kwargs = constructor_kwargs(golden, {"batch_size": None, "key_seed": None, "p_conn": None})
    shape = tuple(kwargs["shape"])
    kwargs["weight_init"] = golden.init["weights"]
    biases = golden.init["biases"]
    kwargs["bias_init"] = biases[0] if biases.ndim == 2 else biases
    mask = golden.init["mask"]
    if mask.shape == shape:
        kwargs["mask"] = mask
    else:
        assert np.all(mask == 1.0)
        kwargs.pop("mask", None)
    delays = _reference_delays(golden)
    if delays is not None:
        kwargs["delays"] = delays
    return DenseSynapse(**kwargs)


def _run(synapse, golden):
    step = jax.jit(jax.vmap(lambda s, i: synapse.step(s, i, None, golden.dt)))
    state = jax.vmap(lambda _: synapse.init_state())(jnp.arange(golden.batch_size))
    gates = golden.inputs.get("gate")
    out = []
    for k in range(golden.num_steps):
        gate = None if gates is None else gates[k]
        state = step(state, DenseSynapse.Inputs(golden.inputs["inputs"][k], gate))
        out.append(state)
    return jax.tree.map(lambda *xs: np.stack(xs), *out)


@pytest.mark.parametrize("name", golden_names("DenseSynapse"))
def test_matches_reference(name):
    golden = load_golden(name)
    states = _run(_synapse_from_golden(golden), golden)
    for field in ("outputs", "delayed_inputs"):
        np.testing.assert_allclose(
            getattr(states, field), golden.traj[field], rtol=1e-5, atol=1e-6, err_msg=field
        )


@pytest.mark.parametrize("name", golden_names("DenseSynapse"))
def test_reference_delays_are_never_zero(name):
    """Defect 15: the delays the reference applied (read off its trajectory) are those of the
    formula, and all >= 1 when delays are on (there is no zero-delay path)."""
    golden = load_golden(name)
    lags = _lags_from_trajectory(golden)
    delays = _reference_delays(golden)
    if delays is None:
        assert not lags.any()
    else:
        np.testing.assert_array_equal(lags, delays)
        assert lags.min() >= 1


@pytest.mark.parametrize("name", golden_names("DenseSynapse"))
def test_key_reproduces_reference_initial_arrays(name):
    """Built from the file's key and initializer specs, dynax draws the reference's initial
    weights (p_conn mask included) and biases bit for bit: the key layout is the same."""
    golden = load_golden(name)
    kwargs = constructor_kwargs(golden, {"batch_size": None, "key_seed": None})
    kwargs["key"] = jax.random.PRNGKey(golden.params["key_seed"])
    synapse = DenseSynapse(**kwargs)
    np.testing.assert_array_equal(synapse.weights, golden.init["weights"])
    if "bias_init" in golden.params:
        np.testing.assert_array_equal(synapse.biases, golden.init["biases"][0])
    else:
        assert synapse.biases is None and not golden.init["biases"].any()


# ---------------------------------------------------------------- delays, p_conn, release

N_IN, N_OUT = 5, 3


def test_delays_match_a_shifted_input():
    """Oracle: unit i emits the input of `delays[i]` steps ago (zeros before the start), over
    several wraps of the ring buffer; delay 0 passes the input through unchanged."""
    delays = np.array([0, 1, 2, 4, 4])
    synapse = DenseSynapse((N_IN, N_OUT), jnp.ones((N_IN, N_OUT)), max_delay_steps=4, delays=delays)
    x = jax.random.normal(jax.random.PRNGKey(0), (17, N_IN))
    _, states = contract.run_steps(synapse, synapse.init_state(), DenseSynapse.Inputs(x), None, 1.0)
    xs = np.asarray(x)
    expected = np.zeros_like(xs)
    for i, d in enumerate(delays):
        expected[d:, i] = xs[: len(xs) - d, i]
    np.testing.assert_array_equal(states.delayed_inputs, expected)
    np.testing.assert_allclose(states.outputs, expected @ np.ones((N_IN, N_OUT)), rtol=1e-6)


def test_default_delays_cover_zero_to_max():
    synapse = DenseSynapse((400, 2), max_delay_steps=3, key=jax.random.PRNGKey(1))
    assert set(np.asarray(synapse.delays).tolist()) == {0, 1, 2, 3}


def test_p_conn_mask_is_kept_through_learning():
    """Pruned connections stay cut: weights changed after construction (learning) still
    transmit nothing where the Bernoulli(p_conn) draw was 0, and get zero gradient."""
    synapse = DenseSynapse((40, 30), p_conn=0.5, key=jax.random.PRNGKey(3))
    pruned = np.asarray(synapse.weights) == 0.0
    assert 0.35 < pruned.mean() < 0.65
    learned = eqx.tree_at(lambda s: s.weights, synapse, synapse.weights + 1.0)
    x = jax.random.normal(jax.random.PRNGKey(4), (40,))
    out = learned.step(learned.init_state(), DenseSynapse.Inputs(x), None, 1.0).outputs
    np.testing.assert_allclose(out, x @ np.where(pruned, 0.0, synapse.weights + 1.0), rtol=1e-5)

    def loss(s):
        return jnp.sum(s.step(s.init_state(), DenseSynapse.Inputs(x), None, 1.0).outputs ** 2)

    grads = eqx.filter_jit(eqx.filter_grad(loss))(learned)
    assert np.all(np.asarray(grads.weights)[pruned] == 0.0)
    assert np.all(np.asarray(grads.weights)[~pruned] != 0.0)


def test_stochastic_release_frequency_matches_probabilities():
    """Each presynaptic unit transmits with its own probability p_release[i] (drawn in
    [p − 0.1, p + 0.1]); over 4000 steps the observed rate is within 5 binomial sigmas."""
    synapse = DenseSynapse((N_IN, N_OUT), p_release_mean=0.4, key=jax.random.PRNGKey(5))
    p = np.asarray(synapse.p_release)
    assert np.all((p >= 0.3 - 1e-6) & (p <= 0.5 + 1e-6)) and np.ptp(p) > 0
    steps = 4000
    ones = DenseSynapse.Inputs(jnp.ones((steps, N_IN)))
    _, states = contract.run_steps(synapse, synapse.init_state(), ones, jax.random.PRNGKey(6), 1.0)
    rate = np.asarray(states.delayed_inputs).mean(axis=0)
    np.testing.assert_array_less(np.abs(rate - p), 5 * np.sqrt(p * (1 - p) / steps))


def test_stochastic_release_needs_and_follows_the_key():
    synapse = DenseSynapse((N_IN, N_OUT), p_release_mean=0.5, key=jax.random.PRNGKey(7))
    inputs = DenseSynapse.Inputs(jnp.ones(N_IN))
    with pytest.raises(ValueError, match="key"):
        synapse.step(synapse.init_state(), inputs, None, 1.0)
    contract.assert_key_determines_noise(synapse, synapse.init_state(), inputs, 1.0)


def test_explicit_release_probabilities_are_used_as_given():
    p = jnp.array([0.0, 1.0, 0.0, 1.0, 1.0])
    synapse = DenseSynapse((N_IN, N_OUT), jnp.ones((N_IN, N_OUT)), p_release_mean=p)
    new = synapse.step(
        synapse.init_state(), DenseSynapse.Inputs(jnp.ones(N_IN)), jax.random.PRNGKey(0), 1
    )
    np.testing.assert_array_equal(new.delayed_inputs, p)


def test_deterministic_by_default_and_key_is_ignored():
    synapse = DenseSynapse((N_IN, N_OUT), key=jax.random.PRNGKey(0))
    assert synapse.p_release is None and synapse.delays is None and synapse.biases is None
    inputs = DenseSynapse.Inputs(jnp.arange(N_IN, dtype=jnp.float32))
    a = synapse.step(synapse.init_state(), inputs, None, 1.0)
    b = synapse.step(synapse.init_state(), inputs, jax.random.PRNGKey(9), 1.0)
    np.testing.assert_array_equal(a.outputs, b.outputs)


def test_forward_equation_with_bias_gain_mask_gate():
    """outputs = (x @ (W ⊙ M)) ⊙ gate · g + b, written out in NumPy."""
    rng = np.random.default_rng(0)
    w, m, b = rng.normal(size=(N_IN, N_OUT)), rng.random((N_IN, N_OUT)), rng.normal(size=N_OUT)
    g, x, gate = rng.normal(size=N_OUT), rng.normal(size=N_IN), rng.random(N_OUT)
    synapse = DenseSynapse((N_IN, N_OUT), w, b, g_conduct_factor=g, mask=m)
    new = synapse.step(synapse.init_state(), DenseSynapse.Inputs(x, gate), None, 1.0)
    np.testing.assert_allclose(new.outputs, (x @ (w * m)) * gate * g + b, rtol=1e-5, atol=1e-6)


def test_transmit_with_other_weights_is_the_forward_pass_of_those_weights():
    """The reusable forward pass: `transmit(..., weights=W2)` equals a synapse built on W2."""
    w1, w2 = jnp.ones((N_IN, N_OUT)), jnp.arange(N_IN * N_OUT, dtype=jnp.float32).reshape(N_IN, -1)
    kwargs = {
        "bias_init": jnp.ones(N_OUT),
        "max_delay_steps": 2,
        "delays": jnp.array([0, 1, 2, 1, 0]),
    }
    a, b = DenseSynapse((N_IN, N_OUT), w1, **kwargs), DenseSynapse((N_IN, N_OUT), w2, **kwargs)
    state, inputs = a.init_state(), DenseSynapse.Inputs(jnp.ones(N_IN))
    got = a.transmit(state, inputs, None, 1.0, weights=w2)
    want = b.step(state, inputs, None, 1.0)
    for x, y in zip(jax.tree.leaves(got), jax.tree.leaves(want), strict=True):
        np.testing.assert_array_equal(x, y)


def test_resist_scale_is_a_deprecated_alias():
    with pytest.warns(DeprecationWarning, match="resist_scale"):
        synapse = DenseSynapse((N_IN, N_OUT), jnp.ones((N_IN, N_OUT)), resist_scale=2.5)
    np.testing.assert_array_equal(synapse.g_conduct_factor, 2.5)


# ---------------------------------------------------------------- rest, gradients


def test_rest_is_a_fixed_point_without_input():
    synapse = DenseSynapse((N_IN, N_OUT), max_delay_steps=2, key=jax.random.PRNGKey(0))
    rest = synapse.init_state()
    new = synapse.step(rest, DenseSynapse.Inputs(jnp.zeros(N_IN)), None, 1.0)
    for a, b in zip(jax.tree.leaves(rest)[:3], jax.tree.leaves(new)[:3], strict=True):
        np.testing.assert_array_equal(a, b)


@jax.jit
def _delayed_loss(a):
    """tanh-summed outputs of 10 delayed steps, with weights `W0 + a·D` (one compilation)."""
    base = jax.random.normal(jax.random.PRNGKey(1), (N_IN, N_OUT))
    direction = jax.random.normal(jax.random.PRNGKey(2), (N_IN, N_OUT))
    x = jax.random.normal(jax.random.PRNGKey(3), (10, N_IN))
    synapse = DenseSynapse(
        (N_IN, N_OUT), base + a * direction, max_delay_steps=2, delays=jnp.array([0, 1, 2, 1, 0])
    )
    _, states = contract.run_steps(synapse, synapse.init_state(), DenseSynapse.Inputs(x), None, 1.0)
    return jnp.sum(jnp.tanh(states.outputs))


@given(st.floats(-2.0, 2.0))
def test_gradient_wrt_weights_matches_finite_difference(scale):
    """Directional derivative along a fixed direction of W, through 10 delayed steps."""
    contract.assert_grad_matches_finite_difference(_delayed_loss, scale)


def test_gradient_wrt_weights_is_the_outer_product():
    """d(c · outputs)/dW = x ⊗ (c ⊙ gate · g) ⊙ M, exactly."""
    rng = np.random.default_rng(1)
    w, m = rng.normal(size=(N_IN, N_OUT)), (rng.random((N_IN, N_OUT)) > 0.3).astype(float)
    x, gate, c = rng.normal(size=N_IN), rng.random(N_OUT), rng.normal(size=N_OUT)
    synapse = DenseSynapse((N_IN, N_OUT), w, g_conduct_factor=1.5, mask=m)

    def loss(s):
        return jnp.dot(c, s.step(s.init_state(), DenseSynapse.Inputs(x, gate), None, 1).outputs)

    grad = eqx.filter_grad(loss)(synapse).weights
    np.testing.assert_allclose(grad, np.outer(x, c * gate * 1.5) * m, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- bad input

SHAPE = (N_IN, N_OUT)


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("inputs", jnp.ones(4), "(5,)"),
        ("gate", jnp.ones(5), "(3,)"),
    ],
)
def test_wrong_input_shape_raises_at_trace_time(field, value, expected):
    """Shapes of another size (a leading batch axis: tests/test_contract.py)."""
    synapse = DenseSynapse(SHAPE, jnp.ones(SHAPE))
    good = {"inputs": jnp.ones(N_IN), "gate": jnp.ones(N_OUT)}
    good[field] = value
    pattern = re.escape(f"DenseSynapse.step: input `{field}` must have shape {expected}, got shape")
    with pytest.raises(ValueError, match=pattern):
        jax.jit(lambda s: synapse.step(s, DenseSynapse.Inputs(**good), None, 1.0))(
            synapse.init_state()
        )
