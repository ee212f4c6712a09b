"""HodgkinHuxleyCell: golden parity with ngclearn (its RK2/RK4 pinned as frozen-rate schemes),
its construction state (defect 14), the removable singularities and the guards, the holding
current, the reset, gradients. The properties of the contract and bad input are checked by
`tests/test_contract.py` (entry in `tests/components/spiking.py`)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import contract, spiking
from support.golden import constructor_kwargs, golden_names, load_golden
from support.registry import vector

from dynax.integrate import get_integrator
from dynax.neurons.spiking.hodgkin_huxley_cell import HodgkinHuxleyCell, clip_gate, rates
from dynax.surrogate import FastSigmoid

RENAMES = {"batch_size": None, "key_seed": None}
Cell = HodgkinHuxleyCell
GATES = ("n", "m", "h")
FIELDS = ("v", *GATES)


def _naive_rates(v):
    """The rate functions exactly as written by Hodgkin & Huxley (float64 NumPy; 0/0 at
    v = 10 and v = 25)."""
    v = np.asarray(v, np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        return _naive_rates_unchecked(v)


def _naive_rates_unchecked(v):
    return (
        0.01 * (10 - v) / (np.exp((10 - v) / 10) - 1),
        0.125 * np.exp(-v / 80),
        0.1 * (25 - v) / (np.exp((25 - v) / 10) - 1),
        4 * np.exp(-v / 18),
        0.07 * np.exp(-v / 20),
        1 / (np.exp((30 - v) / 10) + 1),
    )


def _naive_steady_gates(v):
    an, bn, am, bm, ah, bh = _naive_rates(v)
    return an / (an + bn), am / (am + bm), ah / (ah + bh)


def _reference_integrator(golden):
    """ngclearn's HodgkinHuxleyCell honours euler, midpoint/rk2 and rk4; heun/ralston run
    Euler."""
    return spiking.reference_integrator(golden, spiking.RK2_HONOURED | {"rk4": "rk4"})


def _cell(golden, **overrides):
    return Cell(**{**constructor_kwargs(golden, RENAMES), **overrides})


def _recorded_states(golden):
    return spiking.resynced_states(golden, Cell.State, (*FIELDS, "s", "tols"))


def _check_against_golden(states, golden, atol):
    spiking.assert_recorded(states, golden, equal=("s",), close=FIELDS, atol=atol)
    spiking.assert_recorded(states, golden, close=("tols",), atol=1e-6)


NAMES = golden_names("HodgkinHuxleyCell")
SAME_SCHEME = [n for n in NAMES if _reference_integrator(load_golden(n)) == "euler"]
FROZEN_RATES = [n for n in NAMES if n not in SAME_SCHEME]


@pytest.mark.parametrize("name", NAMES)
def test_initial_state_is_the_reset_state(name):
    """Defect 14: ngclearn constructs its gates at 0 and only `reset` puts them at their
    steady state at v = 0; the golden files start from the reset state, and so does dynax
    (x∞ = α/(α + β) from the textbook rates, computed here)."""
    golden = load_golden(name)
    state = _cell(golden).init_state()
    np.testing.assert_array_equal(state.v, 0.0)
    for field, expected in zip(GATES, _naive_steady_gates(0.0), strict=True):
        np.testing.assert_allclose(getattr(state, field), expected, rtol=1e-6)
        np.testing.assert_allclose(getattr(state, field), golden.init[field][0], rtol=1e-6)
        assert getattr(state, field).min() > 0.05  # not the constructor's zeros


@pytest.mark.parametrize("name", SAME_SCHEME)
def test_matches_reference(name):
    """ngclearn's Euler computes the rates at the old v and steps v with the old gates: that
    is the joint Euler step, so dynax matches every recorded step, resynced and free."""
    golden = load_golden(name)
    cell = _cell(golden)
    states = spiking.resynced_steps(cell, golden, _recorded_states(golden))
    _check_against_golden(states, golden, 1e-6)
    _check_against_golden(spiking.free_run(cell, golden), golden, 1e-5)
    assert golden.traj["s"].any() and not golden.traj["s"].all()


def _reference_step(cell, state, j, dt, integrator):
    """ngclearn's step rebuilt from dynax's vector field: v integrated with the gates frozen
    at their old values, each gate with the rates frozen at the old v; then spike and
    (optionally) reset to v_reset with steady-state gates."""
    step = get_integrator(integrator)
    current = cell.resist_m * j
    field = cell.vector_field
    old = (state.v, state.n, state.m, state.h)
    v = step(lambda t, x, a: field(t, (x, *old[1:]), current)[0], 0.0, state.v, dt, None)
    gates = step(lambda t, x, a: field(t, (state.v, *x), current)[1:], 0.0, old[1:], dt, None)
    s = v > cell.thr
    if cell.spike_reset:
        steady = _naive_steady_gates(cell.v_reset)
        v = jnp.where(s, cell.v_reset, v)
        gates = tuple(jnp.where(s, x_reset, x) for x, x_reset in zip(gates, steady, strict=True))
    return (v, *gates), s


@pytest.mark.parametrize("name", FROZEN_RATES)
def test_reference_rk_is_the_frozen_rate_scheme(name):
    """ngclearn's RK2/RK4 integrate v with the gates frozen and each gate with its rates
    frozen at the old v; rebuilt from the recorded states it reproduces every recorded step.
    dynax integrates (v, n, m, h) as one system instead (see the order test)."""
    golden = load_golden(name)
    cell = _cell(golden)
    states = _recorded_states(golden)
    integrator = _reference_integrator(golden)
    values, s = jax.vmap(
        jax.vmap(lambda st, j: _reference_step(cell, st, j, golden.dt, integrator))
    )(states, golden.inputs["j"])
    np.testing.assert_array_equal(s, golden.traj["s"])
    for field, value in zip(FIELDS, values, strict=True):
        np.testing.assert_allclose(value, golden.traj[field], rtol=1e-5, atol=1e-5, err_msg=field)
    assert golden.traj["s"].any()


def test_joint_rk_converges_at_its_order_where_the_references_is_first_order():
    """float64, a run through the upstroke of a spike (no threshold) against RK4 at a fine
    step: dynax's RK4 is of order 4; the reference's frozen-rate RK4 is of order 1."""
    with jax.enable_x64(True):
        cell_kwargs = {"n_units": 1, "tau_v": 1.0, "thr": 1e3}
        j = jnp.array([10.0])
        y0 = tuple(jnp.array([float(x)]) for x in (2.0, *_naive_steady_gates(0.0)))

        joint = spiking.compartment_stepper(
            Cell(**cell_kwargs, integration_type="rk4"), Cell.Inputs(j), FIELDS
        )
        reference_cell = Cell(**cell_kwargs, integration_type="rk4")
        rest = reference_cell.init_state()

        def frozen_step(y, dt):
            state = rest.replace(v=y[0], n=y[1], m=y[2], h=y[3])
            return _reference_step(reference_cell, state, j, dt, "rk4")[0]

        exact = spiking.run_for(joint, y0, 1.0, 1.0 / 4096)
        assert float(exact[0][0]) > 15.0  # the run leaves rest: the upstroke of a spike
        rk4 = spiking.observed_orders(joint, y0, 1.0, [0.04, 0.02], exact)
        frozen = spiking.observed_orders(jax.jit(frozen_step), y0, 1.0, [0.01, 0.005], exact)
    np.testing.assert_allclose(rk4, 4.0, atol=0.4)
    np.testing.assert_allclose(frozen, 1.0, atol=0.25)


# ---------------------------------------------------------------- rates: singularities, guards


def test_rates_match_the_textbook_formulas():
    v = np.linspace(-80.0, 150.0, 2301)
    v = v[(np.abs(v - 10) > 0.05) & (np.abs(v - 25) > 0.05)]
    for ours, theirs in zip(rates(jnp.asarray(v, jnp.float32)), _naive_rates(v), strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=2e-6, atol=1e-12)


def test_removable_singularities_take_their_limits():
    """α_n = 0.01(10 − v)/(e^{(10−v)/10} − 1) → 0.1 at v = 10 and α_m → 1 at v = 25; the
    guarded functions are finite there, continuous around, and differentiable with the
    derivative of the limit (d/dx x/(eˣ − 1) = −1/2 at 0, i.e. dα_n/dv = 0.005,
    dα_m/dv = 0.05)."""
    alpha_n, _, alpha_m, *_ = rates(jnp.array([10.0, 25.0], jnp.float32))
    assert np.isnan(_naive_rates(10.0)[0]) and np.isnan(_naive_rates(25.0)[2])
    np.testing.assert_allclose(alpha_n[0], 0.1, rtol=1e-7)
    np.testing.assert_allclose(alpha_m[1], 1.0, rtol=1e-7)
    for offset in (-1e-2, -1e-3, 1e-3, 1e-2):
        near = jnp.array([10.0 + offset, 25.0 + offset], jnp.float32)
        a_n, _, a_m, *_ = rates(near)
        np.testing.assert_allclose(a_n[0], _naive_rates(10.0 + offset)[0], rtol=1e-5)
        np.testing.assert_allclose(a_m[1], _naive_rates(25.0 + offset)[2], rtol=1e-5)
    d_alpha_n = jax.grad(lambda v: rates(v)[0])(jnp.float32(10.0))
    d_alpha_m = jax.grad(lambda v: rates(v)[2])(jnp.float32(25.0))
    np.testing.assert_allclose(d_alpha_n, 0.005, rtol=1e-6)
    np.testing.assert_allclose(d_alpha_m, 0.05, rtol=1e-6)


def test_step_at_exactly_the_singular_voltages_is_finite():
    """A step from v = 10 and v = 25 exactly (Euler evaluates the rates there), and its
    gradient."""
    rest = Cell(2, 1.0).init_state()
    state = rest.replace(v=jnp.array([10.0, 25.0]))

    def loss(tau_v):
        new = Cell(2, tau_v).step(state, Cell.Inputs(jnp.zeros(2)), None, 0.01)
        return jnp.sum(new.v + new.n + new.m + new.h), new

    grad, new = jax.grad(loss, has_aux=True)(1.0)
    for field in FIELDS:
        assert np.isfinite(getattr(new, field)).all(), field
    assert np.isfinite(grad) and grad != 0.0


def test_guards_keep_a_large_hyperpolarising_current_finite():
    """j = −1e3 drives v to ≈ −3000 mV, where e^{−v/18} overflows float32: unguarded rates
    are inf and the gate update inf·0 is NaN. The clipped rate voltage and the gates clipped
    to [0, 1] keep the state finite and the gates probabilities."""
    with np.errstate(over="ignore", invalid="ignore"):
        _, _, alpha_m, beta_m, _, _ = (np.float32(x) for x in _naive_rates(-3000.0))
        zero = np.float32(0.0)
        assert np.isinf(beta_m) and np.isnan(alpha_m * (1 - zero) - beta_m * zero)
    cell = Cell(1, 1.0)
    j = jnp.full((2000, 1), -1e3)
    _, states = contract.run_steps(cell, cell.init_state(), Cell.Inputs(j), None, 0.01)
    assert float(states.v.min()) < -2000.0
    for field in FIELDS:
        assert np.isfinite(getattr(states, field)).all(), field
    for field in GATES:
        values = getattr(states, field)
        assert values.min() >= 0.0 and values.max() <= 1.0


def _final_v_and_gradient(scheme):
    """The final voltage of issue 10's case (tau_v = 1, j = −100, dt = 0.01, 429 steps) and
    its derivative with respect to tau_v."""

    def final_v(tau_v):
        cell = Cell(1, tau_v, integration_type=scheme)
        final, _ = contract.run_steps(
            cell, cell.init_state(), Cell.Inputs(jnp.full((429, 1), -100.0)), None, 0.01
        )
        return final.v.sum()

    return jax.value_and_grad(final_v)(1.0)


def test_a_hyperpolarised_run_has_a_finite_gradient_under_euler():
    """v falls to −233 mV, where dt·(α_h + β_h) ≈ 15: Euler's step of h is unstable and h is
    pinned at 1 by the clip. Through the pinned gate the derivative grew 14× a step, to NaN
    (issue 10, item 4); a saturated gate carries none. The gradient is then Euler's
    approximation of the one RK4 and exponential Euler compute: their final voltages differ
    by 0.2 mV of 233 (a first-order scheme's error at dt = 0.01), so the gradients may differ
    by that order, and 1 % is far tighter than NaN or an overflowed derivative."""
    v, grad = _final_v_and_gradient("euler")
    assert float(v) < -200.0 and np.isfinite(grad)
    for scheme in ("rk4", "exponential_euler"):
        v_ref, grad_ref = _final_v_and_gradient(scheme)
        np.testing.assert_allclose(v, v_ref, rtol=1e-3)
        np.testing.assert_allclose(grad, grad_ref, rtol=1e-2)


def test_a_gate_at_its_bound_carries_no_derivative():
    """`clip_gate` is the identity inside (0, 1) and a constant at and beyond the bounds."""
    x = jnp.array([-0.5, 0.0, 0.3, 1.0, 1.5])
    np.testing.assert_array_equal(clip_gate(x), np.float32([0.0, 0.0, 0.3, 1.0, 1.0]))
    np.testing.assert_array_equal(jax.vmap(jax.grad(clip_gate))(x), [0.0, 0.0, 1.0, 0.0, 0.0])


# ---------------------------------------------------------------- properties (hypothesis)

N = 4  # one unit count keeps jit caches warm across examples
# One scheme per family (heun/ralston share midpoint's code path in the cell and are checked
# in tests/test_integrate.py): the HH field is large, and each scheme costs a compilation.
INTEGRATORS = ["euler", "midpoint", "rk4"]


@st.composite
def cells(draw):
    return Cell(
        N,
        tau_v=draw(st.floats(0.5, 2.0)),
        resist_m=draw(st.floats(0.5, 2.0)),
        g_Na=draw(st.floats(50.0, 120.0)),
        g_K=draw(st.floats(5.0, 36.0)),
        g_L=draw(st.floats(0.1, 0.5)),
        thr=draw(st.floats(4.0, 30.0)),
        v_reset=draw(st.floats(-5.0, 5.0)),
        spike_reset=draw(st.booleans()),
        integration_type=draw(st.sampled_from(INTEGRATORS)),
    )


def _state(cell, v, n, m, h):
    rest = cell.init_state()
    return Cell.State(v=v, n=n, m=m, h=h, s=rest.s, tols=rest.tols, t=jnp.asarray(1.5))


dts = st.floats(0.001, 0.01).map(jnp.float32)
volts, gates, currents = vector(N, -20.0, 110.0), vector(N, 0.0, 1.0), vector(N, -20.0, 40.0)


@given(cells(), dts)
def test_rest_is_a_fixed_point_under_its_holding_current(cell, dt):
    """At the initial state (v = 0, gates at x∞(0)) the gates are at equilibrium; with the
    holding current J* = Σ g·(0 − E) (from the textbook rates, computed here) so is v."""
    rest = cell.init_state()
    n, m, h = _naive_steady_gates(0.0)
    holding = (
        cell.g_Na * m**3 * h * (0.0 - cell.v_Na)
        + cell.g_K * n**4 * (0.0 - cell.v_K)
        + cell.g_L * (0.0 - cell.v_L)
    ) / cell.resist_m
    new = cell.step(rest, Cell.Inputs(jnp.full(N, holding, jnp.float32)), None, dt)
    np.testing.assert_allclose(new.v, 0.0, atol=2e-5)
    for field in GATES:
        np.testing.assert_allclose(getattr(new, field), getattr(rest, field), rtol=1e-5)


@given(cells(), volts, gates, gates, gates, currents, dts)
def test_spike_reset_sets_v_reset_and_steady_gates(cell, v, n, m, h, j, dt):
    """Oracle: the same cell without reset; where it spikes the resetting cell is at v_reset
    with the gates at x∞(v_reset) (textbook rates), elsewhere the two agree exactly."""
    kwargs = {f: getattr(cell, f) for f in ("tau_v", "resist_m", "g_Na", "g_K", "g_L")}
    kwargs |= {"thr": cell.thr, "v_reset": cell.v_reset, "integration_type": cell.integration_type}
    free, reset = Cell(N, **kwargs), Cell(N, **kwargs, spike_reset=True)
    a = free.step(_state(free, v, n, m, h), Cell.Inputs(j), None, dt)
    b = reset.step(_state(reset, v, n, m, h), Cell.Inputs(j), None, dt)
    np.testing.assert_array_equal(a.s, b.s)
    fired = np.asarray(a.s) > 0
    np.testing.assert_array_equal(np.asarray(b.v)[fired], np.float32(cell.v_reset))
    np.testing.assert_array_equal(np.asarray(b.v)[~fired], np.asarray(a.v)[~fired])
    for field, x_reset in zip(GATES, _naive_steady_gates(float(cell.v_reset)), strict=True):
        np.testing.assert_allclose(np.asarray(getattr(b, field))[fired], x_reset, rtol=1e-5)
        np.testing.assert_array_equal(
            np.asarray(getattr(b, field))[~fired], np.asarray(getattr(a, field))[~fired]
        )


def _smooth_loss(integrator):
    """Without spike_reset the spikes do not feed back: the state is smooth in τ_v."""
    j = jnp.tile(jnp.linspace(0.0, 10.0, N), (30, 1))

    def loss(tau_v):
        cell = Cell(N, tau_v, integration_type=integrator)
        final, _ = contract.run_steps(cell, cell.init_state(), Cell.Inputs(j), None, 0.01)
        return jnp.sum(final.v)

    return jax.jit(loss)


SMOOTH_LOSSES = {name: _smooth_loss(name) for name in ["midpoint"]}


@given(st.floats(0.5, 3.0), st.sampled_from(sorted(SMOOTH_LOSSES)))
def test_gradient_wrt_tau_v_matches_finite_difference(tau, integrator):
    contract.assert_grad_matches_finite_difference(SMOOTH_LOSSES[integrator], tau)


@jax.jit
def _spike_count(resist_m):
    cell = Cell(N, 1.0, resist_m=resist_m, thr=20.0, spike_reset=True)
    j = jnp.tile(jnp.array([5.0, 10.0, 15.0, 20.0]), (100, 1))
    _, states = contract.run_steps(cell, cell.init_state(), Cell.Inputs(j), None, 0.01)
    return jnp.sum(states.s)


def test_surrogate_gradient_through_100_steps_is_finite_and_nonzero():
    """Spike count of a run with resets."""
    spiking.assert_resistance_gradient(_spike_count)


def test_surrogate_is_a_field():
    a, b = Cell(N, 1.0), Cell(N, 1.0, surrogate=FastSigmoid(alpha=1.0))
    rest = a.init_state()
    state = rest.replace(v=jnp.full(N, 3.9))
    grads = [spiking.spike_input_gradient(c, state, jnp.zeros(N), 0.01) for c in (a, b)]
    assert not np.allclose(*grads)
