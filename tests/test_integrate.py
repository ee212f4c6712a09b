"""Integrators: measured convergence orders on ODEs with known solutions (float64), one step
against Butcher tableaux written here, stage times seen through quadrature, pytree states,
dtypes, and the registry."""

import contextlib
import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from dynax.integrate import (
    INTEGRATORS,
    ButcherTableau,
    ExplicitRungeKutta,
    euler,
    exponential_euler,
    get_integrator,
    heun,
    midpoint,
    ralston,
    rk4,
)
from dynax.neurons.graded.rate_cell import RateCell
from dynax.neurons.spiking.lif_cell import LIFCell

EXPECTED_ORDER = {"euler": 1, "midpoint": 2, "heun": 2, "ralston": 2, "rk4": 4}

# Butcher tableaux (c, A, b) written independently of dynax.integrate
TABLEAUX = {
    "euler": ([0.0], [[]], [1.0]),
    "midpoint": ([0.0, 0.5], [[], [0.5]], [0.0, 1.0]),
    "heun": ([0.0, 1.0], [[], [1.0]], [0.5, 0.5]),
    "ralston": ([0.0, 0.75], [[], [0.75]], [1.0 / 3.0, 2.0 / 3.0]),
    "rk4": (
        [0.0, 0.5, 0.5, 1.0],
        [[], [0.5], [0.0, 0.5], [0.0, 0.0, 1.0]],
        [1.0 / 6.0, 1.0 / 3.0, 1.0 / 3.0, 1.0 / 6.0],
    ),
}


@contextlib.contextmanager
def x64():
    """float64 inside the block only (jax >= 0.10: `jax.enable_x64`; older: experimental)."""
    if hasattr(jax, "enable_x64"):
        with jax.enable_x64(True):
            yield
    else:  # pragma: no cover
        from jax.experimental import enable_x64

        with enable_x64():
            yield


def _tableau_step(name, f, t, y, dt):
    c, a, b = TABLEAUX[name]
    ks = []
    for i in range(len(b)):
        yi = y + dt * sum(a_ij * k for a_ij, k in zip(a[i], ks, strict=False))
        ks.append(f(t + c[i] * dt, yi))
    return y + dt * sum(b_i * k for b_i, k in zip(b, ks, strict=True))


GRID = 8  # the error is the largest over 8 common times t_end·i/8, i = 1..8


@functools.partial(jax.jit, static_argnums=(0, 1))
def _run(stepper, vf, y0, t_end, n_steps):
    """`n_steps` steps from t = 0 to `t_end`, keeping the state after every `n_steps/GRID`
    steps. `t_end` and `n_steps` are traced: one compile per stepper and problem."""
    dt = t_end / n_steps

    def segment(carry, _):
        def body(_, carry):
            y, i = carry
            return stepper(vf, i * dt, y, dt, None), i + 1

        carry = jax.lax.fori_loop(0, n_steps // GRID, body, carry)
        return carry, carry[0]

    return jax.lax.scan(segment, (y0, 0), None, length=GRID)[1]


def _solve(stepper, vf, y0, t_end, n_steps):
    """The states at the `GRID` common times `t_end·i/GRID`, and those times."""
    assert n_steps % GRID == 0
    ys = _run(stepper, vf, y0, t_end, n_steps)
    return jax.tree.map(np.asarray, ys), t_end * np.arange(1, GRID + 1) / GRID


def _fitted_order(errors, steps):
    """Slope of log(error) against log(dt) by least squares."""
    slope, _ = np.polyfit(np.log(1.0 / np.asarray(steps, float)), np.log(errors), 1)
    return slope


# dy/dt = −y + sin t, y(0) = 1:  y(t) = 3/2·e^{−t} + (sin t − cos t)/2  (time-dependent)
def _forced_decay(t, y, args):
    return -y + jnp.sin(t)


def _forced_decay_solution(t):
    return 1.5 * np.exp(-t) + 0.5 * (np.sin(t) - np.cos(t))


# damped oscillator as a tuple (x, v): x'' + 2ζω x' + ω² x = 0, ω = 2, ζ = 0.25, x(0) = 1, v(0) = 0
OMEGA, ZETA = 2.0, 0.25


def _oscillator(t, y, args):
    x, v = y
    return (v, -2.0 * ZETA * OMEGA * v - OMEGA**2 * x)


def _oscillator_solution(t):
    wd = OMEGA * math.sqrt(1 - ZETA**2)
    decay = np.exp(-ZETA * OMEGA * t)
    x = decay * (np.cos(wd * t) + ZETA * OMEGA / wd * np.sin(wd * t))
    v = -decay * (OMEGA**2 / wd) * np.sin(wd * t)
    return np.stack([x, v])


# step counts (multiples of GRID) where each order is asymptotic and float64 rounding is far
STEPS = {1: [64, 128, 256, 512], 2: [32, 64, 128, 256], 4: [16, 32, 64, 128]}
T_END = 2.0


@pytest.mark.parametrize("name", EXPECTED_ORDER)
def test_convergence_order_time_dependent_scalar(name):
    """A forced (time-dependent) ODE: a wrong stage time would spoil the order."""
    stepper, order = get_integrator(name), EXPECTED_ORDER[name]
    errors = []
    with x64():
        for n in STEPS[order]:
            ys, ts = _solve(stepper, _forced_decay, jnp.float64(1.0), T_END, n)
            errors.append(np.abs(ys - _forced_decay_solution(ts)).max())
    assert abs(_fitted_order(errors, STEPS[order]) - order) < 0.15, errors


@pytest.mark.parametrize("name", EXPECTED_ORDER)
def test_convergence_order_coupled_tuple_system(name):
    """A 2-D linear system as a tuple pytree `(x, v)`, integrated as one system."""
    stepper, order = get_integrator(name), EXPECTED_ORDER[name]
    errors = []
    with x64():
        y0 = (jnp.float64(1.0), jnp.float64(0.0))
        for n in STEPS[order]:
            (xs, vs), ts = _solve(stepper, _oscillator, y0, T_END, n)
            errors.append(np.abs(np.stack([xs, vs]) - _oscillator_solution(ts)).max())
    assert abs(_fitted_order(errors, STEPS[order]) - order) < 0.15, errors


@pytest.mark.parametrize("name", EXPECTED_ORDER)
def test_each_stepper_carries_its_order(name):
    assert get_integrator(name).order == EXPECTED_ORDER[name]


@pytest.mark.parametrize("name", EXPECTED_ORDER)
def test_one_step_equals_the_butcher_tableau(name):
    """A nonlinear, time-dependent field, so that every stage weight and time matters."""

    def f(t, y):
        return jnp.cos(3.0 * t) * y - 0.5 * y**3 + t**2

    with x64():
        for t, y, dt in [(0.0, 0.7, 0.3), (1.3, -1.2, 0.05), (-0.4, 2.0, 0.2)]:
            t, y = jnp.float64(t), jnp.float64(y)
            got = get_integrator(name)(lambda t, y, args: f(t, y), t, y, dt, None)
            want = _tableau_step(name, f, t, y, dt)
            np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-14)


