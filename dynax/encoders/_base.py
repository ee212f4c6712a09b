"""What the encoders share: intensities in, a spike train out."""

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Float

from ..neurons.spiking._base import ClockedState


class SpikeTrainState(ClockedState):
    """`outputs`: this step's spikes; `tols`: time of the last spike; `t`: the clock."""

    outputs: Float[Array, " n"]

    @classmethod
    def silent(cls, n_units: int, dtype) -> "SpikeTrainState":
        """No spike yet, `tols = 0`, `t = 0`."""
        zeros = jnp.zeros((n_units,), dtype)
        return cls(outputs=zeros, tols=zeros, t=jnp.zeros((), dtype))


class IntensityInputs(eqx.Module):
    """`inputs`: the intensity of each unit in this step (normally in [0, 1])."""

    inputs: Float[Array, " n"]
