"""The two-variable spiking cells (AdEx, Izhikevich, FitzHugh–Nagumo, RAF): a voltage `v`
and a second variable `w` integrated together, a spike when `v` crosses a threshold, then a
cell-specific jump of `(v, w)`."""

import abc
from typing import ClassVar

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from ..._typing import Param, TimeStep
from ._base import AbstractSpikingCell, ClockedState, CurrentInputs, clock


class VoltageRecoveryState(ClockedState):
    """`v`: the voltage; `w`: the second variable (adaptation, recovery, angular driver);
    `s`: spikes of the last step; and the clock (`tols`, `t`)."""

    v: Float[Array, " n"]
    w: Float[Array, " n"]
    s: Float[Array, " n"]


class AbstractVoltageRecoveryCell(AbstractSpikingCell):
    """A step integrates `(v, w)` over `dt` under the cell's `vector_field` with the current
    `input_current(j)` held fixed, fires `s = 1[v > spike_threshold]` on the new voltage, then
    applies the cell's `after_spike` jump; the initial state is `(v0, w0)`."""

    State: ClassVar = VoltageRecoveryState
    Inputs: ClassVar = CurrentInputs

    n_units: eqx.AbstractVar[int]
    v0: eqx.AbstractVar[Param]
    w0: eqx.AbstractVar[Param]

    @abc.abstractmethod
    def input_current(self, j: Array) -> Array:
        """The `args` of `vector_field`: the input `j` scaled by the cell's resistance."""

    @property
    @abc.abstractmethod
    def spike_threshold(self) -> Param:
        """The voltage above which a unit fires."""

    @abc.abstractmethod
    def after_spike(self, v: Array, w: Array, s: Array) -> tuple[Array, Array]:
        """`(v⁺, w⁺)` given the integrated `(v, w)` and the spikes `s`."""

    def init_state(self, *, key: PRNGKeyArray | None = None) -> VoltageRecoveryState:
        """`v = v0`, `w = w0`, no spike, `tols = 0`, `t = 0` (the reference's reset)."""
        dtype = self.v0.dtype
        zeros = jnp.zeros((self.n_units,), dtype)
        return VoltageRecoveryState(
            v=(zeros + self.v0).astype(dtype),
            w=(zeros + self.w0).astype(dtype),
            s=zeros,
            tols=zeros,
            t=jnp.zeros((), dtype),
        )

    def step(
        self,
        state: VoltageRecoveryState,
        inputs: CurrentInputs,
        key: PRNGKeyArray | None,
        dt: TimeStep,
    ) -> VoltageRecoveryState:
        """Integrates `(v, w)` over `dt`, then spikes and applies `after_spike`; `key` is
        unused."""
        self.check_step(state, inputs, dt)
        v, w = self.integrate(state.t, (state.v, state.w), dt, self.input_current(inputs.j))
        s = self.fire(v, self.spike_threshold)
        v, w = self.after_spike(v, w, s)
        t, tols = clock(state, s, dt)
        return state.replace(v=v, w=w, s=s, tols=tols, t=t)