# Quadrature: with f(t, y) = p(t) the step is a quadrature rule of [t, t + dt]. Each rule is
# exact up to its order − 1 (degree 0, 1, 1, 1, 3) and not beyond: this proves that `t`, and
# each stage's time, reaches the vector field.
EXACT_DEGREE = {"euler": 0, "midpoint": 1, "heun": 1, "ralston": 1, "rk4": 3}


@pytest.mark.parametrize("name", EXPECTED_ORDER)
def test_stage_times_through_quadrature(name):
    t0, dt = 0.75, 0.5
    with x64():
        for degree in range(5):

            def p(t, y, args, degree=degree):
                return (degree + 1) * t**degree

            got = float(get_integrator(name)(p, jnp.float64(t0), jnp.float64(0.0), dt, None))
            exact = (t0 + dt) ** (degree + 1) - t0 ** (degree + 1)
            if degree <= EXACT_DEGREE[name]:
                assert got == pytest.approx(exact, rel=1e-13, abs=1e-14), degree
            else:
                assert abs(got - exact) > 1e-4, degree


def test_args_reach_the_vector_field():
    def vf(t, y, args):
        return args["rate"] * y

    for name in EXPECTED_ORDER:
        y = get_integrator(name)(vf, 0.0, jnp.ones(3), 0.1, {"rate": jnp.asarray(0.0)})
        np.testing.assert_array_equal(y, jnp.ones(3))
        y = get_integrator(name)(vf, 0.0, jnp.ones(3), 0.1, {"rate": jnp.asarray(-1.0)})
        assert bool(jnp.all(y < 1.0))


# ---------------------------------------------------------------- pytrees and dtypes


def _linear_2d(t, y, args):
    a, b = y[..., 0], y[..., 1]
    return jnp.stack([-a + 0.5 * b + jnp.sin(t), -0.3 * a - 0.2 * b], axis=-1)


