"""What the error cells (Gaussian, Laplacian, Bernoulli) share: the shapes of their optional
inputs, `modulator` and `mask`, are checked (`tests/test_contract.py` checks those of the
registry's examples, the prediction and the target)."""

import jax
import jax.numpy as jnp
import pytest

from dynax.neurons.graded.bernoulli_error_cell import BernoulliErrorCell
from dynax.neurons.graded.gaussian_error_cell import GaussianErrorCell
from dynax.neurons.graded.laplacian_error_cell import LaplacianErrorCell

# (cell, its prediction and target, a valid value of every input)
CELLS = {
    "GaussianErrorCell": (GaussianErrorCell, ("mu", "target"), 1.0),
    "LaplacianErrorCell": (LaplacianErrorCell, ("shift", "target"), 1.0),
    "BernoulliErrorCell": (BernoulliErrorCell, ("p", "target"), 0.5),
}


@pytest.mark.parametrize("name", sorted(CELLS))
@pytest.mark.parametrize("field", ["modulator", "mask"])
def test_wrong_optional_input_shape_raises_at_trace_time(name, field):
    cls, required, value = CELLS[name]
    cell = cls(3)
    good = {input_name: jnp.full(3, value) for input_name in [*required, "modulator", "mask"]}
    good[field] = jnp.ones((2, 3))
    with pytest.raises(
        ValueError,
        match=rf"{name}.step: input `{field}` must have shape \(3,\), got shape \(2, 3\)",
    ):
        jax.jit(lambda s: cell.step(s, cls.Inputs(**good), None, 1.0))(cell.init_state())
