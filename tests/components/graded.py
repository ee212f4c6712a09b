"""Registry entries of the graded cells (`dynax.neurons.graded`)."""

import jax
import jax.numpy as jnp
from hypothesis import strategies as st
from support.registry import Component, vector

import dynax

N = 4  # one unit count keeps the jit caches warm across examples
ONES = jnp.ones(N)


# ---------------------------------------------------------------- RateCell


@st.composite
def _rate_cells(draw):
    stateful = draw(st.booleans())
    return dynax.RateCell(
        N,
        tau_m=draw(st.floats(0.5, 50.0)) if stateful else 0.0,
        prior=(
            draw(st.sampled_from(["gaussian", "laplacian", "cauchy", "exp"])),
            draw(st.floats(0, 2)),
        ),
        act_fx=draw(st.sampled_from(["identity", "tanh", "sigmoid", "relu", "lrelu"])),
        output_scale=draw(st.floats(0.1, 3.0)),
        threshold=draw(st.sampled_from([("none", 0.0), ("soft_threshold", 0.05)])),
        integration_type=draw(
            st.sampled_from(["euler", "midpoint", "heun", "ralston", "rk4", "exponential_euler"])
        ),
        resist_scale=draw(st.floats(0.1, 2.0)),
    )


def _rate_finite_run(cell, draw):
    """Inputs in [−1e3, 1e3] at dt ≤ τ (an explicit step of the leak is then stable)."""
    j = jax.random.uniform(
        jax.random.key(draw(st.integers(0, 2**31 - 1))), (1000, N), minval=-1e3, maxval=1e3
    )
    dt = draw(st.floats(0.05, 1.0)) * (float(cell.tau_m) if cell.is_stateful else 1.0)
    return dynax.RateCell.Inputs(j), min(dt, 0.5)


def _rate_state(z):
    return dynax.RateCell.State(z=z, zF=jnp.tanh(z))


RATE = Component(
    example=lambda key: dynax.RateCell(
        N, jax.random.uniform(key, (N,), minval=1, maxval=5), act_fx="tanh", prior=("cauchy", 0.3)
    ),
    example_inputs=lambda cell: dynax.RateCell.Inputs(j=ONES, j_td=0.5 * ONES),
    cells=_rate_cells(),
    state=lambda cell, draw: _rate_state(draw(vector(N, -10.0, 10.0))),
    inputs=lambda cell, draw: dynax.RateCell.Inputs(
        draw(vector(N, -10.0, 10.0)), draw(vector(N, -10.0, 10.0))
    ),
    retrace=(lambda tau: dynax.RateCell(N, tau), (5.0, 10.0, 20.0)),
    finite_run=_rate_finite_run,
    bad_arguments=(
        ({"n_units": 0, "tau_m": 1.0}, "n_units"),
        ({"n_units": 3, "tau_m": -1.0}, "tau_m"),
        ({"n_units": 3, "tau_m": jnp.array([1.0, 0.0, 1.0])}, "tau_m"),
        ({"n_units": 3, "tau_m": jnp.ones(4)}, "tau_m"),
        ({"n_units": 3, "tau_m": float("nan")}, "tau_m"),
        ({"n_units": 3, "tau_m": 1.0, "prior": ("student", 0.1)}, "prior"),
        ({"n_units": 3, "tau_m": 1.0, "prior": ("gaussian", -0.1)}, "prior"),
        ({"n_units": 3, "tau_m": 1.0, "prior": "gaussian"}, "prior"),
        ({"n_units": 3, "tau_m": 1.0, "act_fx": "swish"}, "act_fx"),
        ({"n_units": 3, "tau_m": 1.0, "threshold": ("cauchy_threshold", 0.1)}, "threshold"),
        ({"n_units": 3, "tau_m": 1.0, "threshold": ("soft_threshold", -0.1)}, "threshold"),
        ({"n_units": 3, "tau_m": 1.0, "integration_type": "rk45"}, "integration_type"),
        ({"n_units": 3, "tau_m": 1.0, "output_scale": float("inf")}, "output_scale"),
        ({"n_units": 3, "tau_m": 1.0, "resist_scale": jnp.ones(2)}, "resist_scale"),
    ),
)


COMPONENTS = {"RateCell": RATE}
