"""Spike functions with surrogate gradients.

A spike is the Heaviside step `H(x) = 1[x > 0]` of `x = v − thr`. Its true derivative is zero
almost everywhere, so gradients through a spiking network would vanish; a surrogate keeps the
forward pass exact and replaces the derivative by a smooth pseudo-derivative `σ'(x)`.

The replacement is written with `jax.custom_jvp`, so forward mode (`jax.jvp`) and reverse mode
(`jax.grad`, `jax.vjp`) both see it. Every surrogate is a small module whose `__call__` gives
the spikes and `derivative` the pseudo-derivative; its shape parameters are static (they are
hyper-parameters, not learned).
"""

import abc
import functools
import math
import numbers
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike

from ._fields import Rejected, resolved


def _as_scale(value):
    """A real number (Python, NumPy) becomes a Python float, so that the static field is
    hashable and compares by value; anything else is left for `_check_scale` to reject."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_):
        return float(value)
    return value


@functools.partial(jax.custom_jvp, nondiff_argnums=(0,))
def _heaviside(surrogate: "AbstractSurrogate", x: Array) -> Array:
    return (x > 0).astype(x.dtype)


@_heaviside.defjvp
def _heaviside_jvp(surrogate, primals, tangents):
    (x,), (dx,) = primals, tangents
    return _heaviside(surrogate, x), surrogate.derivative(x) * dx


class AbstractSurrogate(eqx.Module):
    """`H(x) = 1[x > 0]` forward, `derivative(x)` backward."""

    @abc.abstractmethod
    def derivative(self, x: ArrayLike) -> Array:
        """The pseudo-derivative dH/dx used by `jax.grad` and `jax.jvp`."""

    def __call__(self, x: ArrayLike) -> Array:
        """Spikes `1[x > 0]` (as floats of `x`'s dtype) with this surrogate's derivative."""
        x = jnp.asarray(x)
        if not jnp.issubdtype(x.dtype, jnp.inexact):
            x = x.astype(jnp.result_type(float))
        return _heaviside(self, x)


class StraightThrough(AbstractSurrogate):
    """`σ'(x) = 1`: the gradient passes through the step unchanged."""

    def derivative(self, x: ArrayLike) -> Array:
        return jnp.ones_like(jnp.asarray(x, dtype=jnp.result_type(x, float)))


class FastSigmoid(AbstractSurrogate):
    """SuperSpike (Zenke & Ganguli, 2018): `σ'(x) = 1 / (1 + α|x|)²`."""

    alpha: float = eqx.field(static=True, default=10.0, converter=_as_scale)

    def __check_init__(self):
        _check_scale("FastSigmoid", "alpha", self.alpha)

    def derivative(self, x: ArrayLike) -> Array:
        return 1.0 / (1.0 + self.alpha * jnp.abs(x)) ** 2


class Sigmoid(AbstractSurrogate):
    """The derivative of a steep logistic: `σ'(x) = α·s(αx)(1 − s(αx))`."""

    alpha: float = eqx.field(static=True, default=4.0, converter=_as_scale)

    def __check_init__(self):
        _check_scale("Sigmoid", "alpha", self.alpha)

    def derivative(self, x: ArrayLike) -> Array:
        s = jax.nn.sigmoid(self.alpha * jnp.asarray(x))
        return self.alpha * s * (1.0 - s)


class ArcTan(AbstractSurrogate):
    """ngclearn's arctan surrogate: `σ'(x) = 1 / (π(1 + (π·α/2·x)²))`.

    The reference's LIFCell uses it with `α = 0.2`; its builder's default is `α = 2`.
    """

    alpha: float = eqx.field(static=True, default=2.0, converter=_as_scale)

    def __check_init__(self):
        _check_scale("ArcTan", "alpha", self.alpha)

    def derivative(self, x: ArrayLike) -> Array:
        u = 0.5 * math.pi * self.alpha * jnp.asarray(x)
        return 1.0 / (math.pi * (1.0 + u * u))


class Triangular(AbstractSurrogate):
    """`σ'(x) = max(0, 1 − α|x|)` (reference default `α = 2`; its "explicit triangular" is
    `α = 1/5`)."""

    alpha: float = eqx.field(static=True, default=2.0, converter=_as_scale)

    def __check_init__(self):
        _check_scale("Triangular", "alpha", self.alpha)

    def derivative(self, x: ArrayLike) -> Array:
        return jnp.maximum(0.0, 1.0 - self.alpha * jnp.abs(x))


class Boxcar(AbstractSurrogate):
    """`σ'(x) = 1[|x| ≤ half_width]` (the reference hard-codes `half_width = 5`)."""

    half_width: float = eqx.field(static=True, default=0.5, converter=_as_scale)

    def __check_init__(self):
        _check_scale("Boxcar", "half_width", self.half_width)

    def derivative(self, x: ArrayLike) -> Array:
        x = jnp.asarray(x)
        return (jnp.abs(x) <= self.half_width).astype(jnp.result_type(x, float))


def _check_scale(owner: str, name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ValueError(f"{owner}: `{name}` must be a positive Python float, got {value!r}.")
    if not math.isfinite(value):
        raise ValueError(f"{owner}: `{name}` must be finite, got {value!r}.")


SURROGATES: dict[str, type[AbstractSurrogate]] = {
    "straight_through": StraightThrough,
    "fast_sigmoid": FastSigmoid,
    "super_spike": FastSigmoid,
    "sigmoid": Sigmoid,
    "arctan": ArcTan,
    "triangular": Triangular,
    "boxcar": Boxcar,
}
"""Surrogate classes by name (default shape parameters)."""


def get_surrogate(name: str) -> AbstractSurrogate:
    """The surrogate called `name` with its default parameters; `ValueError` otherwise."""
    try:
        return SURROGATES[name]()
    except (KeyError, TypeError):
        known = ", ".join(repr(n) for n in SURROGATES)
        raise ValueError(f"Unknown surrogate {name!r}; the known ones are {known}.") from None


def spike_surrogate(default: AbstractSurrogate) -> Any:
    """The declared surrogate field of a spiking cell: `None` gives `default`, a name of
    `SURROGATES` that surrogate (default parameters), an `AbstractSurrogate` itself."""
    allowed = "a dynax.surrogate.AbstractSurrogate or one of " + ", ".join(map(repr, SURROGATES))

    def resolve(value: Any) -> Any:
        if value is None:
            return default
        if isinstance(value, AbstractSurrogate):
            return value
        if isinstance(value, str) and value in SURROGATES:
            return SURROGATES[value]()
        return Rejected(value, allowed)

    return resolved(default, resolve)
