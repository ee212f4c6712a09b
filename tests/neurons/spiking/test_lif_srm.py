"""LIFSRM: golden parity with ngclearn, rest, gradients, closed forms, an input of the wrong
length. The properties of the contract and bad input are checked by `tests/test_contract.py`
(entry in `tests/components/spiking.py`)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import contract, spiking
from support.golden import constructor_kwargs, golden_names, load_golden

from dynax.neurons.spiking.lif_srm import LIFSRM, NEVER

RENAMES = {"batch_size": None, "key_seed": None}


def _recorded_states(golden):
    """The reference's state before every step (axes (T, B)). Its `last_t_eval` is the clock
    at the last evaluation, dynax's `t`."""
    t = spiking.before(golden, "last_t_eval")[..., 0]
    fields = ("v", "s", "t_last_spike", "j_lowpass")
    return spiking.resynced_states(golden, LIFSRM.State, fields, t=t)


def _run(cell, golden, resync):
    if resync:
        return spiking.resynced_steps(cell, golden, _recorded_states(golden), "current_j")
    return spiking.free_run(cell, golden, "current_j")


@pytest.mark.parametrize("resync", [True, False], ids=["resync", "free"])
@pytest.mark.parametrize("name", golden_names("LIFSRM"))
def test_matches_reference(name, resync):
    golden = load_golden(name)
    cell = LIFSRM(**constructor_kwargs(golden, RENAMES))
    states = _run(cell, golden, resync)
    spiking.assert_recorded(states, golden, equal=("s", "t_last_spike"), close=("v", "j_lowpass"))
    # The reference's last_t_eval is the clock; its next_spike_t is only set by an explicit
    # predict_next_spike call, never made in the recording.
    np.testing.assert_allclose(
        np.broadcast_to(states.t[..., None], golden.traj["last_t_eval"].shape),
        golden.traj["last_t_eval"],
    )
    np.testing.assert_array_equal(golden.traj["next_spike_t"], NEVER)
    assert golden.traj["s"].any() and not golden.traj["s"].all()


# ---------------------------------------------------------------- properties (hypothesis)

N = 4


@st.composite
def cells(draw):
    return LIFSRM(
        N,
        tau_m=draw(st.floats(2.0, 30.0)),
        thr=draw(st.floats(-55.0, -45.0)),
        v_rest=draw(st.floats(-70.0, -60.0)),
        v_reset=draw(st.floats(-75.0, -55.0)),
    )


@given(cells(), st.floats(0.1, 1.0))
def test_rest_is_a_fixed_point_without_input(cell, dt):
    rest = cell.init_state()
    new = cell.step(rest, LIFSRM.Inputs(jnp.zeros(N)), None, dt)
    for field in ("v", "s", "t_last_spike", "j_lowpass"):
        np.testing.assert_array_equal(getattr(new, field), getattr(rest, field), err_msg=field)


@jax.jit
def _subthreshold_loss(tau_m):
    """Σ(v − v_rest)² after 20 steps of a drive that stays below threshold: smooth in τ."""
    cell = LIFSRM(N, tau_m)
    j = jnp.tile(jnp.array([1.0, 3.0, 6.0, 12.0]), (20, 1))  # x → j < thr − v_rest
    final, _ = contract.run_steps(cell, cell.init_state(), LIFSRM.Inputs(j), None, 0.5)
    return jnp.sum((final.v - cell.v_rest) ** 2)


@given(st.floats(5.0, 30.0))
def test_gradient_wrt_tau_matches_finite_difference(tau):
    contract.assert_grad_matches_finite_difference(_subthreshold_loss, tau)


def _spiking_run(tau_m):
    cell = LIFSRM(N, tau_m)
    j = 8.0 * jax.random.uniform(jax.random.key(5), (100, N), maxval=2.5)
    _, states = contract.run_steps(cell, cell.init_state(), LIFSRM.Inputs(j), None, 1.0)
    return states.s


def test_gradient_through_100_spiking_steps_is_finite_and_nonzero():
    spiking.assert_gradient_through_spikes(_spiking_run, 10.0)


def test_jvp_through_spikes():
    spiking.jvp_through_spikes(_spiking_run, 10.0)


# ---------------------------------------------------------------- closed forms


