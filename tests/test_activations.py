"""Activations: every derivative against autodiff, the reference's table (spec §2.2) by exact
values written here, the straight-through ones, softmax's Jacobian, and the registry."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from dynax.activations import ACTIVATIONS, get_activation
from dynax.neurons.graded.rate_cell import RateCell

SMOOTH = ["identity", "tanh", "sigmoid", "silu", "gelu", "telu", "softplus", "sine"]
KINKED = {"relu": [0.0], "lrelu": [0.0], "relu6": [0.0, 6.0], "elu": [0.0]}
STRAIGHT_THROUGH = ["unit_threshold", "heaviside"]
ALL_NAMES = [*SMOOTH, *KINKED, *STRAIGHT_THROUGH, "softmax", "bkwta"]

# random points plus both sides of every kink; one shape for all names (compiles are reused)
X = jnp.concatenate(
    [
        np.random.default_rng(0).uniform(-8.0, 8.0, 250).astype(np.float32),
        jnp.asarray([7.5, -7.5, 6.5, 3.0, -0.5, 5.9, 6.1, 0.05, -0.05, 1e-3]),
    ]
)


def _away_from(x, kinks, margin=1e-2):
    """`x` with every point within `margin` of a kink moved `2·margin` to its right."""
    for kink in kinks:
        x = jnp.where(jnp.abs(x - kink) <= margin, x + 2 * margin, x)
    return x


def _autodiff(fx, x):
    """Elementwise derivative by autodiff: vmap of grad over the entries (jitted: one compile
    costs less than op-by-op dispatch of the transformed graph)."""
    return jax.jit(jax.vmap(jax.grad(fx)))(x)


def test_every_name_is_covered():
    assert set(ACTIVATIONS) == set(ALL_NAMES)


@pytest.mark.parametrize("name", [*SMOOTH, *KINKED])
def test_derivative_equals_autodiff(name):
    act = get_activation(name)
    assert act.elementwise
    x = _away_from(X, KINKED.get(name, []))
    np.testing.assert_allclose(act.dfx(x), _autodiff(act.fx, x), rtol=2e-5, atol=2e-5)
    # and the same through jit, on a 2-D input (elementwise = any shape)
    x2 = x.reshape(2, -1)
    np.testing.assert_allclose(jax.jit(act.dfx)(x2), act.dfx(x2), rtol=1e-6, atol=1e-6)
    assert act.dfx(x2).shape == x2.shape


@pytest.mark.parametrize("name", STRAIGHT_THROUGH)
def test_straight_through_gradient_is_the_declared_derivative(name):
    act = get_activation(name)
    x = jnp.asarray([-3.0, -0.5, 0.0, 0.5, 1.0, 1.5, 4.0])
    np.testing.assert_array_equal(act.dfx(x), np.ones(7, np.float32))
    np.testing.assert_array_equal(_autodiff(act.fx, x), act.dfx(x))
    # forward mode agrees
    _, tangent = jax.jit(lambda x, t: jax.jvp(act.fx, (x,), (t,)))(x, jnp.full(7, 2.0))
    np.testing.assert_array_equal(tangent, 2.0 * act.dfx(x))


def test_bkwta_gradient_passes_through_the_winners():
    act = get_activation("bkwta")
    x = jnp.asarray([0.3, -1.0, 2.0, 0.9, 0.1, -0.2, 1.5, 0.0])
    winners = np.asarray([1, 0, 1, 1, 1, 0, 1, 0], np.float32)  # the 5 largest
    np.testing.assert_array_equal(act.fx(x), winners)
    np.testing.assert_array_equal(act.dfx(x), winners)  # the reference's proxy: fx itself
    np.testing.assert_array_equal(jax.jit(jax.jacobian(act.fx))(x), np.diag(winners))
    _, tangent = jax.jit(lambda x, t: jax.jvp(act.fx, (x,), (t,)))(x, jnp.ones(8))
    np.testing.assert_array_equal(tangent, winners)


def test_bkwta_keeps_ties_and_works_per_row():
    act = get_activation("bkwta")
    ties = jnp.asarray([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0])
    np.testing.assert_array_equal(act.fx(ties), [1, 1, 1, 1, 1, 1, 0, 0])  # ≥ the 5th value
    rows = jnp.asarray([[5.0, 4, 3, 2, 1, 0], [0.0, 1, 2, 3, 4, 5]])
    np.testing.assert_array_equal(act.fx(rows), [[1, 1, 1, 1, 1, 0], [0, 1, 1, 1, 1, 1]])
    np.testing.assert_array_equal(act.fx(jnp.asarray([3.0, -1.0])), [1, 1])  # fewer than 5


def test_softmax_and_its_jacobian():
    act = get_activation("softmax")
    assert not act.elementwise
    rng = np.random.default_rng(1)
    x = jnp.asarray(rng.normal(0.0, 3.0, 6), jnp.float32)
    e = np.exp(np.asarray(x, np.float64) - np.max(np.asarray(x)))
    s = e / e.sum()
    np.testing.assert_allclose(act.fx(x), s, rtol=1e-6)
    np.testing.assert_allclose(act.dfx(x), jax.jit(jax.jacobian(act.fx))(x), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(act.dfx(x), np.diag(s) - np.outer(s, s), rtol=1e-5, atol=1e-7)
    # a batch of rows gives one Jacobian per row, (B, D, D)
    rows = jnp.asarray(rng.normal(0.0, 3.0, (3, 6)), jnp.float32)
    np.testing.assert_allclose(
        act.dfx(rows), jax.jit(jax.vmap(jax.jacobian(act.fx)))(rows), rtol=1e-5, atol=1e-7
    )
    np.testing.assert_allclose(act.fx(rows).sum(axis=-1), np.ones(3), rtol=1e-6)
    # large logits do not overflow (max-subtracted)
    big = jnp.asarray([1000.0, 999.0, -1000.0, 0.0, 5.0, 1000.0])
    assert bool(jnp.all(jnp.isfinite(act.fx(big)))) and bool(jnp.all(jnp.isfinite(act.dfx(big))))


# ---------------------------------------------------------------- the reference's table


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


POINTS = np.asarray([-3.0, -1.0, -0.2, 0.3, 1.0, 2.5], np.float64)
TABLE = {
    "identity": (lambda x: x, lambda x: np.ones_like(x)),
    "tanh": (np.tanh, lambda x: 1 - np.tanh(x) ** 2),
    "sigmoid": (_sigmoid, lambda x: _sigmoid(x) * (1 - _sigmoid(x))),
    "relu": (lambda x: np.maximum(x, 0), lambda x: (x >= 0).astype(float)),
    "lrelu": (lambda x: np.where(x >= 0, x, 0.01 * x), lambda x: np.where(x >= 0, 1.0, 0.01)),
    "relu6": (lambda x: np.clip(x, 0, 6), lambda x: ((x >= 0) & (x <= 6)).astype(float)),
    "elu": (lambda x: np.where(x >= 0, x, np.exp(x) - 1), lambda x: np.where(x >= 0, 1, np.exp(x))),
    "silu": (
        lambda x: x * _sigmoid(x),
        lambda x: _sigmoid(x) + x * _sigmoid(x) * (1 - _sigmoid(x)),
    ),
    "gelu": (
        lambda x: x * _sigmoid(1.702 * x),
        lambda x: _sigmoid(1.702 * x) + 1.702 * x * _sigmoid(1.702 * x) * (1 - _sigmoid(1.702 * x)),
    ),
    "telu": (
        lambda x: x * np.tanh(np.exp(x)),
        lambda x: np.tanh(np.exp(x)) + x * np.exp(x) * (1 - np.tanh(np.exp(x)) ** 2),
    ),
    "softplus": (lambda x: np.log1p(np.exp(x)), _sigmoid),
    "sine": (lambda x: np.sin(30 * x), lambda x: 30 * np.cos(30 * x)),
    "unit_threshold": (lambda x: (x >= 1).astype(float), lambda x: np.ones_like(x)),
    "heaviside": (lambda x: (x >= 0).astype(float), lambda x: np.ones_like(x)),
}


@pytest.mark.parametrize("name", TABLE)
def test_values_of_the_reference_table(name):
    fx, dfx = TABLE[name]
    act = get_activation(name)
    x = jnp.asarray(POINTS, jnp.float32)
    np.testing.assert_allclose(act.fx(x), fx(POINTS), rtol=2e-5, atol=2e-5)
    np.testing.assert_allclose(act.dfx(x), dfx(POINTS), rtol=2e-5, atol=2e-5)


def test_derivatives_at_the_kinks_are_the_references():
    zero_six = jnp.asarray([0.0, 6.0])
    np.testing.assert_array_equal(get_activation("relu").dfx(zero_six), [1.0, 1.0])
    np.testing.assert_array_equal(get_activation("lrelu").dfx(jnp.asarray([0.0])), [1.0])
    np.testing.assert_array_equal(get_activation("relu6").dfx(zero_six), [1.0, 1.0])
    np.testing.assert_array_equal(get_activation("relu6").dfx(jnp.asarray([6.01])), [0.0])
    np.testing.assert_array_equal(get_activation("elu").dfx(jnp.asarray([0.0])), [1.0])
    np.testing.assert_array_equal(
        get_activation("lrelu").fx(jnp.asarray([-2.0])), [np.float32(-2.0) * np.float32(0.01)]
    )
    # thresholds: heaviside is 1 at 0, unit_threshold switches at 1
    np.testing.assert_array_equal(get_activation("heaviside").fx(jnp.asarray([0.0, -1e-6])), [1, 0])
    np.testing.assert_array_equal(
        get_activation("unit_threshold").fx(jnp.asarray([0.999, 1.0])), [0.0, 1.0]
    )


def test_sine_ignores_any_omega_it_is_fixed_at_30():
    x = jnp.asarray([0.01, 0.1])
    np.testing.assert_allclose(get_activation("sine").fx(x), np.sin([0.3, 3.0]), rtol=1e-6)


@pytest.mark.parametrize("name", [n for n in ALL_NAMES if n not in ("softmax", "bkwta")])
def test_float_dtypes_are_kept(name):
    act = get_activation(name)
    for dtype in (jnp.float32, jnp.float16, jnp.bfloat16):
        x = jax.ShapeDtypeStruct((3,), dtype)  # dtypes are decided while tracing
        assert jax.eval_shape(act.fx, x).dtype == dtype, "fx"
        assert jax.eval_shape(act.dfx, x).dtype == dtype, "dfx"


# ---------------------------------------------------------------- registry


def test_names_containing_heaviside_mean_heaviside():
    for name in ("heaviside", "my_heaviside", "heaviside_step"):
        assert get_activation(name) is get_activation("heaviside")


@pytest.mark.parametrize("bad", ["cauchy_threshold", "ReLU", "", None, 3])
def test_unknown_name_lists_the_known_ones(bad):
    with pytest.raises(ValueError, match="Unknown activation") as info:
        get_activation(bad)
    assert "'tanh'" in str(info.value) and "'bkwta'" in str(info.value)


def test_an_unknown_activation_names_the_owner_and_argument():
    RateCell(4, 1.0, act_fx="tanh")
    with pytest.raises(ValueError, match=r"RateCell: `act_fx`.*'swish'"):
        RateCell(4, 1.0, act_fx="swish")
