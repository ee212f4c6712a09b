"""RAFCell: golden parity with ngclearn (its "euler" is the semi-implicit scheme, its midpoint a
split scheme), closed-form oracles of the linear oscillator, its stable domain, gradients,
the reset. The properties of the contract and bad input are checked by
`tests/test_contract.py` (entry in `tests/components/spiking.py`, with the stability
functions used here)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from components.spiking import raf_matrix, raf_stable_dt
from hypothesis import given
from hypothesis import strategies as st
from support import contract, spiking
from support.golden import constructor_kwargs, golden_names, load_golden

from dynax.integrate import SemiImplicitEuler, get_integrator
from dynax.neurons.spiking.raf_cell import RAFCell
from dynax.surrogate import FastSigmoid

RENAMES = {"batch_size": None, "key_seed": None}
Cell = RAFCell


def _reference_scheme(golden):
    """ngclearn's RAFCell steps w (with the old v) and then v (with the new w), each by RK2
    for "midpoint"/"rk2" and by Euler for every other name; the latter is the semi-implicit
    (symplectic) Euler scheme, dynax's "symplectic_euler"."""
    return spiking.reference_integrator(golden, otherwise="symplectic_euler")


def _cell(golden, **overrides):
    return Cell(**{**constructor_kwargs(golden, RENAMES), **overrides})


def _recorded_states(golden):
    return spiking.resynced_states(golden, Cell.State, ("v", "w", "s", "tols"))


def _check_against_golden(states, golden, atol):
    spiking.assert_recorded(states, golden, equal=("s",), close=("v", "w"), atol=atol)
    spiking.assert_recorded(states, golden, close=("tols",), atol=1e-6)


NAMES = golden_names("RAFCell")
SAME_SCHEME = [n for n in NAMES if _reference_scheme(load_golden(n)) == "symplectic_euler"]
SPLIT_SCHEME = [n for n in NAMES if n not in SAME_SCHEME]


@pytest.mark.parametrize("name", SAME_SCHEME)
def test_matches_reference(name):
    """With dynax's "symplectic_euler" (the scheme ngclearn runs for "euler"), every recorded
    step matches, resynced and free; dynax's "euler" (forward Euler) does not."""
    golden = load_golden(name)
    cell = _cell(golden, integration_type="symplectic_euler")
    np.testing.assert_array_equal(cell.init_state().v, golden.init["v"][0])
    np.testing.assert_array_equal(cell.init_state().w, golden.init["w"][0])
    states = spiking.resynced_steps(cell, golden, _recorded_states(golden))
    _check_against_golden(states, golden, 1e-6)
    _check_against_golden(spiking.free_run(cell, golden), golden, 1e-6)
    assert golden.traj["s"].any() and not golden.traj["s"].all()
    forward = _cell(golden, integration_type="euler")
    states = spiking.resynced_steps(forward, golden, _recorded_states(golden))
    assert np.abs(np.asarray(states.v) - golden.traj["v"]).max() > 1e-2


def test_default_scheme_is_the_references():
    assert Cell(3).integration_type == SemiImplicitEuler()


def _reference_step(cell, state, j, dt, integrator):
    """ngclearn's step rebuilt from dynax's vector field: w integrated with v frozen at its
    old value, then v with w frozen at its NEW value; spike and reset on the new v."""
    step = get_integrator(integrator)
    current = cell.resist_v * j
    field = cell.vector_field
    w = step(lambda t, x, a: field(t, (state.v, x), current)[1], 0.0, state.w, dt, None)
    v = step(lambda t, x, a: field(t, (x, w), current)[0], 0.0, state.v, dt, None)
    s = v > cell.thr
    if cell.post_spike_reset:
        v, w = jnp.where(s, cell.v_reset, v), jnp.where(s, cell.w_reset, w)
    return v, w, s


