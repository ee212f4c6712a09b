"""LeakyNoiseCell: golden parity with ngclearn, its reused noise sample, noise statistics,
closed forms, gradients, bad noise and keys (the contract: `tests/test_contract.py`)."""

import functools

import chex
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from components.graded import leaky_noise_cells
from hypothesis import given
from hypothesis import strategies as st
from support import contract
from support.golden import constructor_kwargs, golden_names, load_golden

from dynax.activations import get_activation
from dynax.integrate import get_integrator
from dynax.neurons.graded.leaky_noise_cell import LeakyNoiseCell

# Defect 1 of the spec's §9: ngclearn's LeakyNoiseCell runs RK4 for "heun" (and raises for
# "ralston"/"rk4"). A parity test runs the integrator that really ran.
REFERENCE_RAN = {"heun": "rk4", "rk2_heun": "rk4"}
RENAMES = {"batch_size": None, "key_seed": None}


def _cell_from_golden(golden):
    kwargs = constructor_kwargs(golden, RENAMES)
    label = kwargs.get("integration_type", "euler")
    kwargs["integration_type"] = REFERENCE_RAN.get(label, label)
    return LeakyNoiseCell(**kwargs)


def _reference_noise(golden):
    """The reference's per-step sample, rebuilt from its recorded raw keys: before step k the
    key is `init__key` (k = 0) or `traj__key[k-1]`; it does `(k_new, sk) = split(key)`,
    `eps = normal(sk, (batch, n))` and stores `k_new`. Returns eps of shape (T, batch, n)."""
    keys = np.concatenate([golden.init["key"][None], golden.traj["key"][:-1]])
    shape = golden.inputs["j_input"].shape[1:]

    def draw(key):
        k_new, sk = jax.random.split(key)
        return k_new, jax.random.normal(sk, shape)

    k_new, eps = jax.vmap(draw)(jnp.asarray(keys, dtype=jnp.uint32))
    # The recorded key sequence is the one this protocol produces (else eps would be wrong).
    np.testing.assert_array_equal(np.asarray(k_new), golden.traj["key"])
    return np.asarray(eps)


def _run_with_noise(cell, golden, eps_pre, eps_post):
    """Free run of the batch (vmap) fed explicit samples (T, batch, n) through
    `step_with_noise`."""
    step = jax.jit(jax.vmap(lambda s, i, a, b: cell.step_with_noise(s, i, a, b, golden.dt)))
    state = jax.vmap(lambda _: cell.init_state())(jnp.arange(golden.batch_size))
    out = []
    for k in range(golden.num_steps):
        inputs = LeakyNoiseCell.Inputs(
            j_input=golden.inputs["j_input"][k], j_recurrent=golden.inputs["j_recurrent"][k]
        )
        state = step(state, inputs, eps_pre[k], eps_post[k])
        out.append(state)
    return jax.tree.map(lambda *xs: np.stack(xs), *out)


