"""LatencyCell: one spike per unit, earlier for a stronger input (ngclearn's `LatencyCell`)."""

from typing import ClassVar

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from .._core import AbstractCell
from .._typing import Param, ParamLike, TimeStep
from .._validate import (
    as_param,
    check_input,
    check_int,
    check_nonnegative,
    check_positive,
    check_time_step,
    check_unit_param,
)
from ..neurons.spiking._spikes import advance_clock, last_spike_times

EPS = 1e-7
"""The floor on `x − θ` in the logarithmic code (the reference's `eps`)."""


class LatencyCellState(eqx.Module):
    """`outputs`: this step's spikes; `tols`: time of the last emitted spike; `mask`: 1 for
    units that have already fired; `targ_sp_times`: the latencies of the current input;
    `t`: the clock."""

    outputs: Float[Array, " n"]
    tols: Float[Array, " n"]
    mask: Float[Array, " n"]
    targ_sp_times: Float[Array, " n"]
    t: Float[Array, ""]


class LatencyCellInputs(eqx.Module):
    """`inputs`: the intensities to encode (normally in [0, 1])."""

    inputs: Float[Array, " n"]


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

    Differences from ngclearn 3.2.3: the logarithmic mode uses its equations (the reference
    passes `num_steps` as ε and `normalize` as `num_steps`, defect 19, so that with its
    defaults every input ≤ θ + 1 gets the same time τ·ln(1 + θ)); normalization uses the
    maximum over the units of one sample (the reference's is over the whole batch) and
    `num_steps` steps of length `dt` (the reference's `num_steps − 1` is in time units, the
    same for `dt = 1`); rounding is to the `dt` grid; `tols` records emitted (not clipped)
    spikes; the latencies are computed in `step` (no separate `calc_spike_times` call).
    """

    State: ClassVar = LatencyCellState
    Inputs: ClassVar = LatencyCellInputs

    tau: Param
    threshold: Param
    first_spike_time: Param
    n_units: int = eqx.field(static=True)
    linearize: bool = eqx.field(static=True)
    normalize: bool = eqx.field(static=True)
    clip_spikes: bool = eqx.field(static=True)
    num_steps: int = eqx.field(static=True)

    def __init__(
        self,
        n_units: int,
        tau: ParamLike = 1.0,
        threshold: ParamLike = 0.01,
        first_spike_time: ParamLike = 0.0,
        linearize: bool = False,
        normalize: bool = False,
        clip_spikes: bool = False,
        num_steps: int = 1,
    ):
        """**Arguments:**

        - `n_units`: number of units.
        - `tau`: latency time constant τ (> 0).
        - `threshold`: θ ≥ 0; inputs at or below it get the longest latency.
        - `first_spike_time`: t₀ ≥ 0, the earliest latency.
        - `linearize`: linear instead of logarithmic code.
        - `normalize`: stretch the code so that the latest spike is at `(num_steps − 1)·dt`.
        - `clip_spikes`: emit no spike for inputs below θ.
        - `num_steps`: length of the presentation in steps (≥ 1; used by `normalize`).
        """
        owner = type(self).__name__
        check_int(owner, "n_units", n_units, minimum=1)
        self.n_units = n_units
        params = {
            "tau": (tau, check_positive),
            "threshold": (threshold, check_nonnegative),
            "first_spike_time": (first_spike_time, check_nonnegative),
        }
        for name, (value, check) in params.items():
            param = as_param(value)
            check_unit_param(owner, name, param, n_units)
            check(owner, name, param)
            setattr(self, name, param)
        for name, flag in (
            ("linearize", linearize),
            ("normalize", normalize),
            ("clip_spikes", clip_spikes),
        ):
            if not isinstance(flag, bool):
                raise ValueError(f"{owner}: `{name}` must be a bool, got {flag!r}.")
            setattr(self, name, flag)
        check_int(owner, "num_steps", num_steps, minimum=1)
        self.num_steps = num_steps

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
        inputs: LatencyCellInputs,
        key: PRNGKeyArray | None,
        dt: TimeStep,
    ) -> LatencyCellState:
        """Emits the spikes due in this step (see the class docstring); `key` is unused."""
        owner = type(self).__name__
        check_input(owner, "inputs", inputs.inputs, (self.n_units,))
        check_time_step(owner, dt)
        dtype = state.outputs.dtype
        times = self.spike_times(inputs.inputs, dt).astype(dtype)
        t = advance_clock(state.t, dt)
        due = jnp.round(times / dt) <= jnp.round(t / dt)
        spikes = due.astype(dtype) * (1.0 - state.mask)
        outputs = spikes
        if self.clip_spikes:
            outputs = spikes * (inputs.inputs >= self.threshold).astype(dtype)
        return LatencyCellState(
            outputs=outputs,
            tols=last_spike_times(state.tols, outputs, t),
            mask=jnp.maximum(state.mask, spikes),
            targ_sp_times=times,
            t=t,
        )
