"""Checks shared by every module: errors raised early, naming the argument, the value it got
and what is allowed.

Constructor arguments are checked when a module is built (`__check_init__`); input shapes are
checked in `step` at trace time. A value that is being traced (a module built inside `jit`) is
unknown at that point, so only its shape is checked.
"""

from collections.abc import Collection, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike


def as_param(value: ArrayLike) -> Array:
    """Converts a parameter to a floating JAX array (the field converter of every parameter).

    A float or int becomes an array of the default float dtype, so that `eqx.filter_jit`
    treats it as a traced leaf (no recompilation when it changes) and `eqx.filter_grad`
    reaches it. An array that is already floating keeps its dtype.
    """
    array = jnp.asarray(value)
    if not jnp.issubdtype(array.dtype, jnp.inexact):
        array = array.astype(jnp.result_type(float))
    return array


def concrete(value: Any) -> np.ndarray | None:
    """The value as a NumPy array, or None when it is being traced and so not yet known."""
    if isinstance(value, jax.core.Tracer):
        return None
    return np.asarray(value)


def _describe(value: np.ndarray) -> str:
    if value.size == 1:
        return repr(value.reshape(()).item())
    return f"an array of shape {value.shape} with values in [{value.min()}, {value.max()}]"


def _fail(owner: str, name: str, allowed: str, value: Any, hint: str) -> None:
    message = f"{owner}: `{name}` must be {allowed}, got {value}."
    if hint:
        message += f" {hint}"
    raise ValueError(message)


def check_range(
    owner: str,
    name: str,
    value: ArrayLike,
    *,
    lower: float | None = None,
    upper: float | None = None,
    lower_inclusive: bool = True,
    upper_inclusive: bool = True,
    hint: str = "",
) -> None:
    """Raises `ValueError` unless every entry of `value` is finite and inside the interval."""
    array = concrete(value)
    if array is None:
        return
    if array.dtype == object or not np.issubdtype(array.dtype, np.number):
        _fail(owner, name, "a number or an array of numbers", repr(value), hint)
    ok = np.all(np.isfinite(array))
    if lower is not None:
        ok &= np.all(array >= lower) if lower_inclusive else np.all(array > lower)
    if upper is not None:
        ok &= np.all(array <= upper) if upper_inclusive else np.all(array < upper)
    if not ok:
        left = "-inf" if lower is None else f"{lower}"
        right = "inf" if upper is None else f"{upper}"
        interval = (
            f"{'[' if lower is not None and lower_inclusive else '('}{left}, "
            f"{right}{']' if upper is not None and upper_inclusive else ')'}"
        )
        _fail(owner, name, f"finite and in {interval}", _describe(array), hint)


def check_positive(owner: str, name: str, value: ArrayLike, hint: str = "") -> None:
    """`value > 0` everywhere (and finite)."""
    check_range(owner, name, value, lower=0.0, lower_inclusive=False, hint=hint)


def check_nonnegative(owner: str, name: str, value: ArrayLike, hint: str = "") -> None:
    """`value >= 0` everywhere (and finite)."""
    check_range(owner, name, value, lower=0.0, hint=hint)


def check_finite(owner: str, name: str, value: ArrayLike, hint: str = "") -> None:
    """Every entry of `value` is finite."""
    check_range(owner, name, value, hint=hint)


def check_probability(owner: str, name: str, value: ArrayLike, hint: str = "") -> None:
    """`0 <= value <= 1` everywhere."""
    check_range(owner, name, value, lower=0.0, upper=1.0, hint=hint)


def check_int(owner: str, name: str, value: Any, *, minimum: int = 0, hint: str = "") -> None:
    """`value` is a Python int (not a bool) and `value >= minimum`."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        _fail(owner, name, f"an int >= {minimum}", repr(value), hint)


def check_choice(owner: str, name: str, value: Any, choices: Collection[str]) -> None:
    """`value` is one of `choices`."""
    if value not in choices:
        allowed = "one of " + ", ".join(repr(c) for c in sorted(choices))
        _fail(owner, name, allowed, repr(value), "")


def check_shape(
    owner: str, name: str, value: ArrayLike, allowed: Sequence[tuple[int, ...]], hint: str = ""
) -> None:
    """`jnp.shape(value)` is one of `allowed` (works on traced values)."""
    shape = tuple(jnp.shape(value))
    if shape not in [tuple(s) for s in allowed]:
        options = " or ".join(str(tuple(s)) for s in allowed)
        _fail(owner, name, f"of shape {options}", f"shape {shape}", hint)


def check_unit_param(owner: str, name: str, value: ArrayLike, n_units: int) -> None:
    """A per-unit parameter is a scalar (shared by all units) or has shape `(n_units,)`."""
    check_shape(
        owner,
        name,
        value,
        [(), (n_units,)],
        hint="Pass a scalar shared by all units or one value per unit.",
    )


def check_input(owner: str, name: str, value: Any, expected: tuple[int, ...]) -> None:
    """Checks an input of `step` at trace time: it must be an array of exactly `expected` shape.

    The cell describes one sample; a batch is made with `jax.vmap`, so a leading batch axis
    here is an error too.
    """
    shape = tuple(jnp.shape(value))
    if shape != tuple(expected):
        hint = ""
        if len(shape) == len(expected) + 1 and shape[1:] == tuple(expected):
            hint = " A cell steps one sample: batch it with jax.vmap instead of a leading axis."
        raise ValueError(
            f"{owner}.step: input `{name}` must have shape {tuple(expected)}, "
            f"got shape {shape}.{hint}"
        )


def check_time_step(owner: str, dt: Any) -> None:
    """`dt` is a scalar and, when known, finite and positive."""
    if jnp.ndim(dt) != 0:
        raise ValueError(f"{owner}.step: `dt` must be a scalar, got shape {jnp.shape(dt)}.")
    check_positive(owner + ".step", "dt", dt)