@pytest.mark.parametrize("name", SPLIT_SCHEME)
def test_reference_midpoint_is_the_split_scheme(name):
    """ngclearn's midpoint is a midpoint step on w with v frozen, then one on v with the new w
    frozen; rebuilt from the recorded states it reproduces every recorded step. dynax's
    midpoint integrates (v, w) jointly instead (see the order test): from the same states its
    steps differ by O(dt²) per step, which at dt = 0.1 (ω·dt = 0.6) changes many spikes."""
    golden = load_golden(name)
    cell = _cell(golden)
    states = _recorded_states(golden)
    v, w, s = jax.vmap(jax.vmap(lambda st, j: _reference_step(cell, st, j, golden.dt, "midpoint")))(
        states, golden.inputs["j"]
    )
    np.testing.assert_array_equal(s, golden.traj["s"])
    np.testing.assert_allclose(v, golden.traj["v"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(w, golden.traj["w"], rtol=1e-5, atol=1e-6)
    ours = spiking.resynced_steps(cell, golden, states)
    assert not np.array_equal(ours.s, golden.traj["s"])


# ---------------------------------------------------------------- closed-form oracles


def _exact(y0, j, t, b=-1.0, omega=10.0, tau_v=1.0, tau_w=1.0):
    """The exact flow of the linear system under a constant current (no threshold)."""
    a = raf_matrix(b, omega, tau_v, tau_w)
    forcing = np.array([0.0, j / tau_w])
    y_star = -np.linalg.solve(a, forcing)
    return y_star + jax.scipy.linalg.expm(jnp.asarray(a * t)) @ (np.asarray(y0) - y_star)


def _run_without_threshold(integrator, y0, j, dt, steps):
    cell = Cell(1, thr=1e9, post_spike_reset=False, integration_type=integrator)
    rest = cell.init_state()
    state = rest.replace(v=jnp.array([y0[0]]), w=jnp.array([y0[1]]))
    final, _ = contract.run_steps(cell, state, Cell.Inputs(jnp.full((steps, 1), j)), None, dt)
    return np.array([final.v[0], final.w[0]])


@pytest.mark.parametrize(
    ("integrator", "order"),
    [("symplectic_euler", 1), ("euler", 1), ("midpoint", 2), ("heun", 2), ("rk4", 4)],
)
def test_convergence_order_against_the_matrix_exponential(integrator, order):
    """Between spikes the cell is linear; its exact flow is a matrix exponential. Each scheme
    converges at its order (float64)."""
    with jax.enable_x64(True):
        y0, j, horizon = (0.3, -0.2), 2.0, 1.0
        exact = np.asarray(_exact(y0, j, horizon))
        dts = [0.01, 0.005] if order < 4 else [0.04, 0.02]
        errors = [
            np.abs(_run_without_threshold(integrator, y0, j, dt, round(horizon / dt)) - exact).max()
            for dt in dts
        ]
    np.testing.assert_allclose(np.log2(errors[0] / errors[1]), order, atol=0.25)


def test_midpoint_is_second_order_where_the_references_split_is_first_order():
    with jax.enable_x64(True):
        y0, j, horizon = (0.3, -0.2), 2.0, 1.0
        exact = np.asarray(_exact(y0, j, horizon))
        cell = Cell(1, thr=1e9, post_spike_reset=False)
        rest = cell.init_state()

        @jax.jit
        def split(y, dt):
            state = rest.replace(v=y[0:1], w=y[1:2])
            v, w, _ = _reference_step(cell, state, jnp.array([j]), dt, "midpoint")
            return jnp.concatenate([v, w])

        errors = []
        for dt in (0.01, 0.005):
            y = jnp.asarray(y0)
            for _ in range(round(horizon / dt)):
                y = split(y, dt)
            errors.append(np.abs(np.asarray(y) - exact).max())
    np.testing.assert_allclose(np.log2(errors[0] / errors[1]), 1.0, atol=0.25)


def test_symplectic_euler_contracts_area_by_the_damping_only():
    """The semi-implicit step map of (v, w) has determinant (1 + dt·b)² (τ_v = τ_w = 1) and,
    at the defaults with dt = 0.1, spectral radius |1 + dt·b| = 0.9: it decays, while
    forward Euler (|1 + dt(b ± iω)| = √1.81) grows."""
    dt = 0.1

    def step_map(integrator):
        cell = Cell(1, thr=1e9, post_spike_reset=False, integration_type=integrator)
        rest = cell.init_state()

        def f(y):
            state = rest.replace(v=y[0:1], w=y[1:2])
            new = cell.step(state, Cell.Inputs(jnp.zeros(1)), None, dt)
            return jnp.concatenate([new.v, new.w])

        return np.asarray(jax.jacfwd(f)(jnp.zeros(2)))

    semi, forward = step_map("symplectic_euler"), step_map("euler")
    np.testing.assert_allclose(np.linalg.det(semi), (1 - dt) ** 2, rtol=1e-5)
    np.testing.assert_allclose(np.abs(np.linalg.eigvals(semi)), 1 - dt, rtol=1e-4)
    np.testing.assert_allclose(np.abs(np.linalg.eigvals(forward)), np.sqrt(1.81), rtol=1e-5)


# ---------------------------------------------------------------- properties (hypothesis)

N = 4  # one unit count keeps jit caches warm across examples
SCHEMES = ["symplectic_euler", "euler", "midpoint", "heun", "ralston", "rk4"]


@st.composite
def cells(draw, post_spike_reset=None):
    return Cell(
        N,
        tau_v=draw(st.floats(0.5, 2.0)),
        tau_w=draw(st.floats(0.5, 2.0)),
        thr=draw(st.floats(0.5, 1.5)),
        omega=draw(st.floats(2.0, 12.0)),
        dampen_factor=draw(st.floats(-2.0, -0.1)),
        v_reset=draw(st.floats(-0.3, 0.3)),
        w_reset=draw(st.floats(-0.3, 0.3)),
        resist_v=draw(st.floats(0.5, 2.0)),
        post_spike_reset=draw(st.booleans()) if post_spike_reset is None else post_spike_reset,
        integration_type=draw(st.sampled_from(SCHEMES)),
    )


def _state(cell, v, w):
    rest = cell.init_state()
    return Cell.State(v=v, w=w, s=rest.s, tols=rest.tols, t=jnp.asarray(1.5))


dts = st.floats(0.005, 0.1).map(jnp.float32)


@given(cells(), dts)
def test_rest_is_a_fixed_point_without_input(cell, dt):
    """(v, w) = (0, 0) is the equilibrium of the unforced oscillator, for every scheme."""
    rest = _state(cell, jnp.zeros(N), jnp.zeros(N))
    new = cell.step(rest, Cell.Inputs(jnp.zeros(N)), None, dt)
    np.testing.assert_array_equal(new.v, 0.0)
    np.testing.assert_array_equal(new.w, 0.0)
    assert not new.s.any()


def test_stable_domain_of_forward_euler_is_the_documented_one():
    """dt < 2|b|τ/(b² + ω²) = 0.0198 at the defaults: the formula of the docstring."""
    np.testing.assert_allclose(raf_stable_dt("euler", -1.0, 10.0, 1.0, 1.0), 2 / 101, rtol=1e-2)
    # symplectic Euler: dt·ω < 2√(1 + dt·b), i.e. dt < 0.181 at the defaults
    limit = raf_stable_dt("symplectic_euler", -1.0, 10.0, 1.0, 1.0)
    np.testing.assert_allclose(limit * 10.0, 2 * np.sqrt(1 - limit), rtol=1e-2)
    np.testing.assert_allclose(limit, 0.181, rtol=1e-2)


def _smooth_loss(scheme):
    """Without the reset the spikes do not feed back: the state is smooth in τ_v."""
    j = jnp.tile(jnp.linspace(0.0, 1.0, N), (40, 1))

    def loss(tau_v):
        cell = Cell(N, tau_v=tau_v, post_spike_reset=False, integration_type=scheme)
        final, _ = contract.run_steps(cell, cell.init_state(), Cell.Inputs(j), None, 0.02)
        return jnp.sum(final.v**2 + final.w**2)

    return jax.jit(loss)


SMOOTH_LOSSES = {name: _smooth_loss(name) for name in ["symplectic_euler", "midpoint", "rk4"]}


@given(st.floats(0.5, 3.0), st.sampled_from(sorted(SMOOTH_LOSSES)))
def test_gradient_wrt_tau_v_matches_finite_difference(tau, scheme):
    contract.assert_grad_matches_finite_difference(SMOOTH_LOSSES[scheme], tau)


@jax.jit
def _spike_count(resist_v):
    total = 0.0
    for scheme in ("symplectic_euler", "rk4"):
        cell = Cell(N, resist_v=resist_v, integration_type=scheme)
        j = jnp.tile(jnp.array([5.0, 10.0, 15.0, 20.0]), (100, 1))
        _, states = contract.run_steps(cell, cell.init_state(), Cell.Inputs(j), None, 0.05)
        total = total + jnp.sum(states.s)
    return total


def test_surrogate_gradient_through_100_steps_is_finite_and_nonzero():
    """Spike counts of symplectic Euler and RK4 runs."""
    spiking.assert_resistance_gradient(_spike_count)


def test_surrogate_is_a_field():
    a, b = Cell(N), Cell(N, surrogate=FastSigmoid())
    state = _state(a, jnp.full(N, 0.9), jnp.zeros(N))
    grads = [spiking.spike_input_gradient(c, state, jnp.zeros(N), 0.1) for c in (a, b)]
    assert not np.allclose(*grads)


def test_reset_and_per_unit_parameters():
    """One semi-implicit step from (0.8, 1): w⁺ = 1 + 0.1(−1 − 8) = 0.1, v⁺ = 0.8 + 0.1(1 − 0.8)
    = 0.82; per-unit thresholds 0.5, 0.81, 9 and resets."""
    thr = jnp.array([0.5, 0.81, 9.0])
    cell = Cell(3, v_reset=jnp.array([-0.1, 0.0, 0.1]), w_reset=0.5, thr=thr)
    state = _state(cell, jnp.full(3, 0.8), jnp.ones(3))
    new = cell.step(state, Cell.Inputs(jnp.zeros(3)), None, 0.1)
    np.testing.assert_array_equal(new.s, [1.0, 1.0, 0.0])
    np.testing.assert_array_equal(new.v[:2], np.float32([-0.1, 0.0]))
    np.testing.assert_array_equal(new.w[:2], [0.5, 0.5])
    np.testing.assert_allclose(new.tols, [1.6, 1.6, 0.0], rtol=1e-6)
    kept = Cell(3, v_reset=jnp.array([-0.1, 0.0, 0.1]), thr=thr, post_spike_reset=False)
    new = kept.step(state, Cell.Inputs(jnp.zeros(3)), None, 0.1)
    np.testing.assert_allclose(new.v, 0.82, rtol=1e-6)
    np.testing.assert_allclose(new.w, 0.1, rtol=1e-5)
