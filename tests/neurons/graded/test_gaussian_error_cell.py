"""GaussianErrorCell: golden parity with ngclearn, its pinned defects, derivatives against
autodiff and the Gaussian log-density, properties, bad input (the contract:
`tests/test_contract.py`)."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from jax.scipy.stats import norm
from support import contract
from support.golden import constructor_kwargs, golden_names, load_golden
from support.replay import golden_inputs, scan_batch, unit_param

from dynax.neurons.graded.gaussian_error_cell import GaussianErrorCell

TOL = {"rtol": 1e-5, "atol": 1e-6}


def _cell_from_golden(golden):
    kwargs = constructor_kwargs(golden, {"batch_size": None})
    if "sigma" in kwargs:
        kwargs["sigma"] = unit_param(kwargs["sigma"])
    return GaussianErrorCell(**kwargs)


@pytest.mark.parametrize("name", golden_names("GaussianErrorCell"))
def test_matches_reference(name):
    golden = load_golden(name)
    cell = _cell_from_golden(golden)
    states = scan_batch(cell, golden_inputs(golden))
    np.testing.assert_allclose(states.dmu, golden.traj["dmu"], **TOL)
    np.testing.assert_allclose(states.dtarget, golden.traj["dtarget"], **TOL)
    if golden.traj["L"].ndim == 1:
        # The reference's L ignores the mask and sums over the batch; dynax's L is per sample
        # and counts only observed units, so the comparison is with no mask (all observed).
        unmasked = scan_batch(cell, golden_inputs(golden, with_mask=False))
        np.testing.assert_allclose(unmasked.L.sum(axis=1), golden.traj["L"], **TOL)
    else:
        # Defect 5: a vector Σ makes the reference's L a vector (test_reference_vector_L).
        assert golden.traj["L"].shape == (golden.num_steps, cell.n_units)


@pytest.mark.parametrize("name", golden_names("GaussianErrorCell"))
def test_reference_dsigma_is_ones_dynax_gives_the_derivative(name):
    """The reference outputs dSigma = 1 ("no derivative"); dynax's dSigma is the derivative of
    the observed units' Gaussian log-density w.r.t. the variance, here computed by autodiff of
    `jax.scipy.stats.norm.logpdf` from the recorded inputs (summed over units for a shared Σ),
    weighted by the modulator."""
    golden = load_golden(name)
    np.testing.assert_array_equal(golden.traj["dSigma"], 1.0)
    cell = _cell_from_golden(golden)
    states = scan_batch(cell, golden_inputs(golden))
    ones = np.ones_like(golden.inputs["mu"])
    mod = golden.inputs.get("modulator", ones)
    mask = golden.inputs.get("mask", ones)

    def logdensity(sigma, mu, target, weight):
        sigma = jnp.broadcast_to(sigma, mu.shape)
        return jnp.sum(weight * norm.logpdf(target, mu, jnp.sqrt(sigma)))

    expected = jax.vmap(jax.vmap(jax.grad(logdensity), (None, 0, 0, 0)), (None, 0, 0, 0))(
        cell.sigma, golden.inputs["mu"], golden.inputs["target"], mod * mask
    )
    np.testing.assert_allclose(states.dSigma, expected, rtol=1e-4, atol=1e-5)
    assert states.dSigma.shape[2:] == np.shape(cell.sigma)


def test_reference_L_ignores_the_mask():
    """Defect 5: the reference's L counts masked units; dynax's counts observed units only.
    Both are recomputed here from the recorded inputs."""
    golden = load_golden("GaussianErrorCell_sigma_mod_mask")
    sigma = float(golden.params["sigma"])
    e2 = (golden.inputs["target"] - golden.inputs["mu"]) ** 2
    mask = golden.inputs["mask"]
    assert (mask == 0).any()
    np.testing.assert_allclose(golden.traj["L"], -0.5 * e2.sum(axis=(1, 2)) / sigma, rtol=1e-5)
    states = scan_batch(_cell_from_golden(golden), golden_inputs(golden))
    np.testing.assert_allclose(states.L, -0.5 * (mask * e2).sum(axis=2) / sigma, **TOL)
    assert np.abs(states.L.sum(axis=1) - golden.traj["L"]).max() > 1e-2


def test_reference_vector_L():
    """Defect 5: with a per-unit Σ the reference's L is a vector, `L_j = −½ Σ_all e² / Σ_j`:
    entry j is the loss under the *shared* variance Σ_j (dynax's scalar-Σ cell reproduces it).
    dynax's per-unit L is a scalar per sample, `−½ Σ_i e_i² / Σ_i`, recomputed here."""
    golden = load_golden("GaussianErrorCell_sigma_vector")
    sigmas = unit_param(golden.params["sigma"])
    for j, sigma_j in enumerate(sigmas):
        shared = scan_batch(GaussianErrorCell(5, sigma_j), golden_inputs(golden))
        np.testing.assert_allclose(shared.L.sum(axis=1), golden.traj["L"][:, j], **TOL)
    states = scan_batch(_cell_from_golden(golden), golden_inputs(golden))
    assert states.L.shape == (golden.num_steps, golden.batch_size)
    e2 = (golden.inputs["target"] - golden.inputs["mu"]) ** 2
    np.testing.assert_allclose(states.L, -0.5 * (e2 / sigmas).sum(axis=2), **TOL)
    assert not np.allclose(states.L.sum(axis=1), golden.traj["L"].sum(axis=1), rtol=1e-2)


# ---------------------------------------------------------------- properties (hypothesis)

N = 4  # one unit count keeps jit caches warm across examples
finite = st.floats(-10.0, 10.0, allow_nan=False, width=32)
units = st.lists(finite, min_size=N, max_size=N).map(lambda v: jnp.asarray(v, jnp.float32))
positive_units = st.lists(st.floats(0.0625, 5.0, width=32), min_size=N, max_size=N).map(
    lambda v: jnp.asarray(v, jnp.float32)
)
masks = st.lists(st.sampled_from([0.0, 1.0]), min_size=N, max_size=N).map(
    lambda v: jnp.asarray(v, jnp.float32)
)
sigmas = st.one_of(st.floats(0.05, 5.0).map(lambda s: jnp.asarray(s, jnp.float32)), positive_units)


@st.composite
def inputs(draw, with_modulator=True):
    modulator = draw(st.one_of(st.none(), positive_units)) if with_modulator else None
    mask = draw(st.one_of(st.none(), masks))
    return GaussianErrorCell.Inputs(draw(units), draw(units), modulator, mask)


@given(sigmas, inputs(with_modulator=False))
def test_derivatives_are_gradients_of_L(sigma, x):
    """With modulator = 1, dmu = ∂L/∂mu and dtarget = ∂L/∂target (any mask: L counts
    observed units only)."""
    cell = GaussianErrorCell(N, sigma)
    out = cell.step(cell.init_state(), x, None, 1.0)

    def loss(mu, target):
        return cell.step(
            cell.init_state(), eqx.tree_at(lambda i: (i.mu, i.target), x, (mu, target)), None, 1.0
        ).L

    g_mu, g_target = jax.grad(loss, argnums=(0, 1))(x.mu, x.target)
    np.testing.assert_allclose(out.dmu, g_mu, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(out.dtarget, g_target, rtol=1e-5, atol=1e-5)


@given(sigmas, inputs())
def test_outputs_match_the_gaussian_log_density(sigma, x):
    """Oracle: `jax.scipy.stats.norm.logpdf` with variance Σ. L is the observed units' log-density
    plus ½ Σ log(2πΣ); the modulator weights the derivatives unit by unit; dSigma is the
    derivative of the log-density."""
    cell = GaussianErrorCell(N, sigma)
    out = cell.step(cell.init_state(), x, None, 1.0)
    mask = jnp.ones(N) if x.mask is None else x.mask
    mod = jnp.ones(N) if x.modulator is None else x.modulator

    def logdensity(mu, target, s, weight):
        s = jnp.broadcast_to(s, (N,))
        return jnp.sum(weight * norm.logpdf(target, mu, jnp.sqrt(s)))

    full = logdensity(x.mu, x.target, sigma, mask)
    normaliser = -0.5 * jnp.sum(mask * jnp.log(2 * jnp.pi * jnp.broadcast_to(sigma, (N,))))
    np.testing.assert_allclose(out.L, full - normaliser, rtol=1e-4, atol=1e-4)
    g_mu, g_target, g_sigma = jax.grad(logdensity, argnums=(0, 1, 2))(
        x.mu, x.target, sigma, mod * mask
    )
    np.testing.assert_allclose(out.dmu, g_mu, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(out.dtarget, g_target, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(out.dSigma, g_sigma, rtol=1e-4, atol=1e-4)


@given(sigmas, units)
def test_no_error_at_the_target(sigma, mu):
    """mu = target: zero error, zero derivatives w.r.t. mu and target, L = 0."""
    cell = GaussianErrorCell(N, sigma)
    out = cell.step(cell.init_state(), GaussianErrorCell.Inputs(mu, mu), None, 1.0)
    np.testing.assert_array_equal(out.dmu, 0.0)
    np.testing.assert_array_equal(out.dtarget, 0.0)
    assert float(out.L) == 0.0


@given(units, positive_units, masks)
def test_dsigma_vanishes_at_the_maximum_likelihood_variance(mu, size, sign):
    """Ascending dSigma drives Σ to e² (per unit): there dSigma = 0, below it dSigma > 0."""
    e = size * (2.0 * sign - 1.0)
    x = GaussianErrorCell.Inputs(mu, mu + e)
    e2 = (x.target - x.mu) ** 2
    at_ml = GaussianErrorCell(N, e2).step(_rest(), x, None, 1.0)
    np.testing.assert_allclose(at_ml.dSigma * e2, 0.0, atol=1e-5)
    below = GaussianErrorCell(N, 0.5 * e2).step(_rest(), x, None, 1.0)
    assert (below.dSigma > 0).all()


def _rest():
    return GaussianErrorCell(N).init_state()


@given(st.floats(0.2, 5.0))
def test_gradient_wrt_sigma_matches_finite_difference(sigma):
    mu, target = jnp.linspace(-1.0, 1.0, N), jnp.linspace(0.5, -0.5, N)
    x = GaussianErrorCell.Inputs(mu, target, modulator=jnp.full(N, 0.7))

    def loss(s):
        out = GaussianErrorCell(N, s).step(_rest(), x, None, 1.0)
        return out.L + jnp.sum(out.dmu**2) + out.dSigma

    contract.assert_grad_matches_finite_difference(loss, sigma)


def test_per_unit_sigma_is_heterogeneous():
    sigma = jnp.array([0.5, 1.0, 2.0, 4.0])
    out = GaussianErrorCell(N, sigma).step(
        _rest(), GaussianErrorCell.Inputs(jnp.zeros(N), jnp.ones(N)), None, 1.0
    )
    np.testing.assert_allclose(out.dmu, 1.0 / sigma)
    np.testing.assert_allclose(out.L, -0.5 * np.sum(1.0 / np.asarray(sigma)), rtol=1e-6)
    assert out.dSigma.shape == (N,)


def test_filter_grad_reaches_sigma():
    cell = GaussianErrorCell(N, jnp.ones(N))
    x = GaussianErrorCell.Inputs(jnp.zeros(N), jnp.arange(N, dtype=jnp.float32))
    grads = eqx.filter_grad(lambda c: c.step(_rest(), x, None, 1.0).L)(cell)
    np.testing.assert_allclose(grads.sigma, 0.5 * np.arange(N) ** 2)
