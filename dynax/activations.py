"""Activation functions by name, each with its derivative, as in ngclearn's `create_function`.

`get_activation(name)` returns an `Activation(fx, dfx, elementwise)`. For an elementwise
activation `dfx(x)` is the derivative at every entry; `softmax` is not elementwise and its `dfx`
is the Jacobian `diag(s) − s sᵀ` over the last axis.

Where a function is differentiable, `dfx` equals `jax.grad` of `fx`. The step-like activations
(`unit_threshold`, `heaviside`, `bkwta`) use a straight-through derivative, as the reference
does; their `fx` carries that derivative as a custom JVP, so `jax.grad` agrees with `dfx`
through them too.
"""

import dataclasses
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike

from ._fields import Declaration, declared

_GELU_SCALE = 1.702  # the swish approximation of GELU used by the reference
_SINE_OMEGA = 30.0  # SIREN's ω₀, fixed in the reference
_BKWTA_K = 5  # the reference's k for binary top-k


class Activation(NamedTuple):
    """An activation and its derivative."""

    fx: Callable[[ArrayLike], Array]
    dfx: Callable[[ArrayLike], Array]
    elementwise: bool = True


def _with_proxy_derivative(
    forward: Callable[[Array], Array], proxy: Callable[[Array], Array]
) -> Callable[[ArrayLike], Array]:
    """`forward` in the forward pass and `proxy(x)` as its derivative in the backward pass."""

    @jax.custom_jvp
    def fx(x):
        return forward(jnp.asarray(x))

    @fx.defjvp
    def _jvp(primals, tangents):
        (x,), (dx,) = primals, tangents
        return fx(x), proxy(x) * dx

    return fx


def _ones_like(x: ArrayLike) -> Array:
    return jnp.ones_like(jnp.asarray(x, dtype=jnp.result_type(x, float)))


def _sigmoid_derivative(x: ArrayLike) -> Array:
    s = jax.nn.sigmoid(x)
    return s * (1.0 - s)


def _identity(x: ArrayLike) -> Array:
    return jnp.asarray(x)


def _relu(x: ArrayLike) -> Array:
    return jnp.maximum(x, 0.0)


def _relu_derivative(x: ArrayLike) -> Array:
    # The reference takes the derivative at 0 to be 1; there the function has no derivative.
    return jnp.where(jnp.asarray(x) >= 0.0, 1.0, 0.0).astype(jnp.result_type(x, float))


def _lrelu(x: ArrayLike) -> Array:
    return jax.nn.leaky_relu(x, 0.01)


def _lrelu_derivative(x: ArrayLike) -> Array:
    return jnp.where(jnp.asarray(x) >= 0.0, 1.0, 0.01).astype(jnp.result_type(x, float))


def _relu6(x: ArrayLike) -> Array:
    return jnp.clip(x, 0.0, 6.0)


def _relu6_derivative(x: ArrayLike) -> Array:
    x = jnp.asarray(x)
    return ((x >= 0.0) & (x <= 6.0)).astype(jnp.result_type(x, float))


def _elu(x: ArrayLike) -> Array:
    x = jnp.asarray(x)
    return jnp.where(x >= 0.0, x, jnp.expm1(jnp.minimum(x, 0.0)))


def _elu_derivative(x: ArrayLike) -> Array:
    x = jnp.asarray(x)
    return jnp.where(x >= 0.0, 1.0, jnp.exp(jnp.minimum(x, 0.0))).astype(jnp.result_type(x, float))


def _silu(x: ArrayLike) -> Array:
    return x * jax.nn.sigmoid(x)


def _silu_derivative(x: ArrayLike) -> Array:
    return jax.nn.sigmoid(x) + x * _sigmoid_derivative(x)


def _gelu(x: ArrayLike) -> Array:
    return x * jax.nn.sigmoid(_GELU_SCALE * x)


def _gelu_derivative(x: ArrayLike) -> Array:
    u = _GELU_SCALE * jnp.asarray(x)
    return jax.nn.sigmoid(u) + u * _sigmoid_derivative(u)


def _telu(x: ArrayLike) -> Array:
    return x * jnp.tanh(jnp.exp(x))


