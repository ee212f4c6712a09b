"""What the integrate-and-fire family and the other refractory cells share: the refractory
period counts whole steps, also when `refract_time/dt` is not exact in float32."""

import jax.numpy as jnp
import numpy as np
import pytest
from support import contract

import dynax

CELLS = {
    "LIFCell": lambda t_ref: dynax.LIFCell(1, 10.0, refract_time=t_ref, tau_theta=0.0),
    "IFCell": lambda t_ref: dynax.IFCell(1, 10.0, refract_time=t_ref),
    "QuadLIFCell": lambda t_ref: dynax.QuadLIFCell(1, 10.0, refract_time=t_ref, tau_theta=0.0),
}


@pytest.mark.parametrize("name", sorted(CELLS))
@pytest.mark.parametrize(("refract_time", "dt"), [(2.0, 0.01), (5.0, 0.001), (5.0, 0.1)])
def test_a_period_of_an_exact_number_of_steps_is_that_many_steps(name, refract_time, dt):
    """Under a huge drive a unit fires whenever it is not refractory, so spikes are
    `refract_time/dt + 1` steps apart. A float32 sum of dt's falls short of refract_time
    (200 × 0.01 = 1.99998), which made the period one step too long (202 instead of 201)."""
    cell = CELLS[name](refract_time)
    steps = round(refract_time / dt)
    j = jnp.full((3 * steps + 10, 1), 1e6)
    _, states = contract.run_steps(cell, cell.init_state(), type(cell).Inputs(j), None, dt)
    times = np.flatnonzero(np.asarray(states.s)[:, 0])
    assert len(times) >= 3
    np.testing.assert_array_equal(np.diff(times), steps + 1)


@pytest.mark.parametrize(
    "cell",
    [
        lambda: dynax.SLIFCell(
            2, 1.0, 1.0, 0.1, refract_time=2.0, thr_jitter=0.0, inh_weights=jnp.zeros((2, 2))
        ),
        lambda: dynax.WTASCell(2, thr_base=0.6, refract_time=2.0, thr_jitter=0.0, thr_gain=0.0),
    ],
    ids=["SLIFCell", "WTASCell"],
)
def test_slif_and_wtas_count_steps_too(cell):
    """SLIF and WTAS restart the clock at dt after a spike (their reference's convention):
    with refract_time = 2 and dt = 0.01 the driven unit fires every 200 steps (WTAS: two
    units, so that the softmax of a refractory, silent pair stays below the threshold)."""
    cell = cell()
    j = jnp.tile(jnp.array([1e3, 0.0]), (700, 1))
    _, states = contract.run_steps(cell, cell.init_state(), type(cell).Inputs(j), None, 0.01)
    times = np.flatnonzero(np.asarray(states.s)[:, 0])
    assert len(times) >= 3
    np.testing.assert_array_equal(np.diff(times), 200)