@pytest.mark.parametrize("name", EXPECTED_ORDER)
def test_pytree_states_equal_the_stacked_array(name):
    """dict, tuple and nested states step exactly as the same system stacked in one array."""
    stepper = get_integrator(name)
    y = jnp.asarray([[0.3, -1.2], [1.0, 0.5]])
    t, dt = 0.4, 0.1
    want = stepper(_linear_2d, t, y, dt, None)

    def as_dict(t, y, args):
        out = _linear_2d(t, jnp.stack([y["a"], y["b"]], axis=-1), args)
        return {"a": out[..., 0], "b": out[..., 1]}

    got = stepper(as_dict, t, {"a": y[:, 0], "b": y[:, 1]}, dt, None)
    assert set(got) == {"a", "b"}
    np.testing.assert_allclose(got["a"], want[:, 0], rtol=1e-6)
    np.testing.assert_allclose(got["b"], want[:, 1], rtol=1e-6)

    def as_nested(t, y, args):
        out = _linear_2d(t, jnp.stack([y[0], y[1]["b"]], axis=-1), args)
        return (out[..., 0], {"b": out[..., 1]})

    got = stepper(as_nested, t, (y[:, 0], {"b": y[:, 1]}), dt, None)
    assert jax.tree.structure(got) == jax.tree.structure((y[:, 0], {"b": y[:, 1]}))
    np.testing.assert_allclose(got[0], want[:, 0], rtol=1e-6)
    np.testing.assert_allclose(got[1]["b"], want[:, 1], rtol=1e-6)


def _decay_to_t(t, y, args):
    return jax.tree.map(lambda leaf: -leaf + t, y)


@pytest.mark.parametrize("name", EXPECTED_ORDER)
def test_dtype_of_each_leaf_is_kept(name):
    step = jax.jit(get_integrator(name), static_argnums=0)
    y = {
        "f32": jnp.ones(3, jnp.float32),
        "f16": jnp.ones(2, jnp.float16),
        "bf16": jnp.ones((), jnp.bfloat16),
    }
    dtypes = {k: v.dtype for k, v in y.items()}
    for dt in (0.1, jnp.asarray(0.1, jnp.float32)):
        out = step(_decay_to_t, 0.0, y, dt, None)
        assert {k: v.dtype for k, v in out.items()} == dtypes
        assert {k: v.shape for k, v in out.items()} == {k: v.shape for k, v in y.items()}
    with x64():  # a float64 dt or t does not promote a float32 state
        out = get_integrator(name)(_decay_to_t, jnp.float64(0.5), y, jnp.float64(0.1), None)
        assert {k: v.dtype for k, v in out.items()} == dtypes


def test_python_and_integer_states_become_floats():
    for name in EXPECTED_ORDER:
        for y0 in (1.0, 1, jnp.asarray(1)):
            y = get_integrator(name)(lambda t, y, args: -0.5 * y, 0.0, y0, 0.1, None)
            assert y.dtype == jnp.float32
            assert 0.9 < float(y) < 1.0  # not truncated to an integer


def test_x64_block_does_not_leak():
    with x64():
        assert jnp.asarray(1.0).dtype == jnp.float64
    assert jnp.asarray(1.0).dtype == jnp.float32


def test_steppers_work_under_jit_vmap_and_grad():
    def vf(t, y, args):
        return -args * y

    for name in EXPECTED_ORDER:
        stepper = get_integrator(name)
        batched = jax.jit(jax.vmap(lambda y, stepper=stepper: stepper(vf, 0.0, y, 0.1, 2.0)))(
            jnp.arange(3.0)
        )
        loop = jnp.stack([stepper(vf, 0.0, y, 0.1, 2.0) for y in jnp.arange(3.0)])
        np.testing.assert_allclose(batched, loop, rtol=1e-6)
        # d y⁺/d rate at y = 1: every stepper's update is a polynomial R(−rate·dt) in the rate
        grad = jax.grad(lambda rate, stepper=stepper: stepper(vf, 0.0, 1.0, 0.1, rate))(2.0)
        eps = 1e-3
        fd = (stepper(vf, 0.0, 1.0, 0.1, 2.0 + eps) - stepper(vf, 0.0, 1.0, 0.1, 2.0 - eps)) / (
            2 * eps
        )
        np.testing.assert_allclose(grad, fd, rtol=1e-3)


# ---------------------------------------------------------------- registry

ALIASES = {
    "euler": "euler",
    "rk1": "euler",
    "midpoint": "midpoint",
    "rk2": "midpoint",
    "heun": "heun",
    "rk2_heun": "heun",
    "ralston": "ralston",
    "rk2_ralston": "ralston",
    "rk4": "rk4",
    "exponential_euler": "exponential_euler",
}
FUNCTIONS = {
    "euler": euler,
    "midpoint": midpoint,
    "heun": heun,
    "ralston": ralston,
    "rk4": rk4,
    "exponential_euler": exponential_euler,
}


@pytest.mark.parametrize("alias", ALIASES)
def test_names_and_aliases_mean_what_they_say(alias):
    assert get_integrator(alias) is FUNCTIONS[ALIASES[alias]]


def test_registry_holds_exactly_the_reference_names():
    assert set(INTEGRATORS) == set(ALIASES)


