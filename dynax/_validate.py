"""Checks shared by every module, with one message format: the module, the argument, what is
allowed and what it got.

Constructor arguments are checked when a module is built (declared fields, `dynax._fields`);
the arguments of `step` at trace time. A value that is being traced (a module built inside
`jit`) is unknown at that point, so only its shape is checked.
"""

import dataclasses
import os
from collections.abc import Collection, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import ArrayLike


def concrete(value: Any) -> np.ndarray | None:
    """The value as a NumPy array, or None while it is being traced (not yet known)."""
    if isinstance(value, jax.core.Tracer):
        return None
    return np.asarray(value)


def describe(value: np.ndarray) -> str:
    """A short description of a value for an error message, its numbers as the user wrote
    them (`1.1`, not float32's `1.100000023841858`)."""
    if value.size == 1:
        return _number(value.reshape(())[()])
    low, high = _number(value.min()), _number(value.max())
    return f"an array of shape {value.shape} with values in [{low}, {high}]"


def _number(x: np.generic) -> str:
    """The shortest decimal that reads back as `x` in its own dtype."""
    if x.dtype in (np.float16, np.float32, np.float64):
        return np.format_float_positional(x, unique=True, trim="-")
    return repr(x.item())


def fail(owner: str, name: str, allowed: str, got: str, hint: str = "") -> None:
    """Raises the `ValueError` of dynax's one format."""
    message = f"{owner}: `{name}` must be {allowed}, got {got}."
    if hint:
        message += f" {hint}"
    raise ValueError(message)


def is_real_dtype(dtype: Any) -> bool:
    """A floating or integer dtype (bfloat16 included; not bool, not complex)."""
    return (
        jnp.issubdtype(dtype, jnp.floating) or jnp.issubdtype(dtype, jnp.integer)
    ) and not jnp.issubdtype(dtype, jnp.bool_)


@dataclasses.dataclass(frozen=True)
class Interval:
    """Every entry finite and inside `[lower, upper]` (either end open, or absent)."""

    lower: float | None = None
    upper: float | None = None
    lower_inclusive: bool = True
    upper_inclusive: bool = True

    def holds(self, array: np.ndarray) -> bool:
        array = array.astype(np.float64)
        ok = bool(np.all(np.isfinite(array)))
        if self.lower is not None:
            ok &= bool(np.all(array >= self.lower if self.lower_inclusive else array > self.lower))
        if self.upper is not None:
            ok &= bool(np.all(array <= self.upper if self.upper_inclusive else array < self.upper))
        return ok

    def __str__(self) -> str:
        left = "-inf" if self.lower is None else f"{self.lower}"
        right = "inf" if self.upper is None else f"{self.upper}"
        opening = "[" if self.lower is not None and self.lower_inclusive else "("
        closing = "]" if self.upper is not None and self.upper_inclusive else ")"
        return f"finite and in {opening}{left}, {right}{closing}"


FINITE = Interval()
POSITIVE = Interval(lower=0.0, lower_inclusive=False)
NONNEGATIVE = Interval(lower=0.0)
PROBABILITY = Interval(lower=0.0, upper=1.0)


def at_least(lower: float) -> Interval:
    """`value ≥ lower` everywhere (and finite)."""
    return Interval(lower=lower)


def check_value(
    owner: str, name: str, value: ArrayLike, constraint: Interval = FINITE, hint: str = ""
) -> None:
    """Raises `ValueError` unless `value` holds real numbers that satisfy `constraint`
    (skipped while `value` is traced)."""
    array = concrete(value)
    if array is None:
        return
    if array.dtype == object or not is_real_dtype(array.dtype):
        fail(owner, name, "a number or an array of numbers", repr(value), hint)
    if not constraint.holds(array):
        fail(owner, name, str(constraint), describe(array), hint)


def check_int(owner: str, name: str, value: Any, *, minimum: int = 0, hint: str = "") -> None:
    """`value` is a Python int (not a bool) and `value >= minimum`."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        fail(owner, name, f"an int >= {minimum}", repr(value), hint)


def check_choice(owner: str, name: str, value: Any, choices: Collection[str]) -> None:
    """`value` is one of `choices`."""
    if not isinstance(value, str) or value not in choices:
        allowed = "one of " + ", ".join(repr(c) for c in sorted(choices))
        fail(owner, name, allowed, repr(value))


def check_shape(
    owner: str, name: str, value: ArrayLike, allowed: Sequence[tuple[int, ...]], hint: str = ""
) -> None:
    """`jnp.shape(value)` is one of `allowed` (works on traced values)."""
    shape = tuple(jnp.shape(value))
    if shape not in [tuple(s) for s in allowed]:
        options = " or ".join(str(tuple(s)) for s in allowed)
        fail(owner, name, f"of shape {options}", f"shape {shape}", hint)


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
    """`dt` is a real scalar and, when known, finite and positive (`owner` is e.g.
    `"LIFCell.step"` or `"simulate"`)."""
    try:
        real = dt is not None and not isinstance(dt, str) and is_real_dtype(jnp.result_type(dt))
    except TypeError:
        real = False
    if not real:
        fail(owner, "dt", "a positive real scalar (the time step)", repr(dt))
    if jnp.ndim(dt) != 0:
        fail(owner, "dt", "a scalar", f"shape {jnp.shape(dt)}")
    check_value(owner, "dt", dt, POSITIVE)


def check_stable_step(owner: str, dt: Any, limit: Any, why: str) -> None:
    """Raises `ValueError` unless `dt ≤ limit` (skipped while `dt` is traced): for explicit
    updates that leave their stable domain beyond `limit` (computed by the caller from
    concrete parameters)."""
    step = concrete(dt)
    if step is not None and not np.all(step <= limit):
        fail(owner, "dt", f"at most {float(limit):.6g} here", repr(step.item()), why)


def check_key(owner: str, name: str, key: Any) -> None:
    """`key` is one PRNG key: a typed key (`jax.random.key(0)`) or a raw `uint32[2]` one
    (`jax.random.PRNGKey(0)`)."""
    typed = isinstance(key, jax.Array) and jnp.issubdtype(key.dtype, jax.dtypes.prng_key)
    raw = (
        isinstance(key, jax.Array | np.ndarray)
        and key.dtype == np.uint32
        and tuple(key.shape) == (2,)
    )
    if not ((typed and key.shape == ()) or raw):
        got = (
            f"an array of shape {key.shape} and dtype {key.dtype}"
            if hasattr(key, "dtype")
            else repr(key)
        )
        fail(owner, name, "a PRNG key, e.g. jax.random.key(0)", got)


def check_memory(owner: str, what: str, shape: tuple[int, ...], dtype: Any) -> None:
    """Raises `ValueError` before an array of `shape` is allocated when it would not fit in the
    memory of the default device (its `bytes_limit`; on a CPU, the machine's RAM), saying how
    many bytes it would need; XLA would otherwise abort the process."""
    needed = int(np.prod(shape, dtype=np.float64)) * np.dtype(dtype).itemsize
    device = jax.devices()[0]
    stats = device.memory_stats() if hasattr(device, "memory_stats") else None
    limit = (stats or {}).get("bytes_limit")
    if limit is None:
        try:
            limit = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (AttributeError, ValueError, OSError):
            return
    if needed > limit:
        raise ValueError(
            f"{owner}: {what} of shape {tuple(shape)} would need {needed:.3e} bytes, more than "
            f"the {limit:.3e} bytes of memory of {device.device_kind}."
        )
