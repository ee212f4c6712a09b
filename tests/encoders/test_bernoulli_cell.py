"""BernoulliCell: exact parity with ngclearn's draws, spike statistics, keys, bad key (the
contract: `tests/test_contract.py`)."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import contract
from support.golden import golden_names, load_golden

from dynax.encoders.bernoulli_cell import BernoulliCell


@pytest.mark.parametrize("name", golden_names("BernoulliCell"))
def test_matches_reference_draws(name):
    """The reference keeps a raw key; per step `(key, sk) = split(key)` and it draws
    `bernoulli(sk, p=inputs)` on its whole (B, N) input. dynax's `step(..., key=sk)` draws
    `uniform(sk, (n_units,))` without splitting; JAX's bits depend only on the flattened
    index, so a cell of B·N units stepping the row-major flattened batch reproduces every
    spike (and so `tols`)."""
    golden = load_golden(name)
    batch, n = golden.inputs["inputs"].shape[1:]
    assert golden.params["n_units"] == n
    cell = BernoulliCell(batch * n)
    step = jax.jit(lambda s, x, k: cell.step(s, BernoulliCell.Inputs(x), k, golden.dt))
    state, key = cell.init_state(), jnp.asarray(golden.init["key"])
    for k in range(golden.num_steps):
        key, subkey = jax.random.split(key)
        np.testing.assert_array_equal(key, golden.traj["key"][k])  # the split order
        state = step(state, golden.inputs["inputs"][k].reshape(-1), subkey)
        np.testing.assert_array_equal(state.outputs.reshape(batch, n), golden.traj["outputs"][k])
        np.testing.assert_array_equal(state.tols.reshape(batch, n), golden.traj["tols"][k])
    assert 0 < golden.traj["outputs"].mean() < 1


# ---------------------------------------------------------------- statistics

PROBS = jnp.array([0.01, 0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.95])
SAMPLES = 20_000  # steps per check, whatever the seed
Z = 5.0  # bound in binomial standard errors: P(|error| > 5 SE) ≈ 6e-7 per check


@eqx.filter_jit
def _spike_train(cell, probs, key):
    inputs = BernoulliCell.Inputs(jnp.tile(probs, (SAMPLES, 1)))
    _, states = contract.run_steps(cell, cell.init_state(), inputs, key, 1.0)
    return states.outputs


def _assert_rate(count, p):
    se = np.sqrt(p * (1 - p) / SAMPLES)
    assert abs(count / SAMPLES - p) <= Z * se, (count / SAMPLES, p, se)


@given(st.integers(0, 2**31 - 1))
def test_empirical_rates_are_the_input_probabilities(seed):
    spikes = np.asarray(_spike_train(BernoulliCell(8), PROBS, jax.random.key(seed)))
    for i, p in enumerate(np.asarray(PROBS, np.float64)):
        _assert_rate(spikes[:, i].sum(), p)
    # independence across units and across steps: P(both) = product
    _assert_rate((spikes[:, 4] * spikes[:, 5]).sum(), 0.5 * 0.65)
    _assert_rate((spikes[1:, 4] * spikes[:-1, 4]).sum() * SAMPLES / (SAMPLES - 1), 0.25)


def test_probabilities_outside_the_unit_interval_are_clipped():
    probs = jnp.array([0.0, 1.0, -0.5, 1.5, 0.0, 1.0, -3.0, 7.0])
    spikes = np.asarray(_spike_train(BernoulliCell(8), probs, jax.random.key(0)))
    np.testing.assert_array_equal(spikes.mean(axis=0), [0, 1, 0, 1, 0, 1, 0, 1])


# ---------------------------------------------------------------- properties

N = 4
seeds = st.integers(0, 2**31 - 1)


def test_same_key_same_spikes_different_keys_different_spikes():
    cell = BernoulliCell(64)
    inputs = BernoulliCell.Inputs(jnp.full(64, 0.5))
    contract.assert_key_determines_noise(cell, cell.init_state(), inputs, 1.0)


RUN = eqx.filter_jit(contract.run_steps)


@given(seeds)
def test_zero_input_never_spikes(seed):
    cell = BernoulliCell(N)
    final, states = RUN(
        cell, cell.init_state(), BernoulliCell.Inputs(jnp.zeros((50, N))), jax.random.key(seed), 1.0
    )
    assert not np.any(states.outputs) and not np.any(final.tols)


def test_tols_is_the_end_time_of_the_last_spiking_step():
    cell = BernoulliCell(N)
    inputs = BernoulliCell.Inputs(jnp.full((40, N), 0.3))
    final, states = RUN(cell, cell.init_state(), inputs, jax.random.key(7), 0.25)
    spikes = np.asarray(states.outputs)
    times = 0.25 * np.arange(1, 41)
    expected = [times[spikes[:, i] > 0].max(initial=0.0) for i in range(N)]
    np.testing.assert_allclose(final.tols, expected, rtol=1e-6)
    np.testing.assert_allclose(final.t, 10.0, rtol=1e-6)


# ---------------------------------------------------------------- bad input


def test_missing_key_raises():
    cell = BernoulliCell(N)
    with pytest.raises(ValueError, match="key"):
        cell.step(cell.init_state(), BernoulliCell.Inputs(jnp.ones(N)), None, 1.0)
