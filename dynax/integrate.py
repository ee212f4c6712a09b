"""Explicit Runge–Kutta steppers as pure, pytree-generic functions.

Every stepper has one signature,

```python
y_next = integrator(vector_field, t, y, dt, args)
```

where `vector_field(t, y, args)` returns dy/dt with the structure of `y` (diffrax's signature,
so a cell's ODE can be handed to diffrax as well). Coupled variables (AdEx's `v` and `w`) are
one pytree `y` and so are integrated as one system. A new scheme is one function plus one entry
in `INTEGRATORS`.
"""

from collections.abc import Callable
from typing import Any, TypeAlias

import jax
import jax.numpy as jnp
from jaxtyping import PyTree

from ._typing import TimeStep

VectorField: TypeAlias = Callable[[Any, PyTree, Any], PyTree]
Integrator: TypeAlias = Callable[[VectorField, Any, PyTree, TimeStep, Any], PyTree]


def _combine(y: PyTree, dt: TimeStep, weighted: list[tuple[float, PyTree]]) -> PyTree:
    """`y + dt * Σ c_i k_i`, leaf by leaf, keeping each leaf of `y`'s dtype (a Python number or
    integer leaf becomes the default float dtype)."""

    def leaf(y_leaf, *k_leaves):
        y_leaf = jnp.asarray(y_leaf)
        dtype = y_leaf.dtype
        if not jnp.issubdtype(dtype, jnp.inexact):  # a Python or integer scalar state
            dtype = jnp.result_type(float)
        increment = sum(c * k for (c, _), k in zip(weighted, k_leaves, strict=True))
        return (y_leaf + dt * increment).astype(dtype)

    return jax.tree.map(leaf, y, *[k for _, k in weighted])


def euler(vector_field: VectorField, t: Any, y: PyTree, dt: TimeStep, args: Any) -> PyTree:
    """Forward Euler (order 1): `y⁺ = y + dt·f(t, y)`."""
    k1 = vector_field(t, y, args)
    return _combine(y, dt, [(1.0, k1)])


def midpoint(vector_field: VectorField, t: Any, y: PyTree, dt: TimeStep, args: Any) -> PyTree:
    """Explicit midpoint (RK2, order 2): `k₁ = f(t, y)`, `k₂ = f(t + dt/2, y + dt/2·k₁)`,
    `y⁺ = y + dt·k₂`."""
    k1 = vector_field(t, y, args)
    k2 = vector_field(t + 0.5 * dt, _combine(y, dt, [(0.5, k1)]), args)
    return _combine(y, dt, [(1.0, k2)])


def heun(vector_field: VectorField, t: Any, y: PyTree, dt: TimeStep, args: Any) -> PyTree:
    """Heun's method (order 2): `k₁ = f(t, y)`, `k₂ = f(t + dt, y + dt·k₁)`,
    `y⁺ = y + dt/2·(k₁ + k₂)`."""
    k1 = vector_field(t, y, args)
    k2 = vector_field(t + dt, _combine(y, dt, [(1.0, k1)]), args)
    return _combine(y, dt, [(0.5, k1), (0.5, k2)])


def ralston(vector_field: VectorField, t: Any, y: PyTree, dt: TimeStep, args: Any) -> PyTree:
    """Ralston's method (order 2, minimal error bound): `k₁ = f(t, y)`,
    `k₂ = f(t + 3dt/4, y + 3dt/4·k₁)`, `y⁺ = y + dt·(k₁/3 + 2k₂/3)`."""
    k1 = vector_field(t, y, args)
    k2 = vector_field(t + 0.75 * dt, _combine(y, dt, [(0.75, k1)]), args)
    return _combine(y, dt, [(1.0 / 3.0, k1), (2.0 / 3.0, k2)])


def rk4(vector_field: VectorField, t: Any, y: PyTree, dt: TimeStep, args: Any) -> PyTree:
    """Classic fourth-order Runge–Kutta:
    `y⁺ = y + dt·(k₁ + 2k₂ + 2k₃ + k₄)/6`, with `k₂`, `k₃` at `t + dt/2` and `k₄` at `t + dt`."""
    k1 = vector_field(t, y, args)
    k2 = vector_field(t + 0.5 * dt, _combine(y, dt, [(0.5, k1)]), args)
    k3 = vector_field(t + 0.5 * dt, _combine(y, dt, [(0.5, k2)]), args)
    k4 = vector_field(t + dt, _combine(y, dt, [(1.0, k3)]), args)
    return _combine(y, dt, [(1 / 6, k1), (1 / 3, k2), (1 / 3, k3), (1 / 6, k4)])


INTEGRATORS: dict[str, Integrator] = {
    "euler": euler,
    "rk1": euler,
    "midpoint": midpoint,
    "rk2": midpoint,
    "heun": heun,
    "rk2_heun": heun,
    "ralston": ralston,
    "rk2_ralston": ralston,
    "rk4": rk4,
}
"""Every stepper by name (ngclearn's names and aliases). The names mean what they say."""

ORDERS: dict[Integrator, int] = {euler: 1, midpoint: 2, heun: 2, ralston: 2, rk4: 4}
"""The global order of accuracy of each stepper."""


def get_integrator(name: str) -> Integrator:
    """The stepper called `name`; a `ValueError` listing the known names otherwise."""
    try:
        return INTEGRATORS[name]
    except (KeyError, TypeError):
        known = ", ".join(repr(n) for n in INTEGRATORS)
        raise ValueError(f"Unknown integrator {name!r}; the known ones are {known}.") from None


def check_integrator(owner: str, name: str) -> None:
    """Raises the `ValueError` of `get_integrator`, prefixed with the module that got `name`."""
    try:
        get_integrator(name)
    except ValueError as error:
        raise ValueError(f"{owner}: `integration_type`: {error}") from None
