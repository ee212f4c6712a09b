"""Spike surrogates: the exact Heaviside forward pass, each surrogate derivative through
`jax.grad` and `jax.jvp` against closed forms written here, jit/vmap, second order, bad
parameters and the registry."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from dynax.surrogate import (
    SURROGATES,
    AbstractSurrogate,
    ArcTan,
    Boxcar,
    FastSigmoid,
    Sigmoid,
    StraightThrough,
    Triangular,
    get_surrogate,
)


def _logistic(u):
    return 1.0 / (1.0 + np.exp(-u))


# closed forms σ'(x) of each surrogate, written independently of dynax.surrogate
CASES = [
    (StraightThrough(), lambda x: np.ones_like(x)),
    (FastSigmoid(), lambda x: 1.0 / (1.0 + 10.0 * np.abs(x)) ** 2),
    (FastSigmoid(alpha=2.5), lambda x: 1.0 / (1.0 + 2.5 * np.abs(x)) ** 2),
    (Sigmoid(), lambda x: 4.0 * _logistic(4.0 * x) * (1.0 - _logistic(4.0 * x))),
    (Sigmoid(alpha=0.5), lambda x: 0.5 * _logistic(0.5 * x) * (1.0 - _logistic(0.5 * x))),
    (ArcTan(), lambda x: 1.0 / (math.pi * (1.0 + (math.pi * 2.0 / 2.0 * x) ** 2))),
    (ArcTan(alpha=0.2), lambda x: 1.0 / (math.pi * (1.0 + (math.pi * 0.2 / 2.0 * x) ** 2))),
    (Triangular(), lambda x: np.maximum(0.0, 1.0 - 2.0 * np.abs(x))),
    (Triangular(alpha=0.2), lambda x: np.maximum(0.0, 1.0 - np.abs(x) / 5.0)),
    (Boxcar(), lambda x: (np.abs(x) <= 0.5).astype(float)),
    (Boxcar(half_width=5.0), lambda x: (np.abs(x) <= 5.0).astype(float)),
]
IDS = [repr(s) for s, _ in CASES]
# avoids the points where a piecewise surrogate switches (|x| = 0.5 for Triangular(2) and
# Boxcar(0.5), 5 for the wide ones); includes 0 and values on both sides
X = np.asarray([-7.0, -4.9, -1.3, -0.45, -0.2, -1e-3, 0.0, 1e-3, 0.1, 0.3, 0.49, 0.8, 2.0, 5.5])


@pytest.mark.parametrize("surrogate, closed_form", CASES, ids=IDS)
def test_forward_is_the_exact_step(surrogate, closed_form):
    x = jnp.asarray([-2.0, -1e-7, 0.0, 1e-7, 3.0, -0.0])
    s = surrogate(x)
    np.testing.assert_array_equal(s, [0.0, 0.0, 0.0, 1.0, 1.0, 0.0])  # 0 at exactly 0
    assert s.dtype == jnp.float32
    assert surrogate(x.astype(jnp.float16)).dtype == jnp.float16
    assert surrogate(jnp.asarray([1, 0, -1])).dtype == jnp.float32  # ints become floats
    np.testing.assert_array_equal(surrogate(2), 1.0)  # Python scalars work


@pytest.mark.parametrize("surrogate, closed_form", CASES, ids=IDS)
def test_grad_and_jvp_give_the_surrogate_derivative(surrogate, closed_form):
    x = jnp.asarray(X, jnp.float32)
    want = closed_form(X)
    np.testing.assert_allclose(surrogate.derivative(x), want, rtol=1e-5, atol=1e-7)
    grads = jax.jit(jax.vmap(jax.grad(surrogate)))(x)
    np.testing.assert_allclose(grads, want, rtol=1e-5, atol=1e-7)
    primal, tangent = jax.jit(lambda x, t: jax.jvp(surrogate, (x,), (t,)))(x, jnp.full_like(x, 3.0))
    np.testing.assert_array_equal(primal, (X > 0).astype(np.float32))
    np.testing.assert_allclose(tangent, 3.0 * want, rtol=1e-5, atol=1e-6)
    # reverse mode on a whole array: the vjp is the derivative times the cotangent
    _, vjp = jax.vjp(surrogate, x)  # eager
    np.testing.assert_allclose(vjp(jnp.full_like(x, -2.0))[0], -2.0 * want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("surrogate, closed_form", CASES, ids=IDS)
def test_gradient_through_v_minus_threshold(surrogate, closed_form):
    """The use in a cell: s = surrogate(v − thr); d s/d thr = −σ'(v − thr)."""
    v, thr = jnp.asarray(X, jnp.float32), jnp.float32(0.3)
    d_thr = jax.jit(jax.grad(lambda t: jnp.sum(surrogate(v - t))))(thr)
    np.testing.assert_allclose(d_thr, -closed_form(X - 0.3).sum(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("surrogate, closed_form", CASES, ids=IDS)
def test_jit_and_vmap(surrogate, closed_form):
    x = jnp.asarray(X, jnp.float32).reshape(2, 7)
    np.testing.assert_array_equal(jax.jit(surrogate)(x), (X.reshape(2, 7) > 0))
    per_row = jax.jit(jax.vmap(jax.grad(lambda v: jnp.sum(surrogate(v)))))(x)
    np.testing.assert_allclose(per_row, closed_form(X).reshape(2, 7), rtol=1e-5, atol=1e-7)
    # the module itself can be a (static) argument of a jitted function
    fn = jax.jit(lambda s, v: jax.grad(lambda w: jnp.sum(s(w)))(v), static_argnums=0)
    np.testing.assert_allclose(fn(surrogate, x), closed_form(X).reshape(2, 7), rtol=1e-5, atol=1e-7)


def _second(surrogate):
    return jax.jit(jax.vmap(jax.grad(jax.grad(surrogate))))


def test_second_order_of_smooth_surrogates():
    """d²/dx² of the spike is the derivative of the surrogate derivative (its closed form)."""
    x = jnp.asarray([-1.3, -0.2, 0.1, 0.7, 2.0])
    xn = np.asarray(x, np.float64)
    l4 = _logistic(4.0 * xn)
    np.testing.assert_allclose(
        _second(Sigmoid())(x), 16.0 * l4 * (1 - l4) * (1 - 2 * l4), rtol=1e-4, atol=1e-6
    )
    u = math.pi * xn  # ArcTan(α = 2): u = π·α/2·x
    np.testing.assert_allclose(
        _second(ArcTan())(x), -2.0 * u * math.pi / (math.pi * (1 + u**2) ** 2), rtol=1e-4
    )
    np.testing.assert_allclose(
        _second(FastSigmoid())(x),
        -2.0 * 10.0 * np.sign(xn) / (1.0 + 10.0 * np.abs(xn)) ** 3,
        rtol=1e-4,
    )
    np.testing.assert_allclose(
        _second(Triangular())(x), np.where(np.abs(xn) < 0.5, -2.0 * np.sign(xn), 0.0)
    )
    for flat in (StraightThrough(), Boxcar()):
        np.testing.assert_array_equal(_second(flat)(x), np.zeros(5))
    # a Hessian and jvp-of-grad work too
    hess = jax.jit(jax.hessian(lambda v: jnp.sum(Sigmoid()(v))))(x)
    np.testing.assert_allclose(jnp.diag(hess), _second(Sigmoid())(x), rtol=1e-5)
    _, tangent = jax.jit(lambda v: jax.jvp(jax.grad(lambda w: jnp.sum(ArcTan()(w))), (v,), (v,)))(x)
    tangent = tangent / x
    np.testing.assert_allclose(tangent, _second(ArcTan())(x), rtol=1e-5)


def test_gradients_are_finite_far_from_threshold():
    x = jnp.asarray([-1e30, -1e4, 1e4, 1e30])
    for surrogate, _ in CASES:
        g = jax.jit(jax.vmap(jax.grad(surrogate)))(x)
        assert bool(jnp.all(jnp.isfinite(g))), surrogate


# ---------------------------------------------------------------- parameters and registry

BAD_SCALES = [0.0, -1.0, float("nan"), float("inf"), True, "2", None, [2.0], jnp.asarray(2.0)]


@pytest.mark.filterwarnings("ignore:A JAX array is being set as static")
@pytest.mark.parametrize("cls", [FastSigmoid, Sigmoid, ArcTan, Triangular])
@pytest.mark.parametrize("value", BAD_SCALES, ids=repr)
def test_bad_alpha_raises(cls, value):
    with pytest.raises(ValueError, match="alpha"):
        cls(alpha=value)


@pytest.mark.filterwarnings("ignore:A JAX array is being set as static")
@pytest.mark.parametrize("value", BAD_SCALES, ids=repr)
def test_bad_half_width_raises(value):
    with pytest.raises(ValueError, match="half_width"):
        Boxcar(half_width=value)


def test_good_scales_are_stored_as_python_floats():
    assert type(FastSigmoid(alpha=3).alpha) is float and FastSigmoid(alpha=3).alpha == 3.0
    boxcar = Boxcar(half_width=np.float64(0.25))
    assert type(boxcar.half_width) is float and boxcar.half_width == 0.25
    assert ArcTan(alpha=np.float32(0.5)) == ArcTan(alpha=0.5)  # hashable, compares by value
    assert hash(ArcTan(alpha=np.float32(0.5))) == hash(ArcTan(alpha=0.5))


def test_defaults():
    """The reference's builder defaults: arctan α = 2, triangular α = 2."""
    assert ArcTan().alpha == 2.0 and Triangular().alpha == 2.0


REGISTRY = {
    "straight_through": StraightThrough,
    "fast_sigmoid": FastSigmoid,
    "super_spike": FastSigmoid,
    "sigmoid": Sigmoid,
    "arctan": ArcTan,
    "triangular": Triangular,
    "boxcar": Boxcar,
}


@pytest.mark.parametrize("name", REGISTRY)
def test_get_surrogate(name):
    surrogate = get_surrogate(name)
    assert type(surrogate) is REGISTRY[name]
    assert isinstance(surrogate, AbstractSurrogate)
    assert surrogate == REGISTRY[name]()  # default parameters


def test_registry_is_complete():
    assert set(SURROGATES) == set(REGISTRY)


@pytest.mark.parametrize("bad", ["secant_lif", "ArcTan", "", None, 1])
def test_unknown_surrogate_raises(bad):
    with pytest.raises(ValueError, match="Unknown surrogate") as info:
        get_surrogate(bad)
    assert "'arctan'" in str(info.value)
