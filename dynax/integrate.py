"""Steppers: one step of an ODE, as values that carry their order.

Every stepper is called the same way,

```python
y_next = stepper(vector_field, t, y, dt, args)
```

where `vector_field(t, y, args)` returns dy/dt with the structure of `y` (diffrax's signature,
so a cell's ODE can be handed to diffrax as well). Coupled variables (AdEx's `v` and `w`) are
one pytree `y` and so are integrated as one system. A cell's `integration_type` takes a name
of `INTEGRATORS` or any `AbstractStepper`; it is resolved once, when the cell is built. A new
explicit Runge–Kutta scheme is one `ButcherTableau`; any other scheme subclasses
`AbstractStepper` (no registry edit needed).
"""

import abc
import dataclasses
import math
from collections.abc import Callable
from typing import Any, ClassVar, TypeAlias

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import PyTree

from ._fields import Rejected, resolved
from ._typing import TimeStep

VectorField: TypeAlias = Callable[[Any, PyTree, Any], PyTree]


def _state_dtype(y_leaf: Any) -> Any:
    """The dtype a stepper keeps for a leaf of the state: its own, or the default float dtype
    for a Python number or an integer leaf."""
    dtype = jnp.result_type(y_leaf)
    return dtype if jnp.issubdtype(dtype, jnp.inexact) else jnp.result_type(float)


def _combine(y: PyTree, dt: TimeStep, weighted: list[tuple[float, PyTree]]) -> PyTree:
    """`y + dt * Σ c_i k_i`, leaf by leaf, keeping each leaf's dtype (`_state_dtype`)."""

    def leaf(y_leaf, *k_leaves):
        increment = sum(c * k for (c, _), k in zip(weighted, k_leaves, strict=True))
        return (jnp.asarray(y_leaf) + dt * increment).astype(_state_dtype(y_leaf))

    return jax.tree.map(leaf, y, *[k for _, k in weighted])


class AbstractStepper(eqx.Module):
    """One step `y(t) → y(t + dt)` of `dy/dt = vector_field(t, y, args)`, with `args` held
    fixed over the step. `order` is the global order of accuracy; `stability_limit` the largest
    `dt·λ` for which a step of the decay `dy/dt = −λ·y` (λ > 0) does not grow (∞ where it
    never does, and where it is not known)."""

    order: ClassVar[int]
    stability_limit: ClassVar[float] = math.inf

    @abc.abstractmethod
    def __call__(
        self, vector_field: VectorField, t: Any, y: PyTree, dt: TimeStep, args: Any
    ) -> PyTree:
        """The state after one step of length `dt` from `(t, y)`."""


@dataclasses.dataclass(frozen=True)
class ButcherTableau:
    """An explicit Runge–Kutta scheme: stage `i` is evaluated at `t + c[i]·dt` on
    `y + dt·Σ_j a[i][j]·k_j`, and `y⁺ = y + dt·Σ_i b[i]·k_i` (`a[0]` is empty)."""

    a: tuple[tuple[float, ...], ...]
    b: tuple[float, ...]
    c: tuple[float, ...]


class ExplicitRungeKutta(AbstractStepper):
    """A stepper given by a `ButcherTableau` (zero coefficients are skipped, so the
    arithmetic is exactly that of the hand-written scheme)."""

    tableau: ClassVar[ButcherTableau]

    def __call__(self, vector_field, t, y, dt, args):
        tableau = self.tableau
        stages = []
        for a_row, c in zip(tableau.a, tableau.c, strict=True):
            terms = [(a, k) for a, k in zip(a_row, stages, strict=False) if a != 0]
            stage_t = t if c == 0 else t + c * dt
            stage_y = _combine(y, dt, terms) if terms else y
            stages.append(vector_field(stage_t, stage_y, args))
        return _combine(y, dt, [(b, k) for b, k in zip(tableau.b, stages, strict=True) if b != 0])


class Euler(ExplicitRungeKutta):
    """Forward Euler (order 1): `y⁺ = y + dt·f(t, y)`."""

    order = 1
    stability_limit = 2.0
    tableau = ButcherTableau(a=((),), b=(1.0,), c=(0.0,))


class Midpoint(ExplicitRungeKutta):
    """Explicit midpoint (RK2, order 2): `k₂ = f(t + dt/2, y + dt/2·k₁)`, `y⁺ = y + dt·k₂`."""

    order = 2
    stability_limit = 2.0
    tableau = ButcherTableau(a=((), (0.5,)), b=(0.0, 1.0), c=(0.0, 0.5))


class Heun(ExplicitRungeKutta):
    """Heun's method (order 2): `k₂ = f(t + dt, y + dt·k₁)`, `y⁺ = y + dt/2·(k₁ + k₂)`."""

    order = 2
    stability_limit = 2.0
    tableau = ButcherTableau(a=((), (1.0,)), b=(0.5, 0.5), c=(0.0, 1.0))


class Ralston(ExplicitRungeKutta):
    """Ralston's method (order 2, minimal error bound): `k₂ = f(t + 3dt/4, y + 3dt/4·k₁)`,
    `y⁺ = y + dt·(k₁/3 + 2k₂/3)`."""

    order = 2
    stability_limit = 2.0
    tableau = ButcherTableau(a=((), (0.75,)), b=(1.0 / 3.0, 2.0 / 3.0), c=(0.0, 0.75))