def _telu_derivative(x: ArrayLike) -> Array:
    e = jnp.exp(x)
    t = jnp.tanh(e)
    return t + x * e * (1.0 - t * t)


def _tanh_derivative(x: ArrayLike) -> Array:
    t = jnp.tanh(x)
    return 1.0 - t * t


def _sine(x: ArrayLike) -> Array:
    return jnp.sin(_SINE_OMEGA * jnp.asarray(x))


def _sine_derivative(x: ArrayLike) -> Array:
    return _SINE_OMEGA * jnp.cos(_SINE_OMEGA * jnp.asarray(x))


def _softmax(x: ArrayLike) -> Array:
    return jax.nn.softmax(x, axis=-1)


def _softmax_jacobian(x: ArrayLike) -> Array:
    s = jax.nn.softmax(x, axis=-1)
    return jnp.einsum("...i,ij->...ij", s, jnp.eye(s.shape[-1], dtype=s.dtype)) - (
        s[..., :, None] * s[..., None, :]
    )


def _unit_threshold(x: Array) -> Array:
    return (x >= 1.0).astype(jnp.result_type(x, float))


def _heaviside(x: Array) -> Array:
    return (x >= 0.0).astype(jnp.result_type(x, float))


def _bkwta(x: Array) -> Array:
    # Binary top-k over the last axis; ties with the k-th largest value are kept.
    k = min(_BKWTA_K, x.shape[-1])
    kth = jax.lax.top_k(x, k)[0][..., -1:]
    return (x >= kth).astype(jnp.result_type(x, float))


_unit_threshold_st = _with_proxy_derivative(_unit_threshold, _ones_like)
_heaviside_st = _with_proxy_derivative(_heaviside, _ones_like)
_bkwta_gated = _with_proxy_derivative(_bkwta, _bkwta)

ACTIVATIONS: dict[str, Activation] = {
    "identity": Activation(_identity, _ones_like),
    "tanh": Activation(jnp.tanh, _tanh_derivative),
    "sigmoid": Activation(jax.nn.sigmoid, _sigmoid_derivative),
    "relu": Activation(_relu, _relu_derivative),
    "lrelu": Activation(_lrelu, _lrelu_derivative),
    "relu6": Activation(_relu6, _relu6_derivative),
    "elu": Activation(_elu, _elu_derivative),
    "silu": Activation(_silu, _silu_derivative),
    "gelu": Activation(_gelu, _gelu_derivative),
    "telu": Activation(_telu, _telu_derivative),
    "softplus": Activation(jax.nn.softplus, jax.nn.sigmoid),
    "sine": Activation(_sine, _sine_derivative),
    "softmax": Activation(_softmax, _softmax_jacobian, elementwise=False),
    "unit_threshold": Activation(_unit_threshold_st, _ones_like),
    "heaviside": Activation(_heaviside_st, _ones_like),
    "bkwta": Activation(_bkwta_gated, _bkwta),
}
"""Every activation by name. As in the reference, `bkwta`'s derivative is its own output (the
gradient passes through the winners only)."""


def get_activation(name: str) -> Activation:
    """The activation called `name`; names containing "heaviside" mean `heaviside`, as in the
    reference. Raises `ValueError` listing the known names otherwise."""
    if isinstance(name, str) and "heaviside" in name:
        name = "heaviside"
    try:
        return ACTIVATIONS[name]
    except (KeyError, TypeError):
        known = ", ".join(repr(n) for n in ACTIVATIONS)
        raise ValueError(f"Unknown activation {name!r}; the known ones are {known}.") from None


@dataclasses.dataclass(frozen=True)
class _ActivationName(Declaration):
    elementwise: bool = False

    def check(self, owner: str, name: str, value: Any, module: Any) -> None:
        try:
            activation = get_activation(value)
        except ValueError as error:
            raise ValueError(f"{owner}: `{name}`: {error}") from None
        if self.elementwise and not activation.elementwise:
            raise ValueError(
                f"{owner}: `{name}` must be an elementwise activation (its derivative is one "
                f"value per unit), got {value!r}."
            )


def activation_name(default: str, *, elementwise: bool = False) -> Any:
    """The declared field of an activation's name (static), checked to be known, and
    `elementwise` if asked."""
    return declared(default, _ActivationName(elementwise=elementwise), static=True)
