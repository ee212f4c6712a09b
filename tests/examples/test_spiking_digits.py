"""The spiking digits classifier: accuracy of a CI-sized training run, surrogate gradients,
the wiring of one step against a hand computation, and the traces for raster plots."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from dynax.datasets import load_digits
from dynax.examples import spiking_digits as sd
from dynax.neurons.spiking.lif_cell import LIFCell
from dynax.training import fit_keyed


@pytest.fixture(scope="module")
def digits():
    return load_digits()


@pytest.fixture(scope="module")
def trained(digits):
    return sd.train(digits, epochs=15, seed=0)


def test_lif_classifier_reaches_90_percent_test_accuracy(trained):
    _, history = trained
    assert set(history) == {"loss", "train_accuracy", "test_accuracy"}
    for values in history.values():
        assert values.shape == (15,)
        assert np.all(np.isfinite(values))
    # Held-out split (359 images), fixed seeds; observed 0.95 (0.93-0.95 over seeds 0-2).
    assert history["test_accuracy"][-1] >= 0.90
    assert history["train_accuracy"][-1] >= 0.90
    # Learning happened: the cross-entropy fell well below its start (≈ log 10 at random).
    assert history["loss"][-1] < 0.25 * history["loss"][0]


def test_trained_model_still_spikes_and_is_deterministic(trained, digits):
    model, history = trained
    x, y = jnp.asarray(digits.x_test), jnp.asarray(digits.y_test)
    # `train` scores the test set with the Poisson draws of its third key.
    test_key = jax.random.split(jax.random.key(0), 3)[2]
    score = sd.evaluate_accuracy(model, x, y, test_key, num_steps=25, dt=1.0)
    assert float(score) == pytest.approx(history["test_accuracy"][-1], abs=1e-6)
    other = sd.evaluate_accuracy(model, x, y, jax.random.key(6), num_steps=25, dt=1.0)
    assert float(other) >= 0.88  # other Poisson draws: the accuracy is not a lucky draw
    trace = sd.run(model, digits.x_test[0], jax.random.key(7))
    assert 0 < float(trace.hidden_spikes.mean()) < 0.5


def test_adex_hidden_layer_learns(digits):
    model = sd.make_classifier(n_hidden=64, key=jax.random.key(0), hidden=sd.adex_hidden(64))
    before = model.hidden_in.weights
    model, history = fit_keyed(
        model,
        optax.adam(2e-2),
        sd.CrossEntropy(num_steps=25, dt=1.0),
        (digits.x_train, digits.y_train),
        epochs=3,
        batch_size=64,
        key=jax.random.key(1),
        filter_spec=sd.weights(model),
    )
    # Surrogate gradients reached the input weights through the AdEx spikes, and the loss
    # fell (observed: 2.13 → 0.74, minibatch accuracy 0.87 in the third epoch; 128 AdEx
    # units reach 0.94 test accuracy after 15 epochs).
    assert np.all(np.isfinite(model.hidden_in.weights))
    assert not np.allclose(model.hidden_in.weights, before)
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert history["train_accuracy"][-1] >= 0.75


def test_surrogate_gradients_are_finite_and_nonzero(digits):
    model = sd.make_classifier(key=jax.random.key(0))
    batch = (jnp.asarray(digits.x_train[:16]), jnp.asarray(digits.y_train[:16]))
    objective = eqx.filter_jit(sd.CrossEntropy(num_steps=25, dt=1.0))
    loss, grads, metrics = objective(model, batch, jax.random.key(1))
    assert np.isfinite(loss)
    for name, grad in {
        "hidden_in.weights": grads.hidden_in.weights,
        "readout_in.weights": grads.readout_in.weights,
        "hidden.tau_m": grads.hidden.tau_m,
        "hidden.thr": grads.hidden.thr,
        "readout.tau_m": grads.readout.tau_m,
    }.items():
        assert np.all(np.isfinite(grad)), name
        assert float(jnp.abs(grad).sum()) > 0, name
    # The input weights get a gradient only through the spikes' surrogate: without it (a
    # straight Heaviside) they would get none.
    assert float(jnp.abs(grads.hidden_in.weights).max()) > 1e-6
    assert 0.0 <= float(metrics["train_accuracy"]) <= 1.0


def test_one_step_matches_hand_computation():
    """Current injection (no encoder): unit 0 of the hidden layer gets a current of 20, the
    others none. Euler on τ_m dv/dt = −v + j from v = 0 gives v = 20·dt/τ_m = 2 > thr = 1:
    unit 0 spikes in the first step and is reset to 0; in the same step (the layers update
    in order) the readout receives W_out[0] and its Euler step gives z = W_out[0]·dt/τ_out.
    Unit 0 spikes again in the second step (from the reset, v = 2 again), and the readout
    takes another Euler step: z₂ = z₁ + (dt/τ_out)·(W_out[0] − z₁)."""
    n_in, n_hidden, n_out = 3, 4, 2
    model = sd.make_classifier(
        n_in, n_hidden, n_out, key=jax.random.key(0), target_freq=None, tau_m=10.0, tau_out=4.0
    )
    w_in = jnp.zeros((n_in, n_hidden)).at[0, 0].set(20.0)
    model = eqx.tree_at(lambda m: m.hidden_in.weights, model, w_in)
    w_out = model.readout_in.weights
    x = jnp.array([1.0, 0.5, 0.25])
    trace = sd.run(model, x, None, num_steps=2, dt=1.0)
    expected_spikes = np.array([[1.0, 0, 0, 0], [1.0, 0, 0, 0]])
    np.testing.assert_array_equal(trace.hidden_spikes, expected_spikes)
    np.testing.assert_array_equal(trace.hidden_v, np.zeros((2, n_hidden)))
    np.testing.assert_array_equal(trace.input_spikes, np.stack([x, x]))
    a = 1.0 / 4.0
    z1 = w_out[0] * a
    z2 = z1 + a * (w_out[0] - z1)
    np.testing.assert_allclose(trace.readout, np.stack([z1, z2]), rtol=1e-6, atol=1e-7)


def test_trace_of_an_encoded_digit(digits):
    model = sd.make_classifier(key=jax.random.key(0), target_freq=500.0)
    x = jnp.full((64,), 0.5)
    trace = sd.run(model, x, jax.random.key(3), num_steps=25, dt=1.0)
    assert trace.input_spikes.shape == (25, 64)
    assert trace.hidden_spikes.shape == (25, 128)
    assert trace.hidden_v.shape == (25, 128)
    assert trace.readout.shape == (25, 10)
    for spikes in (trace.input_spikes, trace.hidden_spikes):
        assert set(np.unique(spikes)) <= {0.0, 1.0}
    # The encoder's rate: p = x·f·dt/1000 = 0.25 per step (1600 draws, sd 0.011).
    assert abs(float(trace.input_spikes.mean()) - 0.25) < 0.05
    # After each step the LIF voltage is at most the threshold, and 0 (the reset) where a
    # unit spiked.
    assert float(trace.hidden_v.max()) <= 1.0
    np.testing.assert_array_equal(np.where(trace.hidden_spikes > 0, trace.hidden_v, 0.0), 0.0)
    assert float(trace.hidden_spikes.sum()) > 0


def test_mismatched_layers_are_rejected():
    model = sd.make_classifier(key=jax.random.key(0))
    with pytest.raises(ValueError, match=r"hidden\.n_units"):
        sd.SpikingClassifier(
            encoder=model.encoder,
            hidden_in=model.hidden_in,
            hidden=LIFCell(127, tau_m=10.0, thr=1.0, v_rest=0.0, v_reset=0.0),
            readout_in=model.readout_in,
            readout=model.readout,
        )
    with pytest.raises(ValueError, match=r"encoder\.n_units"):
        sd.SpikingClassifier(
            encoder=sd.PoissonCell(63),
            hidden_in=model.hidden_in,
            hidden=model.hidden,
            readout_in=model.readout_in,
            readout=model.readout,
        )


def test_wrong_input_shape_raises_at_trace_time():
    model = sd.make_classifier(key=jax.random.key(0))
    with pytest.raises(ValueError, match=r"SpikingClassifier.*x.*\(64,\).*\(63,\)"):
        jax.eval_shape(
            lambda: model.step(
                model.init_state(), sd.SpikingClassifier.Inputs(x=jnp.zeros(63)), None, 1.0
            )
        )