def test_constant_input_follows_the_geometric_sum():
    """Before any spike, a constant j gives x_k = (dt/τ)·j·(1 − a^k)/(1 − a), a = e^{−dt/τ},
    and v_k = v_rest + x_k."""
    tau, dt, j = 10.0, 0.5, jnp.array([1.0, 5.0, 10.0, 12.9])  # x → j < thr − v_rest = 13
    cell = LIFSRM(N, tau)
    state = cell.init_state()
    a = np.exp(-dt / tau)
    for k in range(1, 30):
        state = cell.step(state, LIFSRM.Inputs(j), None, dt)
        x = dt / tau * np.asarray(j) * (1 - a**k) / (1 - a)
        np.testing.assert_allclose(state.j_lowpass, x, rtol=1e-5)
        np.testing.assert_allclose(state.v, -65.0 + x, rtol=1e-6)
        assert not np.any(state.s)


def test_after_spike_kernel():
    """After a spike at t_f: v = v_reset at t_f, then v = v_rest + x + (v_reset − v_rest)
    e^{−(t − t_f)/τ}."""
    tau = 10.0
    cell = LIFSRM(1, tau, thr=-52.0, v_rest=-65.0, v_reset=-60.0)
    state = cell.step(cell.init_state(), LIFSRM.Inputs(jnp.array([200.0])), None, 1.0)
    assert float(state.s[0]) == 1.0 and float(state.v[0]) == -60.0  # x = 20 > 13
    assert float(state.t_last_spike[0]) == 1.0
    x = 20.0
    for k in range(2, 6):
        state = cell.step(state, LIFSRM.Inputs(jnp.zeros(1)), None, 1.0)
        x *= np.exp(-1.0 / tau)
        v = -65.0 + x + 5.0 * np.exp(-(k - 1.0) / tau)
        if v > -52.0:
            assert float(state.s[0]) == 1.0
            break
        np.testing.assert_allclose(state.v, [v], rtol=1e-6)


def test_predicted_time_is_where_the_free_potential_meets_threshold():
    """For units above threshold, v_rest + D·e^{−(t_pred − t)/τ} = thr with D = x + η(t);
    for the others NEVER."""
    tau = jnp.array([5.0, 10.0, 20.0, 10.0])
    cell = LIFSRM(N, tau)
    state = LIFSRM.State(
        v=jnp.full(N, -65.0),
        s=jnp.zeros(N),
        t_last_spike=jnp.array([NEVER, 2.0, NEVER, 1.0]),
        j_lowpass=jnp.array([20.0, 15.0, 13.5, 5.0]),
        t=jnp.asarray(4.0),
    )
    predicted = np.asarray(cell.predict_next_spike(state))
    eta = np.array([0.0, 5.0 * np.exp(-2.0 / 10.0), 0.0, 5.0 * np.exp(-3.0 / 10.0)])
    drive = np.array([20.0, 15.0, 13.5, 5.0]) + eta
    assert predicted[3] == NEVER  # 5 + η < 13 = thr − v_rest
    for i in range(3):
        v = -65.0 + drive[i] * np.exp(-(predicted[i] - 4.0) / float(tau[i]))
        np.testing.assert_allclose(v, -52.0, rtol=1e-5)
    later = np.asarray(cell.predict_next_spike(state, t_start=6.0))
    assert later[0] == predicted[0] + 2.0  # no after-spike kernel: the same crossing, shifted


def test_prediction_is_never_nan():
    """thr ≤ v_rest and a negative drive: the reference takes the log of a negative ratio."""
    cell = LIFSRM(2, 10.0, thr=-70.0, v_rest=-65.0)
    state = cell.init_state()
    state = LIFSRM.State(state.v, state.s, state.t_last_spike, jnp.array([-1.0, 3.0]), state.t)
    predicted = np.asarray(cell.predict_next_spike(state))
    assert predicted[0] == NEVER and np.isfinite(predicted[1])


# ---------------------------------------------------------------- bad input


def test_wrong_input_shape_raises_at_trace_time():
    cell = LIFSRM(3, 10.0)
    with pytest.raises(
        ValueError, match=r"LIFSRM.step: input `j` must have shape \(3,\), got shape \(4,\)"
    ):
        jax.jit(lambda s: cell.step(s, LIFSRM.Inputs(jnp.ones(4)), None, 1.0))(cell.init_state())
