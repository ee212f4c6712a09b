"""Declared fields: a module states each field once, with its default and what it allows.

```python
class AdExCell(AbstractSpikingCell):
    n_units: int = size()
    tau_m: Param = parameter(15.0, POSITIVE)        # a scalar or one value per unit
    v_reset: Param = parameter(-75.0, below="thr", why=RESET_BELOW_THRESHOLD)
    integration_type: AbstractStepper = stepper("euler")
```

Each declaration is an `equinox.field` whose converter turns what the user passed into the
stored value (a parameter becomes a floating JAX array of one canonical dtype; a name becomes
its stepper or surrogate) and whose metadata says what is allowed. A converter never raises:
what it cannot take is stored as `Rejected`, and `validate` (which every cell's
`__check_init__` runs) raises one `ValueError` naming the module, the argument, what is allowed
and what it got, for the first field, in declaration order, that breaks its declaration.

A value that is being traced (a module built inside `jit` or `eqx.filter_eval_shape`) is not
known at construction, so only its shape is checked.
"""

import dataclasses
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ._validate import FINITE, Interval, check_shape, check_value, concrete, fail, is_real_dtype

_KEY = "dynax"


class Rejected:
    """What a converter stores for a value it cannot take; `validate` reports it."""

    def __init__(self, value: Any, allowed: str):
        self.value = value
        self.allowed = allowed

    def __repr__(self) -> str:
        return f"Rejected({self.value!r})"


_REAL = "a real number or an array of real numbers"


def to_param(value: Any) -> Any:
    """A parameter as a floating JAX array of one canonical dtype, or `Rejected`.

    A JAX array keeps its floating dtype; anything else (a Python number, a NumPy scalar or
    array, a list) becomes the default float dtype. The result is never weakly typed, so the
    same parameter passed as `20`, `20.0` or `np.float32(20)` gives the same array type and a
    new value never recompiles.
    """
    if value is None or isinstance(value, str | bool | np.bool_):
        return Rejected(value, _REAL)
    try:
        array = jnp.asarray(value)
    except (TypeError, ValueError):
        return Rejected(value, _REAL)
    if not is_real_dtype(array.dtype):
        return Rejected(value, _REAL)
    keep = isinstance(value, jax.Array) and jnp.issubdtype(array.dtype, jnp.floating)
    return array.astype(array.dtype if keep else jnp.result_type(float))


def _to_optional_param(value: Any) -> Any:
    return None if value is None else to_param(value)


def _to_size(value: Any) -> Any:
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer):
        return Rejected(value, "an int")
    return int(value)


def _to_number(value: Any) -> Any:
    if isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_):
        return float(value)
    return Rejected(value, "a Python float")


def _to_switch(value: Any) -> Any:
    return value if isinstance(value, bool) else Rejected(value, "a bool")


@dataclasses.dataclass(frozen=True)
class Declaration:
    """What a declared field allows; `check` raises the `ValueError` when it is broken.
    `argument` is the name used in messages when it is not the field's."""

    argument: str | None = None

    def check(self, owner: str, name: str, value: Any, module: eqx.Module) -> None:
        if isinstance(value, Rejected):
            fail(owner, self.argument or name, value.allowed, repr(value.value))


@dataclasses.dataclass(frozen=True)
class _Parameter(Declaration):
    constraint: Interval = FINITE
    per: str | None = None
    below: str | None = None
    why: str = ""
    hint: str = ""
    optional: bool = False

    def check(self, owner: str, name: str, value: Any, module: eqx.Module) -> None:
        if value is None and self.optional:
            return
        super().check(owner, name, value, module)
        name = self.argument or name
        allowed = [()]
        hint = ""
        if self.per is not None:
            per = getattr(module, self.per)
            allowed.append((per,) if isinstance(per, int) else tuple(jnp.shape(per)))
            hint = (
                "Pass a scalar shared by all units or one value per unit."
                if isinstance(per, int)
                else f"Pass a scalar or one value per entry of `{self.per}`."
            )
        shape = tuple(jnp.shape(value))
        if shape not in allowed:
            options = " or ".join(str(s) for s in allowed)
            fail(owner, name, f"of shape {options}", f"shape {shape}", hint)
        check_value(owner, name, value, self.constraint, self.hint)
        if self.below is not None:
            low, high = concrete(value), concrete(getattr(module, self.below))
            if low is not None and high is not None and not np.all(low < high):
                message = (
                    f"{owner}: `{name}` must lie below `{self.below}` for every unit, got "
                    f"{name}={low.tolist()} and {self.below}={high.tolist()}. {self.why}"
                )
                raise ValueError(message.rstrip())


@dataclasses.dataclass(frozen=True)
class _Size(Declaration):
    minimum: int = 1

    def check(self, owner: str, name: str, value: Any, module: eqx.Module) -> None:
        if isinstance(value, Rejected) or value < self.minimum:
            got = value.value if isinstance(value, Rejected) else value
            fail(owner, name, f"an int >= {self.minimum}", repr(got))


@dataclasses.dataclass(frozen=True)
class _Choice(Declaration):
    choices: tuple[str, ...] = ()

    def check(self, owner: str, name: str, value: Any, module: eqx.Module) -> None:
        if not isinstance(value, str) or value not in self.choices:
            allowed = "one of " + ", ".join(repr(c) for c in sorted(self.choices))
            fail(owner, name, allowed, repr(value))