@pytest.mark.parametrize("bad", ["rk45", "Euler", "", None, 4])
def test_unknown_name_lists_the_known_ones(bad):
    with pytest.raises(ValueError, match="Unknown integrator") as info:
        get_integrator(bad)
    for name in ALIASES:
        assert repr(name) in str(info.value)


def test_an_unknown_integrator_names_the_owner():
    assert RateCell(4, 1.0, integration_type="rk4").integration_type is rk4
    with pytest.raises(ValueError, match=r"RateCell: `integration_type`.*'heun'"):
        RateCell(4, 1.0, integration_type="dopri5")


# ---------------------------------------------------------------- exponential Euler


def test_exponential_euler_is_exact_for_linear_dynamics():
    """dy/dt = a·y + b (per entry, a of both signs and 0) from any y₀ and dt lands on
    y(dt) = (y₀ + b/a)·e^{a·dt} − b/a (y₀ + b·dt for a = 0), where Euler does not."""
    a = np.array([-3.0, -0.2, 0.0, 0.7])
    b = np.array([1.5, -2.0, 0.5, 0.3])
    y0 = np.array([0.4, 1.0, -1.0, 2.0])
    with x64():
        for dt in (0.01, 0.5, 3.0):
            got = exponential_euler(lambda t, y, args: args[0] * y + args[1], 0.0, y0, dt, (a, b))
            with np.errstate(divide="ignore", invalid="ignore"):
                closed = np.where(a != 0, (y0 + b / a) * np.exp(a * dt) - b / a, y0 + b * dt)
            np.testing.assert_allclose(got, closed, rtol=1e-12, atol=1e-13)
            assert (
                np.abs(euler(lambda t, y, args: a * y + b, 0.0, y0, dt, None) - closed).max() > 1e-5
            )


def test_exponential_euler_is_first_order_on_nonlinear_and_coupled_problems():
    errors = {"scalar": [], "coupled": []}
    with x64():
        for n in STEPS[1]:
            ys, ts = _solve(exponential_euler, _forced_decay, jnp.float64(1.0), T_END, n)
            errors["scalar"].append(np.abs(ys - _forced_decay_solution(ts)).max())
            y0 = (jnp.float64(1.0), jnp.float64(0.0))
            (xs, vs), ts = _solve(exponential_euler, _oscillator, y0, T_END, n)
            errors["coupled"].append(np.abs(np.stack([xs, vs]) - _oscillator_solution(ts)).max())
    for kind, errs in errors.items():
        assert abs(_fitted_order(errs, STEPS[1]) - 1) < 0.15, (kind, errs)


def test_lif_with_exponential_euler_is_the_closed_form_at_any_dt():
    """Below threshold the LIF membrane is linear in v: one exponential-Euler step of any
    length lands on v_∞ + (v₀ − v_∞)·e^{−g_L·dt/τ_m}."""
    tau, g, r, j = 20.0, 0.5, 2.0, jnp.array([1.0, 2.0, 3.0])
    cell = LIFCell(
        3, tau, resist_m=r, conduct_leak=g, thr=0.0, integration_type="exponential_euler"
    )
    v_inf = -65.0 + r * np.asarray(j) / g
    for dt in (0.1, 5.0, 40.0):
        new = cell.step(cell.init_state(), LIFCell.Inputs(j), None, dt)
        want = v_inf + (-65.0 - v_inf) * np.exp(-g * dt / tau)
        np.testing.assert_allclose(new.v, want, rtol=2e-6)


# ---------------------------------------------------------------- a user's own stepper


class SSPRK3(ExplicitRungeKutta):
    """The third-order strong-stability-preserving Runge–Kutta scheme (Shu–Osher), written
    as a user would, from its tableau."""

    order = 3
    tableau = ButcherTableau(
        a=((), (1.0,), (0.25, 0.25)), b=(1 / 6, 1 / 6, 2 / 3), c=(0.0, 1.0, 0.5)
    )


def test_a_users_stepper_needs_no_registry_edit():
    errors = []
    with x64():
        for n in STEPS[4]:
            ys, ts = _solve(SSPRK3(), _forced_decay, jnp.float64(1.0), T_END, n)
            errors.append(np.abs(ys - _forced_decay_solution(ts)).max())
    assert abs(_fitted_order(errors, STEPS[4]) - SSPRK3.order) < 0.15, errors
    assert "SSPRK3" not in str(INTEGRATORS)
    cell = LIFCell(3, 10.0, integration_type=SSPRK3())
    rk = LIFCell(3, 10.0, integration_type="rk4")
    inputs = LIFCell.Inputs(jnp.array([1.0, 2.0, 3.0]))
    a = cell.step(cell.init_state(), inputs, None, 0.01)
    b = rk.step(rk.init_state(), inputs, None, 0.01)
    np.testing.assert_allclose(a.v, b.v, rtol=1e-6)
    assert cell.integration_type.order == 3
