"""PredictiveCodingNetwork: inference descends the energy, the step is its parts wired by hand,
the local Hebbian rule is the exact gradient of the energy (the contract of the step:
tests/test_contract.py, entry in tests/components/models.py)."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import dynax
from dynax.models.predictive_coding import PredictiveCodingNetwork
from dynax.neurons.graded.gaussian_error_cell import GaussianErrorCell
from dynax.neurons.graded.rate_cell import RateCell
from dynax.simulate import simulate

PCN = PredictiveCodingNetwork
SIZES = (6, 8, 5, 3)
WIDE = ("uniform", {"low": -0.5, "high": 0.5})


def _net(tie=True, seed=0, act="tanh"):
    return PCN(SIZES, act_fx=act, weight_init=WIDE, tie_feedback=tie, key=jax.random.key(seed))


def _data(seed=1):
    x = jax.random.normal(jax.random.key(seed), (SIZES[0],))
    y = jax.nn.one_hot(seed % SIZES[-1], SIZES[-1])
    return x, y


def _energy_of(net, z, x, y):
    """F written out directly from the equations (the oracle)."""
    below = [x] + [jnp.tanh(zi) for zi in z]
    targets = [*z, y]
    total = 0.0
    for w, a, t in zip(net.forward, below, targets, strict=True):
        mu = a @ w.weights + w.biases
        total = total + 0.5 * jnp.sum((t - mu) ** 2)
    return total


@eqx.filter_jit
def _inference_energy(net, x, y, steps=40):
    inputs = PCN.Inputs(x=jnp.tile(x, (steps, 1)), y=jnp.tile(y, (steps, 1)))
    return simulate(net, net.feedforward_state(x), inputs, dt=1.0, record=net.energy)[1]


@given(st.integers(0, 1000))
def test_energy_falls_during_inference(seed):
    """With tied feedback, inference is gradient descent on F: the energy never rises."""
    x, y = _data(seed)
    energy = np.asarray(_inference_energy(_net(seed=seed), x, y))
    assert energy[-1] < energy[0]
    assert np.all(np.diff(energy) <= 1e-6 * energy[0]), energy


def test_random_feedback_inference_stays_finite():
    """Untied feedback is not a gradient of F (the energy may rise); it must stay finite."""
    x, y = _data()
    energy = np.asarray(_inference_energy(_net(tie=False), x, y, steps=200))
    assert np.all(np.isfinite(energy))


def test_energy_matches_the_equations():
    net = _net()
    x, y = _data()
    state = net.feedforward_state(x)
    state = simulate(net, state, PCN.Inputs(jnp.tile(x, (5, 1)), jnp.tile(y, (5, 1))), dt=1.0)[0]
    after = net.step(state, PCN.Inputs(x, y), None, 1.0)  # errors of `state`
    expected = _energy_of(net, [z.z for z in state.z], x, y)
    np.testing.assert_allclose(net.energy(after), expected, rtol=1e-5)


def test_feedforward_state_has_no_hidden_error_and_predicts():
    net = _net()
    x, _ = _data()
    state = net.feedforward_state(x)
    errors = net.step(state, PCN.Inputs(x), None, 1.0).e
    for e in errors:
        np.testing.assert_allclose(e.dmu, 0.0, atol=1e-6)
    h1 = x @ net.forward[0].weights + net.forward[0].biases
    h2 = jnp.tanh(h1) @ net.forward[1].weights + net.forward[1].biases
    out = jnp.tanh(h2) @ net.forward[2].weights + net.forward[2].biases
    np.testing.assert_allclose(net.predict(state, x), out, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("tie", [True, False])
def test_step_equals_its_parts_wired_by_hand(tie):
    net = _net(tie=tie)
    x, y = _data()
    state = simulate(
        net, net.feedforward_state(x), PCN.Inputs(jnp.tile(x, (3, 1)), jnp.tile(y, (3, 1))), dt=1.0
    )[0]
    new = net.step(state, PCN.Inputs(x, y), None, 0.5)

    z1, z2 = state.z
    w1, w2, w3 = net.forward
    mu1 = x @ w1.weights + w1.biases
    mu2 = z1.zF @ w2.weights + w2.biases
    mu3 = z2.zF @ w3.weights + w3.biases
    e1 = GaussianErrorCell(8).step(
        GaussianErrorCell(8).init_state(), GaussianErrorCell.Inputs(mu1, z1.z), None, 1.0
    )
    e2 = GaussianErrorCell(5).step(
        GaussianErrorCell(5).init_state(), GaussianErrorCell.Inputs(mu2, z2.z), None, 1.0
    )
    e3 = GaussianErrorCell(3).step(
        GaussianErrorCell(3).init_state(), GaussianErrorCell.Inputs(mu3, y), None, 1.0
    )
    back2 = e2.dmu @ (w2.weights.T if tie else net.feedback[0].weights)
    back3 = e3.dmu @ (w3.weights.T if tie else net.feedback[1].weights)
    cell1 = RateCell(8, 10.0, act_fx="tanh")
    cell2 = RateCell(5, 10.0, act_fx="tanh")
    new1 = cell1.step(z1, RateCell.Inputs(back2, e1.dtarget), None, 0.5)
    new2 = cell2.step(z2, RateCell.Inputs(back3, e2.dtarget), None, 0.5)
    np.testing.assert_allclose(new.z[0].z, new1.z, rtol=1e-6)
    np.testing.assert_allclose(new.z[1].z, new2.z, rtol=1e-6)
    np.testing.assert_allclose(new.e[2].dmu, e3.dmu, rtol=1e-6)


def test_hebbian_gradients_are_the_exact_energy_gradient():
    """The local rule −f(z_{l−1})ᵀ e_l equals jax.grad of F w.r.t. W_l and b_l."""
    net = _net()
    x, y = _data()
    state = simulate(
        net, net.feedforward_state(x), PCN.Inputs(jnp.tile(x, (4, 1)), jnp.tile(y, (4, 1))), dt=1.0
    )[0]
    z = [s.z for s in state.z]
    local = net.hebbian_gradients(state, PCN.Inputs(x, y))
    auto = jax.grad(lambda n: _energy_of(n, z, x, y))(net)
    for i in range(3):
        np.testing.assert_allclose(
            local.forward[i].weights, auto.forward[i].weights, rtol=1e-5, atol=1e-6
        )
        np.testing.assert_allclose(
            local.forward[i].biases, auto.forward[i].biases, rtol=1e-5, atol=1e-6
        )


@pytest.mark.parametrize("reduce", ["mean", "sum"])
def test_batch_hebbian_gradients_reduce_the_per_sample_ones(reduce):
    net = _net()
    keys = jax.random.split(jax.random.key(5), 6)
    x = jax.vmap(lambda k: jax.random.normal(k, (net.sizes[0],)))(keys)
    y = jax.nn.one_hot(jnp.arange(6) % net.sizes[-1], net.sizes[-1])

    def relaxed(x, y):
        inputs = PCN.Inputs(x, y)
        return simulate(net, net.feedforward_state(x), constant_inputs=inputs, num_steps=5, dt=1.0)[
            0
        ]

    states = jax.vmap(relaxed)(x, y)
    batched = net.batch_hebbian_gradients(states, PCN.Inputs(x, y), reduce=reduce)
    per_sample = jax.vmap(net.hebbian_gradients)(states, PCN.Inputs(x, y))
    reduced = jax.tree.map(lambda g: getattr(jnp, reduce)(g, axis=0), per_sample)
    assert jax.tree.structure(batched) == jax.tree.structure(reduced)
    for got, want in zip(jax.tree.leaves(batched), jax.tree.leaves(reduced), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert any(float(jnp.abs(leaf).max()) > 1e-3 for leaf in jax.tree.leaves(batched))


def test_batch_hebbian_gradients_reject_bad_arguments():
    net = _net()
    x, y = _data()
    states = jax.vmap(lambda _: net.init_state())(jnp.arange(2))
    batch = PCN.Inputs(jnp.stack([x, x]), jnp.stack([y, y]))
    with pytest.raises(ValueError, match=r"`reduce` must be 'mean' or 'sum', got 'max'"):
        net.batch_hebbian_gradients(states, batch, reduce="max")
    with pytest.raises(ValueError, match=r"`inputs.x` must have shape \(batch, "):
        net.batch_hebbian_gradients(states, PCN.Inputs(x, y))


def test_hebbian_update_returns_a_new_network_and_lowers_the_energy():
    net = _net()
    x, y = _data()
    state = simulate(
        net,
        net.feedforward_state(x),
        PCN.Inputs(jnp.tile(x, (20, 1)), jnp.tile(y, (20, 1))),
        dt=1.0,
    )[0]
    z = [s.z for s in state.z]
    before = jax.tree.map(np.array, eqx.filter(net, eqx.is_array))
    new = net.hebbian_update(state, PCN.Inputs(x, y), learning_rate=0.05)
    chex_equal = jax.tree.map(
        np.array_equal, before, jax.tree.map(np.array, eqx.filter(net, eqx.is_array))
    )
    assert all(jax.tree.leaves(chex_equal))  # the old network is untouched
    assert _energy_of(new, z, x, y) < _energy_of(net, z, x, y)


def test_batched_inference_equals_a_loop():
    net = _net()
    xs = jax.random.normal(jax.random.key(5), (4, SIZES[0]))
    ys = jax.nn.one_hot(jnp.arange(4) % 3, 3)

    def infer(x, y):
        inputs = PCN.Inputs(jnp.tile(x, (10, 1)), jnp.tile(y, (10, 1)))
        return simulate(net, net.feedforward_state(x), inputs, dt=1.0)[0]

    batched = jax.jit(jax.vmap(infer))(xs, ys)
    for b in range(4):
        single = infer(xs[b], ys[b])
        for got, want in zip(jax.tree.leaves(batched), jax.tree.leaves(single), strict=True):
            np.testing.assert_allclose(got[b], want, rtol=1e-5, atol=1e-6)


def test_wrong_input_shape_raises():
    """Shapes of another size (a leading batch axis: tests/test_contract.py)."""
    net = _net()
    with pytest.raises(
        ValueError, match=r"PredictiveCodingNetwork.step: input `x` must have shape \(6,\)"
    ):
        net.step(net.init_state(), PCN.Inputs(jnp.ones(5)), None, 1.0)
    with pytest.raises(ValueError, match=r"input `y` must have shape \(3,\)"):
        net.step(net.init_state(), PCN.Inputs(jnp.ones(6), jnp.ones(4)), None, 1.0)


def test_per_layer_activations_and_variances_are_the_hand_wired_step():
    """`act_fx` and `sigma` per layer: the energy-derived step equals the hand-derived update
    `τ dz_l/dt = f_l′(z_l) ⊙ (e_{l+1} W_{l+1}ᵀ) − e_l` with e_l = (z_l − μ_l)/Σ_l, layer by
    layer (the formula the autodiff of the energy replaced)."""
    sigmas = (0.5, 2.0, 1.5)
    net = PCN(
        SIZES,
        act_fx=("tanh", "relu"),
        sigma=sigmas,
        weight_init=WIDE,
        key=jax.random.key(3),
    )
    assert [c.act_fx for c in net.latents] == ["tanh", "relu"]
    x, y = _data()
    z = [jax.random.normal(jax.random.key(i), (n,)) for i, n in enumerate(SIZES[1:-1])]
    f = [jnp.tanh, jax.nn.relu]
    df = [lambda z: 1 - jnp.tanh(z) ** 2, lambda z: (z >= 0).astype(z.dtype)]
    state = PCN.State(
        z=tuple(RateCell.State(z=zi, zF=fi(zi)) for zi, fi in zip(z, f, strict=True)),
        e=net.init_state().e,
    )
    new = net.step(state, PCN.Inputs(x, y), None, 0.5)
    below = [x, f[0](z[0]), f[1](z[1])]
    mu = [a @ w.weights + w.biases for a, w in zip(below, net.forward, strict=True)]
    e = [(t - m) / s for t, m, s in zip([z[0], z[1], y], mu, sigmas, strict=True)]
    for layer in range(2):
        w_above = net.forward[layer + 1].weights
        dz = df[layer](z[layer]) * (e[layer + 1] @ w_above.T) - e[layer]
        np.testing.assert_allclose(new.z[layer].z, z[layer] + 0.5 * dz / 10.0, rtol=1e-5)
    for layer in range(3):
        np.testing.assert_allclose(new.e[layer].dmu, e[layer], rtol=1e-5, atol=1e-7)


def test_local_gradients_are_the_hand_derived_rule_with_masks_and_gains():
    """`hebbian_gradients` (autodiff of the energy) equals the hand-derived local rule it
    replaced, `∂F/∂W_l = −(f(z_{l−1})ᵀ e_l)·g ⊙ M` and `∂F/∂b_l = −e_l`, with a structural
    mask and a gain on one synapse."""
    net = _net()
    masked = dynax.DenseSynapse(
        (SIZES[1], SIZES[2]),
        weight_init=WIDE,
        bias_init=("constant", {"value": 0.0}),
        g_conduct_factor=1.7,
        p_conn=0.6,
        key=jax.random.key(4),
    )
    net = eqx.tree_at(lambda n: n.forward[1], net, masked)
    x, y = _data()
    state = simulate(
        net, net.feedforward_state(x), PCN.Inputs(jnp.tile(x, (4, 1)), jnp.tile(y, (4, 1))), dt=1.0
    )[0]
    grads = net.hebbian_gradients(state, PCN.Inputs(x, y))
    errors = net.step(state, PCN.Inputs(x, y), None, 1.0).e
    below = [x] + [s.zF for s in state.z]
    for i, synapse in enumerate(net.forward):
        mask = 1.0 if synapse.mask is None else synapse.mask
        want = -jnp.outer(below[i], errors[i].dmu) * synapse.g_conduct_factor * mask
        np.testing.assert_allclose(grads.forward[i].weights, want, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(grads.forward[i].biases, -errors[i].dmu, rtol=1e-5, atol=1e-7)
    assert np.any(np.asarray(masked.mask) == 0)  # the mask matters


def test_per_layer_arguments_must_have_one_value_per_layer():
    with pytest.raises(ValueError, match=r"`act_fx` must be one value or a sequence of 2"):
        PCN(SIZES, act_fx=("tanh",), key=jax.random.key(0))
    with pytest.raises(ValueError, match=r"`sigma` must be one value or a sequence of 3"):
        PCN(SIZES, sigma=(1.0, 2.0), key=jax.random.key(0))


def test_a_step_beyond_the_stable_dt_is_rejected_and_one_within_it_stays_finite():
    """Issue 10, item 5: `tau_m = 1, sigma = 0.18`, `x = 100` and `dt = 0.5` overflowed. A
    hidden layer's Euler update contracts only while `dt/(τ_m·σ) ≤ 2` (its leak term alone
    relaxes at `1/(τ_m·σ)`): 0.5 exceeds 2·0.18 = 0.36 and is refused, naming the bound;
    0.3 runs 1000 steps finite."""
    net = PCN((8, 6, 3), tau_m=1.0, sigma=0.18, key=jax.random.key(0))
    x = jnp.full((8,), 100.0)
    inputs = PCN.Inputs(x=jnp.tile(x, (1000, 1)), y=jnp.zeros((1000, 3)))
    with pytest.raises(
        ValueError, match=r"PredictiveCodingNetwork.step: `dt` must be at most 0\.36"
    ):
        simulate(net, net.feedforward_state(x), inputs, dt=0.5)
    final, _ = simulate(net, net.feedforward_state(x), inputs, dt=0.3)
    assert all(np.isfinite(np.asarray(leaf)).all() for leaf in jax.tree.leaves(final))