def parameter(
    default: Any = dataclasses.MISSING,
    constraint: Interval = FINITE,
    *,
    per: str | None = "n_units",
    below: str | None = None,
    why: str = "",
    hint: str = "",
    optional: bool = False,
    argument: str | None = None,
) -> Any:
    """A parameter: an array leaf (learnable; a new value never recompiles).

    **Arguments:**

    - `default`: the default value (none: the argument is required).
    - `constraint`: what every entry must satisfy (`FINITE`, `POSITIVE`, `NONNEGATIVE`,
        `PROBABILITY`, `at_least(x)` or any `Interval`).
    - `per`: the field giving the per-unit shape: an int field (`"n_units"`: a scalar or
        `(n_units,)`) or an array field (a scalar or that array's shape); `None`: a scalar.
    - `below`: a parameter that this one must lie below, entry by entry; `why` says what
        would go wrong otherwise.
    - `hint`: appended to the message when `constraint` is broken.
    - `optional`: `None` is allowed, and kept as `None` (absent).
    - `argument`: the name used in messages when it is not the field's (`"prior[1]"`).
    """
    declaration = _Parameter(argument, constraint, per, below, why, hint, optional)
    converter = _to_optional_param if optional else to_param
    return eqx.field(default=default, converter=converter, metadata={_KEY: declaration})


def size(default: Any = dataclasses.MISSING, *, minimum: int = 1) -> Any:
    """A structural int (a number of units): static, at least `minimum`."""
    return eqx.field(
        default=default, static=True, converter=_to_size, metadata={_KEY: _Size(minimum=minimum)}
    )


@dataclasses.dataclass(frozen=True)
class _Number(Declaration):
    constraint: Interval = FINITE

    def check(self, owner: str, name: str, value: Any, module: eqx.Module) -> None:
        super().check(owner, name, value, module)
        check_value(owner, self.argument or name, value, self.constraint)


def number(default: Any = dataclasses.MISSING, constraint: Interval = FINITE) -> Any:
    """A hyper-parameter that shapes the computation rather than being learned (a clip
    bound, a surrogate's width): a static Python float."""
    return declared(default, _Number(constraint=constraint), static=True, converter=_to_number)


def switch(default: Any = dataclasses.MISSING) -> Any:
    """A structural on/off choice: a static Python bool."""
    return eqx.field(
        default=default, static=True, converter=_to_switch, metadata={_KEY: Declaration()}
    )


def choice(default: Any, choices: Sequence[str], *, argument: str | None = None) -> Any:
    """A structural choice among names: a static string."""
    return declared(default, _Choice(argument, choices=tuple(choices)), static=True)


def declared(default: Any, declaration: Declaration, **kwargs: Any) -> Any:
    """A field with its own `Declaration` (a subclass whose `check` says what is allowed);
    `kwargs` go to `equinox.field` (`static=True`, `converter=...`)."""
    return eqx.field(default=default, metadata={_KEY: declaration}, **kwargs)


def resolved(default: Any, resolve: Callable[[Any], Any]) -> Any:
    """A field computed once, at construction, from what was passed (a name → its object):
    `resolve` returns the value, or `Rejected` for what it cannot take."""
    return eqx.field(default=default, converter=resolve, metadata={_KEY: Declaration()})


def validate(module: eqx.Module) -> None:
    """Checks every declared field of `module` in declaration order, then the module's own
    `check_parameters()` (relations no single declaration states), if it has one; raises the
    `ValueError` of the first one that breaks."""
    owner = type(module).__name__
    for field in dataclasses.fields(module):
        declaration = field.metadata.get(_KEY)
        if declaration is not None:
            declaration.check(owner, field.name, getattr(module, field.name), module)
    check = getattr(module, "check_parameters", None)
    if check is not None:
        check()


def pair(owner: str, name: str, value: Any, form: str) -> tuple[Any, Any]:
    """`value` as a pair (the reference's `prior=("gaussian", 0.1)` form), or a `ValueError`
    naming `name` and the expected `form`."""
    if not (isinstance(value, tuple | list) and len(value) == 2):
        fail(owner, name, f"a pair {form}", repr(value))
    return value[0], value[1]


def argument(
    owner: str,
    name: str,
    value: Any,
    constraint: Interval = FINITE,
    *,
    per: int | None = None,
    shapes: Sequence[tuple[int, ...]] | None = None,
) -> Any:
    """A constructor argument that is not a declared field (something is drawn from it, or
    it is an array of its own shape), converted and checked now, with the messages of a
    declared parameter: a scalar, `(per,)` too when `per` is given, or one of `shapes`."""
    converted = to_param(value)
    if shapes is None:
        declaration = _Parameter(constraint=constraint, per=None if per is None else "per")
        declaration.check(owner, name, converted, _Sizes(per))
        return converted
    if isinstance(converted, Rejected):
        fail(owner, name, converted.allowed, repr(value))
    check_shape(owner, name, converted, shapes)
    check_value(owner, name, converted, constraint)
    return converted


def checked_size(owner: str, name: str, value: Any, *, minimum: int = 1) -> int:
    """A structural int checked now (before something is drawn with it)."""
    converted = _to_size(value)
    _Size(minimum=minimum).check(owner, name, converted, None)
    return converted


@dataclasses.dataclass(frozen=True)
class _Sizes:
    per: int | None
