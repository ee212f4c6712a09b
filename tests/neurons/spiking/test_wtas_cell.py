"""WTASCell: golden parity with ngclearn, zero input, gradients, oracles, the argument
names. The properties of the contract and bad input are checked by `tests/test_contract.py`
(entry in `tests/components/spiking.py`)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import contract, spiking
from support.golden import constructor_kwargs, golden_names, load_golden

from dynax.neurons.spiking.wtas_cell import WTASCell
from dynax.surrogate import FastSigmoid

# `tau_m` is accepted and ignored by the reference; dynax has no such argument.
RENAMES = {"batch_size": None, "key_seed": None, "tau_m": None}
RECORDED = ("v", "s", "thr", "rfr", "tols")


def _cell_from_golden(golden):
    kwargs = constructor_kwargs(golden, RENAMES)
    return WTASCell(**kwargs, key=jax.random.PRNGKey(golden.params["key_seed"]))


def _run(cell, golden, resync):
    if resync:
        states = spiking.resynced_states(golden, WTASCell.State, RECORDED)
        return spiking.resynced_steps(cell, golden, states)
    return spiking.free_run(cell, golden)


@pytest.mark.parametrize("resync", [True, False], ids=["resync", "free"])
@pytest.mark.parametrize("name", golden_names("WTASCell"))
def test_matches_reference(name, resync):
    golden = load_golden(name)
    cell = _cell_from_golden(golden)
    np.testing.assert_array_equal(cell.threshold0, golden.init["thr"].reshape(-1))
    states = _run(cell, golden, resync)
    spiking.assert_recorded(
        states, golden, equal=("s", "rfr", "tols"), close=("v", "thr"), atol=1e-6
    )
    assert golden.traj["s"].any() and not golden.traj["s"].all()


# ---------------------------------------------------------------- properties (hypothesis)

N = 4


@st.composite
def cells(draw):
    return WTASCell(
        N,
        resist_m=draw(st.floats(0.5, 3.0)),
        thr_base=draw(st.floats(0.1, 0.6)),
        thr_gain=draw(st.floats(0.0, 0.05)),
        refract_time=draw(st.sampled_from([0.0, 2.0])),
        key=jax.random.key(draw(st.integers(0, 2**16))),
    )


@given(cells(), st.floats(0.1, 1.0))
def test_zero_input_gives_uniform_probabilities(cell, dt):
    """No input: every unit has probability 1/n; it fires iff 1/n > thr, and the threshold
    moves by gain·(#spikes − 1)."""
    state = cell.init_state()
    new = cell.step(state, WTASCell.Inputs(jnp.zeros(N)), None, dt)
    expected = (1.0 / N > np.asarray(state.thr)).astype(np.float32)
    np.testing.assert_array_equal(new.s, expected)
    np.testing.assert_array_equal(new.v, 0.0)
    thr = np.maximum(np.asarray(state.thr) + float(cell.thr_gain) * (expected.sum() - 1), 0.025)
    np.testing.assert_allclose(new.thr, thr, rtol=1e-6)


@given(st.floats(0.2, 3.0))
def test_drive_gradient_matches_finite_difference(resist):
    """v = R·j·m is smooth in R (no refractory period: m = 1): d Σv²/dR by finite
    differences."""
    j = jnp.array([0.3, -0.2, 0.5, 0.1])

    def loss(r):
        cell = WTASCell(N, resist_m=r, thr_jitter=0.0)
        return jnp.sum(cell.step(cell.init_state(), WTASCell.Inputs(j), None, 1.0).v ** 2)

    contract.assert_grad_matches_finite_difference(jax.jit(loss), resist)


def test_surrogate_gradient_of_the_spikes_through_the_softmax():
    """s = H(p − thr), p = softmax(R·j): dΣs/dR = Σ σ′(p_i − thr)·p_i(j_i − Σ_k p_k j_k)."""
    surrogate = FastSigmoid(alpha=4.0)
    j = jnp.array([0.5, -1.0, 2.0, 0.0])

    def count(r):
        cell = WTASCell(N, resist_m=r, thr_base=0.3, thr_jitter=0.0, surrogate=surrogate)
        return jnp.sum(cell.step(cell.init_state(), WTASCell.Inputs(j), None, 1.0).s)

    r = 1.3
    z = r * np.asarray(j, np.float64)
    p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    expected = np.sum(p * (np.asarray(j) - p @ np.asarray(j)) / (1 + 4.0 * np.abs(p - 0.3)) ** 2)
    np.testing.assert_allclose(jax.grad(count)(jnp.asarray(r)), expected, rtol=1e-5)
    assert float(count(jnp.asarray(r))) == float(np.sum(p > 0.3))


def _spiking_run(resist_m):
    cell = WTASCell(N, resist_m=resist_m, thr_base=0.3, thr_gain=0.01, refract_time=2.0,
                    key=jax.random.key(0))  # fmt: skip
    j = jax.random.normal(jax.random.key(4), (100, N))
    _, states = contract.run_steps(cell, cell.init_state(), WTASCell.Inputs(j), None, 1.0)
    return states.s


def test_gradient_through_100_spiking_steps_is_finite_and_nonzero():
    spiking.assert_gradient_through_spikes(_spiking_run, 1.0)


def test_jvp_through_spikes():
    spiking.jvp_through_spikes(_spiking_run, 1.0)


# ---------------------------------------------------------------- oracles


def test_refractory_units_are_silenced_and_restart_at_dt():
    """A unit that fired is refractory (v = 0) until rfr ≥ T_ref; rfr restarts at dt."""
    cell = WTASCell(2, resist_m=1.0, thr_base=0.6, thr_gain=0.0, refract_time=2.0, thr_jitter=0.0)
    state = cell.init_state()
    j = WTASCell.Inputs(jnp.array([3.0, 0.0]))
    history = []
    for _ in range(4):
        state = cell.step(state, j, None, 1.0)
        history.append((np.asarray(state.s).tolist(), np.asarray(state.v).tolist(), state.rfr))
    # step 1: p = softmax([3, 0]) = [0.95, 0.05] > 0.6 for unit 0 only.
    assert history[0][0] == [1.0, 0.0]
    np.testing.assert_allclose(history[0][2], [1.0, 3.0])
    # step 2: unit 0 refractory (rfr = 1 < 2): v = [0, 0], p = [0.5, 0.5] < 0.6, no spike.
    assert history[1][0] == [0.0, 0.0] and history[1][1] == [0.0, 0.0]
    # step 3: rfr = 2 ≥ 2: fires again.
    assert history[2][0] == [1.0, 0.0]


def test_thresholds_track_the_number_of_winners():
    cell = WTASCell(N, thr_base=0.1, thr_gain=0.05, thr_jitter=0.0)
    new = cell.step(cell.init_state(), WTASCell.Inputs(jnp.zeros(N)), None, 1.0)
    # all four fire (p = 0.25 > 0.1): thr⁺ = 0.1 + 0.05·3
    np.testing.assert_allclose(new.thr, 0.25)
    cell = WTASCell(N, thr_base=0.3, thr_gain=0.5, thr_jitter=0.0)
    new = cell.step(cell.init_state(), WTASCell.Inputs(jnp.zeros(N)), None, 1.0)
    np.testing.assert_allclose(new.thr, 0.025)  # none fires: 0.3 − 0.5, floored


def test_construction_draws_come_from_the_key():
    a = WTASCell(8, key=jax.random.key(1))
    b = WTASCell(8, key=jax.random.key(1))
    c = WTASCell(8, key=jax.random.key(2))
    np.testing.assert_array_equal(a.threshold0, b.threshold0)
    assert not np.array_equal(a.threshold0, c.threshold0)
    assert np.all(np.abs(np.asarray(a.threshold0) - 0.4) <= 0.05 + 1e-7)
    thr = jnp.array([0.1, 0.2, 0.3, 0.4])
    np.testing.assert_array_equal(WTASCell(N, thr_base=thr, thr_jitter=0.0).threshold0, thr)


# ---------------------------------------------------------------- bad input

KEY = jax.random.key(0)


def test_tau_m_is_not_a_positional_argument():
    """The reference's second positional argument is the unused tau_m: a positional value
    must not silently become dynax's resistance."""
    with pytest.raises(TypeError):
        WTASCell(3, 1.0, key=KEY)
