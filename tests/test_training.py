"""Training helpers, and predictive coding trained on the digits two ways (local Hebbian
learning and gradients through `simulate`), at the CI-sized defaults with fixed seeds."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from dynax.examples import predictive_coding_digits as pcd
from dynax.training import accuracy, apply_gradients, fit, minibatches

# ---------------------------------------------------------------- minibatches


def test_minibatches_shapes_alignment_and_no_repeats():
    n, b = 23, 5
    x = jnp.arange(n * 3, dtype=jnp.float32).reshape(n, 3)
    labels = jnp.arange(n)
    xb, lb = minibatches(jax.random.key(0), (x, labels), b)
    assert xb.shape == (4, 5, 3) and lb.shape == (4, 5)
    flat = np.asarray(lb).ravel()
    assert len(set(flat.tolist())) == 20  # 20 distinct samples, 3 dropped
    np.testing.assert_array_equal(np.asarray(xb).reshape(-1, 3), np.asarray(x)[flat])  # aligned


def test_minibatches_shuffle_by_key_and_jit():
    data = jnp.arange(64)
    a = minibatches(jax.random.key(0), data, 8)
    np.testing.assert_array_equal(a, minibatches(jax.random.key(0), data, 8))
    assert not np.array_equal(a, minibatches(jax.random.key(1), data, 8))
    assert not np.array_equal(np.asarray(a).ravel(), np.arange(64))  # shuffled
    jitted = jax.jit(minibatches, static_argnums=2)(jax.random.key(0), data, 8)
    np.testing.assert_array_equal(a, jitted)


@pytest.mark.parametrize(
    ("data", "batch_size", "match"),
    [
        (jnp.zeros(4), 5, "batch_size"),
        (jnp.zeros(4), 0, "batch_size"),
        ((jnp.zeros(4), jnp.zeros(5)), 2, "leading"),
        ((), 2, "no arrays"),
    ],
)
def test_minibatches_bad_arguments(data, batch_size, match):
    with pytest.raises(ValueError, match=match):
        minibatches(jax.random.key(0), data, batch_size)


# ---------------------------------------------------------------- accuracy


def test_accuracy_counts_argmax_hits():
    scores = jnp.array([[0.1, 0.9, 0.0], [2.0, 1.0, 0.0], [0.0, 0.2, 0.1], [0.3, 0.2, 0.1]])
    classes = jnp.array([1, 0, 0, 2])  # hits: rows 0 and 1
    assert float(accuracy(scores, classes)) == 0.5
    assert float(accuracy(scores, jax.nn.one_hot(classes, 3))) == 0.5
    assert float(accuracy(scores, jnp.argmax(scores, -1))) == 1.0


@pytest.mark.parametrize(
    ("scores", "labels", "match"),
    [(jnp.zeros(3), jnp.zeros(3), "predictions"), (jnp.zeros((3, 2)), jnp.zeros(4), "labels")],
)
def test_accuracy_bad_shapes(scores, labels, match):
    with pytest.raises(ValueError, match=match):
        accuracy(scores, labels)


# ---------------------------------------------------------------- optax loop


class _Affine(eqx.Module):
    w: jax.Array
    b: jax.Array
    frozen: jax.Array

    def __call__(self, x):
        return x @ self.w + self.b + self.frozen


def _affine():
    return _Affine(w=jnp.zeros((3, 2)), b=jnp.zeros(2), frozen=jnp.ones(2))


def _learnable(model):
    return _Affine(w=True, b=True, frozen=False)


def _regression(n=64):
    x = jax.random.normal(jax.random.key(0), (n, 3))
    w = jnp.array([[1.0, -2.0], [0.5, 0.0], [-1.0, 3.0]])
    return x, x @ w + jnp.array([0.5, -0.5]) + 1.0


def _mse(model, batch):
    def loss(model):
        x, y = batch
        return jnp.mean((jax.vmap(model)(x) - y) ** 2)

    return eqx.filter_value_and_grad(loss)(model)


def test_apply_gradients_is_one_optimiser_step_on_the_selected_leaves():
    model = _affine()
    grads = _Affine(w=jnp.full((3, 2), 2.0), b=jnp.array([1.0, -1.0]), frozen=jnp.ones(2))
    optimiser = optax.sgd(0.1)
    state = optimiser.init(eqx.filter(model, _learnable(model)))
    new, _ = apply_gradients(model, grads, optimiser, state, _learnable(model))
    np.testing.assert_allclose(new.w, -0.2)
    np.testing.assert_allclose(new.b, [-0.1, 0.1])
    np.testing.assert_array_equal(new.frozen, 1.0)  # not selected: unchanged


def test_fit_equals_a_hand_written_loop_and_records_history():
    data = _regression()
    model = _affine()
    spec = _learnable(model)
    optimiser = optax.sgd(0.05)
    epochs, batch_size, key = 3, 16, jax.random.key(7)

    def evaluate(m):
        return {"train_mse": jnp.mean((jax.vmap(m)(data[0]) - data[1]) ** 2)}

    trained, history = fit(
        model,
        optimiser,
        _mse,
        data,
        epochs=epochs,
        batch_size=batch_size,
        key=key,
        filter_spec=spec,
        evaluate=evaluate,
    )

    @eqx.filter_jit
    def step(model, state, batch):
        loss, grads = _mse(model, batch)
        return *apply_gradients(model, grads, optimiser, state, spec), loss

    by_hand, state, losses, mses = model, optimiser.init(eqx.filter(model, spec)), [], []
    for epoch in range(epochs):
        xs, ys = minibatches(jax.random.fold_in(key, epoch), data, batch_size)
        epoch_losses = []
        for x, y in zip(xs, ys, strict=True):
            by_hand, state, loss = step(by_hand, state, (x, y))
            epoch_losses.append(loss)
        losses.append(np.mean(epoch_losses))
        mses.append(evaluate(by_hand)["train_mse"])
    np.testing.assert_allclose(trained.w, by_hand.w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(trained.b, by_hand.b, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(trained.frozen, 1.0)
    assert set(history) == {"loss", "train_mse"}
    assert history["loss"].shape == (epochs,)
    np.testing.assert_allclose(history["loss"], losses, rtol=1e-5)
    np.testing.assert_allclose(history["train_mse"], mses, rtol=1e-5)
    assert history["train_mse"][-1] < history["train_mse"][0]


def test_fit_learns_and_is_deterministic():
    data = _regression()
    model = _affine()
    run = dict(epochs=30, batch_size=8, key=jax.random.key(0), filter_spec=_learnable(model))
    trained, history = fit(model, optax.adam(0.05), _mse, data, **run)
    assert history["loss"][-1] < 1e-2 * history["loss"][0]
    np.testing.assert_allclose(trained.b, [0.5, -0.5], atol=0.05)  # `frozen` already adds 1
    again, _ = fit(model, optax.adam(0.05), _mse, data, **run)
    np.testing.assert_array_equal(trained.w, again.w)


@pytest.mark.parametrize(
    ("kwargs", "match"), [({"epochs": 0}, "epochs"), ({"batch_size": 100}, "batch_size")]
)
def test_fit_bad_arguments(kwargs, match):
    run = dict(epochs=1, batch_size=8, key=jax.random.key(0)) | kwargs
    with pytest.raises(ValueError, match=match):
        fit(_affine(), optax.sgd(0.1), _mse, _regression(), **run)


# ---------------------------------------------------------------- predictive coding, digits


@pytest.fixture(scope="module")
def digits():
    pytest.importorskip("sklearn")
    from dynax.datasets import load_digits

    return load_digits()


def test_relaxation_from_rest_with_the_label_free_has_a_closed_form():
    """One hidden layer, label free: the top error is 0, so the hidden layer relaxes linearly
    to its prediction, z(T) = (1 − (1 − dt/τ)^T)·μ_1 under Euler; the prediction after T
    steps, and the end-to-end gradient through `simulate`, follow from it."""
    tau, dt, steps = 5.0, 1.0, 7
    net = pcd.make_network((6, 9, 4), key=jax.random.key(3), tau_m=tau, init_scale=0.5)
    x = jax.random.uniform(jax.random.key(4), (5, 6))
    y = jax.nn.one_hot(jnp.arange(5) % 4, 4)
    shrink = 1.0 - (1.0 - dt / tau) ** steps

    def closed_form(n):
        w1, w2 = n.forward
        hidden = shrink * (x @ w1.weights + w1.biases)
        return jax.nn.relu(hidden) @ w2.weights + w2.biases

    @eqx.filter_jit
    def run(net):
        from_rest = pcd.predict(net, x, steps=steps, dt=dt, from_rest=True)
        from_feedforward = pcd.predict(net, x, steps=steps, dt=dt)
        loss_and_grads = pcd.EndToEndObjective(steps=steps, dt=dt)(net, (x, y))
        expected = eqx.filter_value_and_grad(
            lambda n: 0.5 * jnp.mean(jnp.sum((closed_form(n) - y) ** 2, -1))
        )(net)
        return from_rest, from_feedforward, pcd.predict(net, x), loss_and_grads, expected

    out, relaxed, feedforward, (loss, grads), (expected_loss, expected) = run(net)
    np.testing.assert_allclose(out, closed_form(net), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(relaxed, feedforward, rtol=1e-6)
    np.testing.assert_allclose(loss, expected_loss, rtol=1e-5)
    for ours, theirs in zip(grads.forward, expected.forward, strict=True):
        np.testing.assert_allclose(ours.weights, theirs.weights, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(ours.biases, theirs.biases, rtol=1e-4, atol=1e-6)


def test_hebbian_objective_is_the_batch_mean_of_the_local_rule():
    net = pcd.make_network((6, 9, 4), key=jax.random.key(3), init_scale=0.5)
    x = jax.random.uniform(jax.random.key(4), (3, 6))
    y = jax.nn.one_hot(jnp.arange(3), 4)
    _, grads = eqx.filter_jit(pcd.HebbianObjective(steps=5, dt=1.0))(net, (x, y))

    @eqx.filter_jit
    def local_rule(net, x, y):
        state = pcd.relax(net, x, y, steps=5, dt=1.0)
        moved = jnp.max(jnp.abs(state.z[0].z - net.feedforward_state(x).z[0].z))
        return net.hebbian_gradients(state, pcd.PCN.Inputs(x, y)), moved

    per_sample = []
    for xi, yi in zip(x, y, strict=True):
        g, moved = local_rule(net, xi, yi)
        assert moved > 1e-3  # inference did move the latents
        per_sample.append(g)
    for layer in range(2):
        mean_w = np.mean([g.forward[layer].weights for g in per_sample], axis=0)
        np.testing.assert_allclose(grads.forward[layer].weights, mean_w, rtol=1e-5, atol=1e-7)


def test_synaptic_parameters_selects_only_forward_weights_and_biases():
    net = pcd.make_network((6, 9, 4), key=jax.random.key(0))
    selected = eqx.filter(net, pcd.synaptic_parameters(net))
    leaves = jax.tree_util.tree_leaves_with_path(selected)
    names = sorted(jax.tree_util.keystr(path) for path, _ in leaves)
    assert names == [f".forward[{i}].{p}" for i in range(2) for p in ("biases", "weights")]


def _check_run(net, history, epochs, initial):
    for name in ("loss", "train_accuracy", "test_accuracy"):
        assert history[name].shape == (epochs,)
        assert np.all(np.isfinite(history[name]))
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    # Only the synapses learned: time constants, variances and gains are as built.
    frozen = eqx.filter(initial, pcd.synaptic_parameters(initial), inverse=True)
    after = eqx.filter(net, pcd.synaptic_parameters(net), inverse=True)
    for a, b in zip(jax.tree.leaves(frozen), jax.tree.leaves(after), strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(net.forward[0].weights, initial.forward[0].weights)


def test_local_hebbian_learning_classifies_held_out_digits(digits):
    net, history = pcd.train_hebbian(digits, seed=0)
    initial = pcd.make_network(key=jax.random.split(jax.random.key(0))[0])
    _check_run(net, history, 10, initial)
    feedforward = pcd.predict(net, jnp.asarray(digits.x_test))
    final = float(accuracy(feedforward, digits.y_test))
    np.testing.assert_allclose(final, history["test_accuracy"][-1])
    assert final >= 0.93, history["test_accuracy"]


def test_end_to_end_gradients_through_inference_classify_held_out_digits(digits):
    net, history = pcd.train_end_to_end(digits, seed=0)
    initial = pcd.make_network(key=jax.random.split(jax.random.key(0))[0])
    _check_run(net, history, 10, initial)
    relaxed = pcd.predict(net, jnp.asarray(digits.x_test), steps=10, dt=1.0, from_rest=True)
    final = float(accuracy(relaxed, digits.y_test))
    np.testing.assert_allclose(final, history["test_accuracy"][-1])
    assert final >= 0.95, history["test_accuracy"]
