"""PoissonCell: exact parity with ngclearn's draws, spike statistics, keys, bad key (the
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

from dynax.encoders.poisson_cell import PoissonCell

RUN = eqx.filter_jit(contract.run_steps)


@pytest.mark.parametrize("name", golden_names("PoissonCell"))
def test_matches_reference_draws(name):
    """The reference splits `(key, sk) = split(key)` per step and spikes where
    `uniform(sk, (B, N)) < inputs·dt/1000·f`. dynax's `step(..., key=sk)` draws
    `uniform(sk, (n_units,))` without splitting; a cell of B·N units on the row-major
    flattened batch reproduces every spike (threefry bits depend only on the flat index)."""
    golden = load_golden(name)
    batch, n = golden.inputs["inputs"].shape[1:]
    assert golden.params["n_units"] == n
    cell = PoissonCell(batch * n, target_freq=golden.params.get("target_freq", 63.75))
    step = jax.jit(lambda s, x, k: cell.step(s, PoissonCell.Inputs(x), k, golden.dt))
    state, key = cell.init_state(), jnp.asarray(golden.init["key"])
    for k in range(golden.num_steps):
        key, subkey = jax.random.split(key)
        np.testing.assert_array_equal(key, golden.traj["key"][k])  # the split order
        state = step(state, golden.inputs["inputs"][k].reshape(-1), subkey)
        np.testing.assert_array_equal(state.outputs.reshape(batch, n), golden.traj["outputs"][k])
        np.testing.assert_array_equal(state.tols.reshape(batch, n), golden.traj["tols"][k])
    assert 0 < golden.traj["outputs"].mean() < 1


# ---------------------------------------------------------------- statistics

INTENSITY = jnp.array([0.0, 0.1, 0.25, 0.5, 0.75, 1.0])
FREQ = 200.0  # Hz: an input of 1 fires at 200 Hz
DT = 0.5  # ms
SAMPLES = 20_000  # steps per check (10 s of simulated time), whatever the seed
Z = 5.0  # bound in binomial standard errors: P(|error| > 5 SE) ≈ 6e-7 per check


@eqx.filter_jit
def _spike_counts(cell, key):
    inputs = PoissonCell.Inputs(jnp.tile(INTENSITY, (SAMPLES, 1)))
    _, states = contract.run_steps(cell, cell.init_state(), inputs, key, DT)
    return jnp.sum(states.outputs, axis=0)


def _assert_counts(counts, p):
    for count, prob in zip(np.asarray(counts), p, strict=True):
        se = np.sqrt(prob * (1 - prob) / SAMPLES)
        assert abs(count / SAMPLES - prob) <= Z * se, (count / SAMPLES, prob, se)


@given(st.integers(0, 2**31 - 1))
def test_rates_in_hertz(seed):
    """Default mode: P(spike per step) = x·dt/1000·f, i.e. a rate of x·f Hz (to first order)."""
    counts = _spike_counts(PoissonCell(6, FREQ), jax.random.key(seed))
    _assert_counts(counts, np.asarray(INTENSITY, np.float64) * DT / 1000.0 * FREQ)


@given(st.integers(0, 2**31 - 1))
def test_exact_mode_probability(seed):
    """exact=True: P(spike per step) = 1 − e^{−λ·dt}, λ = x·f/1000 per ms."""
    counts = _spike_counts(PoissonCell(6, FREQ, exact=True), jax.random.key(seed))
    _assert_counts(counts, 1.0 - np.exp(-np.asarray(INTENSITY, np.float64) * FREQ * DT / 1000))


def test_exact_spikes_are_a_subset_of_the_linear_ones_for_one_key():
    key = jax.random.key(3)
    inputs = PoissonCell.Inputs(jnp.full((200, 6), 0.9))
    linear = RUN(PoissonCell(6, 900.0), PoissonCell(6).init_state(), inputs, key, 1.0)[1]
    exact = RUN(PoissonCell(6, 900.0, exact=True), PoissonCell(6).init_state(), inputs, key, 1.0)
    linear, exact = np.asarray(linear.outputs), np.asarray(exact[1].outputs)
    assert np.all(exact <= linear) and exact.sum() < linear.sum()


def test_probability_above_one_saturates():
    """x·dt/1000·f ≥ 1: every step spikes (the reference's approximation caps the rate at
    1000/dt Hz)."""
    cell = PoissonCell(3, jnp.array([1000.0, 2000.0, 5000.0]))
    _, states = RUN(cell, cell.init_state(), PoissonCell.Inputs(jnp.ones((100, 3))),
                    jax.random.key(0), 1.0)  # fmt: skip
    assert np.all(states.outputs == 1.0)


# ---------------------------------------------------------------- properties

N = 4
seeds = st.integers(0, 2**31 - 1)
cells = st.builds(PoissonCell, st.just(N), st.floats(0.0, 1000.0), st.booleans())


def test_same_key_same_spikes_different_keys_different_spikes():
    cell = PoissonCell(64, 500.0)
    contract.assert_key_determines_noise(
        cell, cell.init_state(), PoissonCell.Inputs(jnp.ones(64)), 1.0
    )


@given(cells, seeds)
def test_zero_input_never_spikes(cell, seed):
    final, states = RUN(cell, cell.init_state(), PoissonCell.Inputs(jnp.zeros((50, N))),
                        jax.random.key(seed), 1.0)  # fmt: skip
    assert not np.any(states.outputs) and not np.any(final.tols)


def test_tols_is_the_end_time_of_the_last_spiking_step():
    cell = PoissonCell(N, 300.0)
    inputs = PoissonCell.Inputs(jnp.ones((40, N)))
    final, states = RUN(cell, cell.init_state(), inputs, jax.random.key(7), 0.5)
    spikes = np.asarray(states.outputs)
    times = 0.5 * np.arange(1, 41)
    expected = [times[spikes[:, i] > 0].max(initial=0.0) for i in range(N)]
    np.testing.assert_allclose(final.tols, expected, rtol=1e-6)


# ---------------------------------------------------------------- bad input


def test_missing_key_raises():
    cell = PoissonCell(N)
    with pytest.raises(ValueError, match="key"):
        cell.step(cell.init_state(), PoissonCell.Inputs(jnp.ones(N)), None, 1.0)