def _assert_close(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", golden_names("LeakyNoiseCell"))
def test_matches_reference_given_its_samples(name):
    """Fed the reference's one sample per step as both ε_pre and ε_post (its defect 4),
    dynax reproduces every recorded output: the dynamics, the noise scaling √(2τσ²)·ε/τ in
    dx/dt, the rectifier and its derivative are the reference's."""
    golden = load_golden(name)
    eps = _reference_noise(golden)
    states = _run_with_noise(_cell_from_golden(golden), golden, eps, eps)
    for field in ("x", "r", "r_prime"):
        _assert_close(getattr(states, field), golden.traj[field])


def _sigmas(name):
    """The file's (σ_pre, σ_post); absent ones are the reference's defaults (0.1, 0.1)."""
    params = load_golden(name).params
    return params.get("sigma_pre", 0.1), params.get("sigma_post", 0.1)


NOISE_FREE = [n for n in golden_names("LeakyNoiseCell") if _sigmas(n) == (0, 0)]
POST_NOISY = [n for n in golden_names("LeakyNoiseCell") if _sigmas(n)[1] != 0]


@pytest.mark.parametrize("name", NOISE_FREE)
def test_step_matches_noise_free_reference(name):
    """Where the file has no noise, the public `step` with key=None reproduces it."""
    golden = load_golden(name)
    cell = _cell_from_golden(golden)
    step = jax.jit(jax.vmap(lambda s, i: cell.step(s, i, None, golden.dt)))
    state = jax.vmap(lambda _: cell.init_state())(jnp.arange(golden.batch_size))
    for k in range(golden.num_steps):
        inputs = LeakyNoiseCell.Inputs(golden.inputs["j_input"][k], golden.inputs["j_recurrent"][k])
        state = step(state, inputs)
        for field in ("x", "r", "r_prime"):
            _assert_close(getattr(state, field), golden.traj[field][k])


@pytest.mark.parametrize("name", POST_NOISY)
def test_post_noise_differs_from_reference_only_by_the_reused_sample(name):
    """Defect 4: the reference adds σ_post times the SAME sample that drove x. dynax fed the
    reference's sample as ε_pre and an independent ε_post matches x and r_prime exactly, and
    its rate differs from the recorded one by exactly σ_post·(ε_post − ε_reference)."""
    golden = load_golden(name)
    sigma_post = _sigmas(name)[1]
    eps = _reference_noise(golden)
    eps_post = np.asarray(jax.random.normal(jax.random.key(123), eps.shape))
    cell = _cell_from_golden(golden)
    states = _run_with_noise(cell, golden, eps, eps_post)
    _assert_close(states.x, golden.traj["x"])
    _assert_close(states.r_prime, golden.traj["r_prime"])
    f = get_activation(cell.act_fx).fx
    # The reference's post noise is its pre sample ...
    _assert_close(golden.traj["r"] - np.asarray(f(golden.traj["x"])), sigma_post * eps)
    # ... dynax's is the independent one, and that is the whole difference.
    _assert_close(states.r - np.asarray(f(states.x)), sigma_post * eps_post)
    np.testing.assert_allclose(
        states.r - golden.traj["r"], sigma_post * (eps_post - eps), rtol=1e-4, atol=1e-6
    )
    assert np.abs(states.r - golden.traj["r"]).max() > 1e-2


# ---------------------------------------------------------------- properties (hypothesis)

N = 4  # one unit count keeps jit caches warm across examples
finite = st.floats(-10.0, 10.0, allow_nan=False, width=32)
units = st.lists(finite, min_size=N, max_size=N).map(lambda v: jnp.asarray(v, jnp.float32))


keys = st.integers(0, 2**31 - 1).map(jax.random.key)
# dt as an array: `eqx.filter_jit` treats a Python float as static (one compilation each).
steps = st.floats(0.01, 0.5).map(jnp.float32)


def _state(x):
    return LeakyNoiseCell.State(x=x, r=jnp.maximum(x, 0.0), r_prime=(x >= 0).astype(x.dtype))


@given(leaky_noise_cells(min_sigma=0.05), units, units, steps)
def test_same_key_same_noise_different_key_different_noise(cell, x, j, dt):
    contract.assert_key_determines_noise(cell, _state(x), LeakyNoiseCell.Inputs(j), dt)


@given(leaky_noise_cells(), units, keys, steps)
def test_step_draws_the_documented_samples(cell, j, key, dt):
    """`step` = `step_with_noise` with ε_pre, ε_post from `k_pre, k_post = split(key)`."""
    k_pre, k_post = jax.random.split(key)
    state, inputs = cell.init_state(), LeakyNoiseCell.Inputs(j)
    expected = cell.step_with_noise(
        state, inputs, jax.random.normal(k_pre, (N,)), jax.random.normal(k_post, (N,)), dt
    )
    chex.assert_trees_all_equal(cell.step(state, inputs, key, dt), expected)


def test_pre_and_post_noise_are_independent():
    """Recovers both samples from one Euler step out of x = 0 without input (identity f):
    x⁺ = dt·√(2τσ_pre²)·ε_pre/τ and r = x⁺ + σ_post·ε_post. Over 8000 draws they are standard
    normal and uncorrelated (the reference's reused sample would give correlation 1)."""
    tau, dt, s_pre, s_post = 4.0, 0.5, 0.3, 0.2
    cell = LeakyNoiseCell(N, tau, act_fx="identity", sigma_pre=s_pre, sigma_post=s_post)
    step = jax.jit(
        jax.vmap(lambda k: cell.step(cell.init_state(), cell.Inputs(jnp.zeros(N)), k, dt))
    )
    new = step(jax.random.split(jax.random.key(0), 2000))
    eps_pre = np.ravel(new.x) * tau / (dt * np.sqrt(2 * tau * s_pre**2))
    eps_post = np.ravel(new.r - new.x) / s_post
    for eps in (eps_pre, eps_post):
        assert abs(eps.mean()) < 0.06 and abs(eps.std() - 1.0) < 0.05
    assert abs(np.corrcoef(eps_pre, eps_post)[0, 1]) < 0.06


@given(leaky_noise_cells(), units, steps)
def test_without_noise_key_is_irrelevant(cell, j, dt):
    """σ_pre = σ_post = 0: `key=None` is accepted and gives the result of any key."""
    cell = eqx.tree_at(lambda c: (c.sigma_pre, c.sigma_post), cell, (jnp.zeros(()),) * 2)
    state, inputs = cell.init_state(), LeakyNoiseCell.Inputs(j)
    chex.assert_trees_all_equal(
        cell.step(state, inputs, None, dt), cell.step(state, inputs, jax.random.key(3), dt)
    )


@given(leaky_noise_cells(), steps)
def test_rest_is_a_fixed_point_without_input_or_noise(cell, dt):
    """x = 0 with no input and no noise stays 0; after the first step r = f(0),
    r_prime = f'(0) and the state no longer changes."""
    cell = eqx.tree_at(lambda c: (c.sigma_pre, c.sigma_post), cell, (jnp.zeros(()),) * 2)
    zero = LeakyNoiseCell.Inputs(jnp.zeros(N))
    first = cell.step(cell.init_state(), zero, None, dt)
    np.testing.assert_array_equal(first.x, np.zeros(N))
    f = get_activation(cell.act_fx)
    np.testing.assert_array_equal(first.r, f.fx(jnp.zeros(N)))
    np.testing.assert_array_equal(first.r_prime, f.dfx(jnp.zeros(N)))
    chex.assert_trees_all_equal(cell.step(first, zero, None, dt), first)


@functools.partial(jax.jit, static_argnums=1)
def _noisy_loss(tau_x, integrator):
    """A loss of 20 noisy steps (the key fixes the noise) as a function of τ_x."""
    j = jnp.tile(jnp.linspace(-1.0, 1.0, N), (20, 1))
    cell = LeakyNoiseCell(
        N, tau_x, act_fx="tanh", sigma_pre=0.2, sigma_post=0.1, integration_type=integrator
    )
    final, _ = contract.run_steps(
        cell, cell.init_state(), LeakyNoiseCell.Inputs(j), jax.random.key(7), 0.5
    )
    return jnp.sum(final.x**2) + jnp.sum(final.r)


@given(st.floats(2.0, 30.0), st.sampled_from(["euler", "rk4"]))
def test_gradient_wrt_tau_matches_finite_difference(tau, integrator):
    contract.assert_grad_matches_finite_difference(
        functools.partial(_noisy_loss, integrator=integrator), tau
    )


def test_gradients_are_finite_at_zero_noise():
    """d/dσ_pre and d/dτ_x are finite at σ_pre = 0 (√(2τσ²) has no derivative there)."""

    def loss(tau_x, sigma_pre):
        cell = LeakyNoiseCell(N, tau_x, sigma_pre=sigma_pre)
        new = cell.step(cell.init_state(), cell.Inputs(jnp.ones(N)), jax.random.key(1), 1.0)
        return jnp.sum(new.x)

    grads = jax.grad(loss, argnums=(0, 1))(jnp.float32(5.0), jnp.float32(0.0))
    assert all(np.isfinite(g) for g in grads), grads
    assert grads[1] != 0.0


def test_per_unit_parameters_are_heterogeneous():
    tau = jnp.array([1.0, 2.0, 4.0, 8.0])
    cell = LeakyNoiseCell(N, tau, sigma_pre=0.0, leak_scale=jnp.array([0.0, 1.0, 2.0, 3.0]))
    x0 = jnp.ones(N)
    new = cell.step(_state(x0), LeakyNoiseCell.Inputs(jnp.ones(N)), None, 0.5)
    np.testing.assert_allclose(new.x, 1.0 + 0.5 * (1.0 - jnp.array([0.0, 1, 2, 3])) / tau)


@pytest.mark.parametrize(
    ("integrator", "order"),
    [("euler", 1), ("midpoint", 2), ("rk2", 2), ("heun", 2), ("ralston", 2), ("rk4", 4)],
)
def test_linear_decay_matches_the_runge_kutta_amplification(integrator, order):
    """σ = 0, constant drive j: x_k = x∞ + (x₀ − x∞)·R(−h)^k with x∞ = j/leak, h = dt·leak/τ
    and R the Taylor polynomial of exp to the order of the scheme (every explicit RK
    method of order p ≤ 4 with p stages applies it to a linear ODE)."""
    tau, leak, dt, j, x0, steps = 3.0, 1.5, 0.4, 0.7, 2.0, 25
    cell = LeakyNoiseCell(
        1, tau, sigma_pre=0.0, leak_scale=leak, act_fx="identity", integration_type=integrator
    )
    final, _ = contract.run_steps(
        cell, _state(jnp.array([x0])), cell.Inputs(jnp.full((steps, 1), j)), None, dt
    )
    h = -dt * leak / tau
    amplification = sum(h**i / np.prod(np.arange(1, i + 1)) for i in range(order + 1))
    x_inf = j / leak
    np.testing.assert_allclose(
        final.x, x_inf + (x0 - x_inf) * amplification**steps, rtol=1e-5, atol=1e-6
    )


def test_one_euler_step_scales_the_noise_as_the_reference():
    """x⁺ = x + dt·(−leak·x + j + √(2τσ_pre²)·ε_pre)/τ; r = relu(x⁺) + σ_post·ε_post."""
    tau, leak, s_pre, s_post, dt = 5.0, 0.5, 0.3, 0.2, 0.25
    cell = LeakyNoiseCell(N, tau, sigma_pre=s_pre, sigma_post=s_post, leak_scale=leak)
    x, j = jnp.array([0.5, -0.5, 1.0, 0.0]), jnp.array([1.0, -2.0, 0.0, 0.1])
    e1, e2 = jnp.array([1.0, -1.0, 2.0, 0.5]), jnp.array([-0.3, 0.4, 0.0, 1.0])
    new = cell.step_with_noise(_state(x), cell.Inputs(j), e1, e2, dt)
    expected_x = x + dt * (-leak * x + j + np.sqrt(2 * tau * s_pre**2) * e1) / tau
    np.testing.assert_allclose(new.x, expected_x, rtol=1e-6)
    np.testing.assert_allclose(new.r, np.maximum(expected_x, 0) + s_post * e2, rtol=1e-6)
    np.testing.assert_array_equal(new.r_prime, (expected_x >= 0).astype(np.float32))


def test_defaults():
    """relu, Euler, leak 1, σ_pre = 0.1 (the reference's), σ_post = 0 (the reference's
    docstring; its code says 0.1)."""
    cell = LeakyNoiseCell(N, 1.0)
    assert (cell.act_fx, cell.integration_type) == ("relu", get_integrator("euler"))
    assert (float(cell.sigma_pre), float(cell.sigma_post), float(cell.leak_scale)) == (
        pytest.approx(0.1),
        0.0,
        1.0,
    )


# ---------------------------------------------------------------- bad input


def test_wrong_noise_shape_raises():
    cell = LeakyNoiseCell(3, 1.0)
    with pytest.raises(ValueError, match=r"input `eps_post` must have shape \(3,\)"):
        cell.step_with_noise(cell.init_state(), cell.Inputs(jnp.ones(3)), jnp.ones(3), 0.0, 1.0)


def test_noisy_cell_without_key_raises():
    cell = LeakyNoiseCell(3, 1.0, sigma_pre=0.0, sigma_post=0.1)
    inputs = LeakyNoiseCell.Inputs(jnp.ones(3))
    with pytest.raises(ValueError, match="needs a PRNG key"):
        cell.step(cell.init_state(), inputs, None, 1.0)
    # Inside jit the noise scales are traced: the check fails when the step runs.
    with pytest.raises(Exception, match="needs a PRNG key"):
        eqx.filter_jit(lambda c: c.step(c.init_state(), inputs, None, 1.0))(cell)
