"""Every cell's ODE is a `vector_field(t, y, args)` with diffrax's signature: handed to
`diffrax.diffeqsolve` (an adaptive 8th-order solver at tight tolerance) it agrees with the
cell's own RK4 step, for every registered component that integrates one."""

from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from components import REGISTRY

from dynax.integrate import AbstractStepper, rk4

diffrax = pytest.importorskip("diffrax")  # in the test extra (pyproject.toml)


class Recording(AbstractStepper):
    """RK4, keeping each call's `(vector_field, t, y, dt, args)` in `calls`."""

    order = 4
    calls: ClassVar[list] = []

    def __call__(self, vector_field, t, y, dt, args):
        self.calls.append((vector_field, t, y, dt, args))
        return rk4(vector_field, t, y, dt, args)


INTEGRATING = sorted(
    name
    for name, component in REGISTRY.items()
    if hasattr(component.example(jax.random.key(0)), "vector_field")
)


def _float64(tree):
    return jax.tree.map(lambda x: x.astype(jnp.float64) if eqx.is_inexact_array(x) else x, tree)


def test_the_cells_with_an_ode_are_all_found():
    expected = {"AdExCell", "FitzhughNagumoCell", "HodgkinHuxleyCell", "IFCell"}
    expected |= {"IzhikevichCell", "LIFCell", "LeakyNoiseCell", "QuadLIFCell", "RAFCell"}
    expected |= {"RateCell", "SLIFCell"}
    assert set(INTEGRATING) == expected


@pytest.mark.parametrize("name", INTEGRATING)
def test_diffrax_agrees_with_the_cells_rk4_step(name):
    """One step of 1e-3 from rest under the example inputs: RK4's local error is O(dt⁵) ≈
    1e-15 relative to the field, so the two agree to 1e-9 unless the field is not what the
    cell integrates."""
    component = REGISTRY[name]
    with jax.enable_x64(True):  # float64 throughout: the comparison is of the schemes
        cell = _float64(component.example(jax.random.key(0)))
        cell = eqx.tree_at(lambda c: c.integration_type, cell, Recording())
        state = _float64(cell.init_state())
        inputs = _float64(component.example_inputs(cell))
        key = jax.random.key(1) if component.random else None
        Recording.calls.clear()
        cell.step(state, inputs, key, 1e-3)
        ((vector_field, t, y, dt, args),) = Recording.calls
        ours = rk4(vector_field, t, y, dt, args)
        solution = diffrax.diffeqsolve(
            diffrax.ODETerm(vector_field),
            diffrax.Dopri8(),
            t0=t,
            t1=t + dt,
            dt0=dt / 4,
            y0=y,
            args=args,
            stepsize_controller=diffrax.PIDController(rtol=1e-12, atol=1e-12),
        )
        theirs = jax.tree.map(lambda leaf: leaf[-1], solution.ys)
        moved = jax.tree.map(lambda a, b: np.abs(np.asarray(a) - np.asarray(b)).max(), ours, y)
        assert max(jax.tree.leaves(moved)) > 0  # the step did something to compare
        for a, b in zip(jax.tree.leaves(ours), jax.tree.leaves(theirs), strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)