class RK4(ExplicitRungeKutta):
    """Classic fourth-order Runge–Kutta: `y⁺ = y + dt·(k₁ + 2k₂ + 2k₃ + k₄)/6`."""

    order = 4
    stability_limit = 2.785  # the real root of 1 − z + z²/2 − z³/6 + z⁴/24 = −1
    tableau = ButcherTableau(
        a=((), (0.5,), (0.0, 0.5), (0.0, 0.0, 1.0)),
        b=(1 / 6, 1 / 3, 1 / 3, 1 / 6),
        c=(0.0, 0.5, 0.5, 1.0),
    )


def _phi1(z):
    """`(eᶻ − 1)/z`, 1 at `z = 0` (with a finite derivative there)."""
    zero = z == 0
    safe = jnp.where(zero, jnp.ones_like(z), z)
    return jnp.where(zero, jnp.ones_like(z), jnp.expm1(safe) / safe)


class ExponentialEuler(AbstractStepper):
    r"""Exponential Euler (order 1): each variable's equation is linearised in that variable,
    `dyᵢ/dt ≈ aᵢ·yᵢ + bᵢ` with `aᵢ = ∂fᵢ/∂yᵢ` at the start of the step, and that linear
    equation is solved exactly over the step:

    $$y_i^+ = y_i + dt·φ_1(a_i\,dt)·f_i(t, y), \qquad φ_1(z) = (e^z − 1)/z.$$

    So it is exact wherever the dynamics are linear in the state given the inputs (a LIF
    membrane below threshold, traces, synaptic decays): the step lands on the closed form
    for any `dt`, where forward Euler needs `dt ≪ τ` and is unstable for `dt > 2τ`. The
    derivative `aᵢ` is taken entry by entry (one forward-mode pass per leaf of `y`), so the
    dynamics of each leaf must be elementwise, as a cell's per-unit equations are; coupled
    variables (AdEx's `w` in `dv/dt`) are held at their old values, as in Brian2's
    `exponential_euler`.
    """

    order = 1

    def __call__(self, vector_field, t, y, dt, args):
        leaves, treedef = jax.tree.flatten(y)
        dtypes = [_state_dtype(x) for x in leaves]
        leaves = [jnp.asarray(x, dtype) for x, dtype in zip(leaves, dtypes, strict=True)]

        def field(*xs):
            return treedef.flatten_up_to(vector_field(t, jax.tree.unflatten(treedef, xs), args))

        out = []
        for i, leaf in enumerate(leaves):
            tangents = [jnp.zeros_like(x) for x in leaves]
            tangents[i] = jnp.ones_like(leaf)
            slope, rate = jax.jvp(field, tuple(leaves), tuple(tangents))
            step = dt * _phi1(rate[i] * dt) * slope[i]
            out.append((leaf + step).astype(leaf.dtype))
        return jax.tree.unflatten(treedef, out)


class SemiImplicitEuler(AbstractStepper):
    """Semi-implicit (symplectic, Euler–Cromer) Euler for a pair `y = (x, p)`: `p` first with
    the old `x`, then `x` with the new `p`: `p⁺ = p + dt·f_p(x, p)`, `x⁺ = x + dt·f_x(x, p⁺)`.
    First order like forward Euler, but it keeps the area of phase space of an undamped
    oscillator (forward Euler spirals outwards)."""

    order = 1
    stability_limit = 2.0

    def __call__(self, vector_field, t, y, dt, args):
        if not (isinstance(y, tuple) and len(y) == 2):
            raise ValueError(
                f"SemiImplicitEuler integrates a pair (x, p); got a state {jax.tree.structure(y)}."
            )
        x, p = y
        _, dp = vector_field(t, (x, p), args)
        p = _combine(p, dt, [(1.0, dp)])
        dx, _ = vector_field(t, (x, p), args)
        return _combine(x, dt, [(1.0, dx)]), p


euler = Euler()
midpoint = Midpoint()
heun = Heun()
ralston = Ralston()
rk4 = RK4()
exponential_euler = ExponentialEuler()

INTEGRATORS: dict[str, AbstractStepper] = {
    "euler": euler,
    "rk1": euler,
    "midpoint": midpoint,
    "rk2": midpoint,
    "heun": heun,
    "rk2_heun": heun,
    "ralston": ralston,
    "rk2_ralston": ralston,
    "rk4": rk4,
    "exponential_euler": exponential_euler,
}
"""Every stepper by name (ngclearn's names and aliases, and `"exponential_euler"`). The names
mean what they say."""


def get_integrator(name: str) -> AbstractStepper:
    """The stepper called `name`; a `ValueError` listing the known names otherwise."""
    try:
        return INTEGRATORS[name]
    except (KeyError, TypeError):
        known = ", ".join(repr(n) for n in INTEGRATORS)
        raise ValueError(f"Unknown integrator {name!r}; the known ones are {known}.") from None


def stepper(default: str, *, names: dict[str, AbstractStepper] | None = None) -> Any:
    """The declared field `integration_type`: a name (of `INTEGRATORS`, or of `names`, the
    cell's own extra schemes) or an `AbstractStepper`, resolved to a stepper at construction."""
    table = INTEGRATORS if names is None else {**INTEGRATORS, **names}
    allowed = "a dynax.integrate.AbstractStepper or one of " + ", ".join(map(repr, table))

    def resolve(value: Any) -> Any:
        if isinstance(value, AbstractStepper):
            return value
        if isinstance(value, str) and value in table:
            return table[value]
        return Rejected(value, allowed)

    return resolved(default, resolve)
