"""What the encoders share: intensities in, a spike train out."""

import abc
from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from .._core import AbstractCell, require_key
from .._typing import TimeStep
from ..neurons.spiking._base import ClockedState, clock


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


class AbstractRandomEncoder(AbstractCell):
    """An encoder that spikes where a uniform draw falls below a probability of the input:
    each step, independently per unit, `u ~ U[0, 1)` and `s = 1[u < spike_probability(x)]`,
    then `tols⁺ = t⁺` where `s = 1`. The draw is `jax.random.uniform(key, (n_units,))` with
    the key `step` is given, not split (callers split keys per step; `dynax.simulate` does)."""

    State: ClassVar = SpikeTrainState
    Inputs: ClassVar = IntensityInputs

    n_units: eqx.AbstractVar[int]

    @abc.abstractmethod
    def spike_probability(self, inputs: Float[Array, " n"], dt: TimeStep) -> Float[Array, " n"]:
        """The probability compared with the uniform sample (not clipped to [0, 1])."""

    def step(
        self,
        state: SpikeTrainState,
        inputs: IntensityInputs,
        key: PRNGKeyArray | None,
        dt: TimeStep,
    ) -> SpikeTrainState:
        """Draws this step's spikes from `key` (required)."""
        self.check_step(state, inputs, dt)
        key = require_key(type(self).__name__, key)
        dtype = state.outputs.dtype
        uniform = jax.random.uniform(key, (self.n_units,), dtype)
        spikes = (uniform < self.spike_probability(inputs.inputs, dt)).astype(dtype)
        t, tols = clock(state, spikes, dt)
        return state.replace(outputs=spikes, tols=tols, t=t)
