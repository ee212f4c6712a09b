"""LatencyCell: one spike per unit, earlier for a stronger input (ngclearn's `LatencyCell`)."""

from typing import ClassVar

import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from .._core import AbstractCell
from .._fields import parameter, size, switch
from .._typing import Param, TimeStep
from .._validate import NONNEGATIVE, POSITIVE, check_input
from ..neurons.spiking._base import ClockedState, advance_clock, clock
from ._base import IntensityInputs

EPS = 1e-7
"""The floor on `x − θ` in the logarithmic code (the reference's `eps`)."""


class LatencyCellState(ClockedState):
    """`outputs`: this step's spikes; `tols`: time of the last emitted spike; `mask`: 1 for
    units that have already fired; `targ_sp_times`: the latencies of the current input;
    `t`: the clock."""

    outputs: Float[Array, " n"]
    mask: Float[Array, " n"]
    targ_sp_times: Float[Array, " n"]


class LatencyCell(AbstractCell):
    r"""Latency (time-to-first-spike) code: every unit fires once, at a time that decreases
    with its input x.

    With threshold θ, time constant τ and first spike time t₀, the latency is

    - linear (`linearize=True`): `t_s = τ·(1 − max(x, θ)) + t₀`
      (the reference's `min(−τ(x − 1), −τ(θ − 1)) + t₀`);
    - logarithmic (default): `t_s = τ·ln(x̃ / (x̃ − θ)) + t₀` with `x̃ = max(x, θ + ε)`,
      computed as `τ·ln(1 + θ / max(x − θ, ε))`, ε = 1e-7: inputs at or below θ get the
      longest latency, `τ·ln(1 + θ/ε) + t₀`.

    With `normalize=True` the code is stretched so that the latest latency of the sample is
    `T = (num_steps − 1)·dt`: linear mode uses `τ = T − t₀`; logarithmic mode rescales
    `t_s ← (t_s − t₀)·(T − t₀)/max_units(t_s − t₀) + t₀`.

    Each step ends at `t⁺ = t + dt`; a unit that has not fired yet fires at the first step
    with `round(t_s/dt) ≤ round(t⁺/dt)`, i.e. at time `max(round(t_s/dt), 1)·dt` of a run
    started at `t = 0` (the grid time nearest its latency; the reference rounds `t_s` to
    the nearest integer, the same for `dt = 1`). `clip_spikes=True` silences units with
    `x < θ` (they still count as fired). `tols⁺ = t⁺` where a spike is emitted. The
    latencies are recomputed from the inputs of every step (`targ_sp_times`), so a
    constant input is the intended use; `spike_times` gives them without stepping.

    **Arguments:**

    - `n_units`: number of units.
    - `tau`: latency time constant τ (> 0).
    - `threshold`: θ ≥ 0; inputs at or below it get the longest latency.
    - `first_spike_time`: t₀ ≥ 0, the earliest latency.
    - `linearize`: linear instead of logarithmic code.
    - `normalize`: stretch the code so that the latest spike is at `(num_steps − 1)·dt`.
    - `clip_spikes`: emit no spike for inputs below θ.
    - `num_steps`: length of the presentation in steps (≥ 1; used by `normalize`).

    Differences from ngclearn 3.2.3: `docs/migrating-from-ngclearn.md` §7.2.
    """

    State: ClassVar = LatencyCellState
    Inputs: ClassVar = IntensityInputs

    n_units: int = size()
    tau: Param = parameter(1.0, POSITIVE)
    threshold: Param = parameter(0.01, NONNEGATIVE)
    first_spike_time: Param = parameter(0.0, NONNEGATIVE)
    linearize: bool = switch(False)
    normalize: bool = switch(False)
    clip_spikes: bool = switch(False)
    num_steps: int = size(1)

    def init_state(self, *, key: PRNGKeyArray | None = None) -> LatencyCellState:
        """Nothing fired yet: all zeros, `t = 0`."""
        zeros = jnp.zeros((self.n_units,), self.tau.dtype)
        return LatencyCellState(
            outputs=zeros,
            tols=zeros,
            mask=zeros,
            targ_sp_times=zeros,
            t=jnp.zeros((), zeros.dtype),
        )

    def spike_times(self, x: Float[Array, " n"], dt: TimeStep = 1.0) -> Float[Array, " n"]:
        """The latencies `t_s` of the inputs `x` (see the class docstring); `dt` only matters
        with `normalize=True`."""
        check_input(type(self).__name__, "inputs", x, (self.n_units,))
        t0 = self.first_spike_time
        span = (self.num_steps - 1) * dt - t0
        if self.linearize:
            tau = span if self.normalize else self.tau
            return tau * (1.0 - jnp.maximum(x, self.threshold)) + t0
        latency = self.tau * jnp.log1p(self.threshold / jnp.maximum(x - self.threshold, EPS))
        if self.normalize:
            longest = jnp.max(latency)
            scale = jnp.where(longest > 0, span / jnp.where(longest > 0, longest, 1.0), 0.0)
            latency = latency * scale
        return latency + t0

    def step(
        self,
        state: LatencyCellState,
        inputs: IntensityInputs,
        key: PRNGKeyArray | None,
        dt: TimeStep,
    ) -> LatencyCellState:
        """Emits the spikes due in this step (see the class docstring); `key` is unused."""
        self.check_step(state, inputs, dt)
        dtype = state.outputs.dtype
        times = self.spike_times(inputs.inputs, dt).astype(dtype)
        due = jnp.round(times / dt) <= jnp.round(advance_clock(state.t, dt) / dt)
        spikes = due.astype(dtype) * (1.0 - state.mask)
        outputs = spikes
        if self.clip_spikes:
            outputs = spikes * (inputs.inputs >= self.threshold).astype(dtype)
        t, tols = clock(state, outputs, dt)
        return state.replace(
            outputs=outputs,
            tols=tols,
            mask=jnp.maximum(state.mask, spikes),
            targ_sp_times=times,
            t=t,
        )
