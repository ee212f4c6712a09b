"""LIFSRM: the closed-form spike-response model of a LIF unit (ngclearn's `LIFSRM`)."""

from typing import ClassVar

import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float, PRNGKeyArray

from ..._core import CellState
from ..._fields import parameter, size
from ..._typing import Param, TimeStep
from ..._validate import POSITIVE
from ...surrogate import AbstractSurrogate, ArcTan, spike_surrogate
from ._base import AbstractSpikingCell, CurrentInputs, advance_clock, reset_potential

NEVER = -1.0
"""The value of `t_last_spike` (and of a prediction) meaning "no spike" (the clock is ≥ 0)."""

_MIN_THR_DISTANCE = 1e-5  # the reference's floor on thr − v_rest in the prediction


class LIFSRMState(CellState):
    """`v`: membrane potential (v_reset after a spike); `s`: spikes; `t_last_spike`: time of
    the last spike (`NEVER` = −1 before the first); `j_lowpass`: the filtered input trace;
    `t`: the clock (the reference's `last_t_eval`)."""

    v: Float[Array, " n"]
    s: Float[Array, " n"]
    t_last_spike: Float[Array, " n"]
    j_lowpass: Float[Array, " n"]
    t: Float[Array, ""]


class LIFSRM(AbstractSpikingCell):
    r"""A leaky integrate-and-fire unit written as a spike-response model: the potential is
    a sum of kernels evaluated in closed form, with no ODE to integrate.

    Each step, at the new time `t⁺ = t + dt`,

    $$x⁺ = x·e^{−dt/τ_m} + \frac{dt}{τ_m} j \quad (\text{the input kernel, } ε),$$
    $$η = (v_{reset} − v_{rest})·e^{−(t⁺ − t_{last})/τ_m}\ \text{(0 before the first spike)},$$
    $$v = v_{rest} + x⁺ + η,\qquad s = 1[v > thr],$$

    (forward value; the gradient is the cell's `surrogate` of `v − thr`); where `s = 1`,
    `t_last⁺ = t⁺` and `v⁺ = v_reset`. The input trace x is not reset by a spike: the reset
    acts through the after-spike kernel η alone (as in the reference). The reset does not
    carry the surrogate gradient (`_spikes.reset_potential`).

    `predict_next_spike` gives, without stepping, the time at which the input-free potential
    `v_rest + (x + η)·e^{−(t' − t)/τ_m}` reaches `thr` (see its docstring).

    **Arguments** (times in ms, voltages in mV; every parameter is a scalar or one value
    per unit):

    - `n_units`: number of units.
    - `tau_m`: membrane time constant (> 0).
    - `thr`: firing threshold.
    - `v_rest`: resting potential.
    - `v_reset`: potential just after a spike.
    - `surrogate`: spike function with surrogate gradient (default `ArcTan(alpha=0.2)`,
        ngclearn's LIF choice, a few mV wide).

    Differences from ngclearn 3.2.3: `docs/migrating-from-ngclearn.md` §7.2.
    """

    State: ClassVar = LIFSRMState
    Inputs: ClassVar = CurrentInputs

    n_units: int = size()
    tau_m: Param = parameter(constraint=POSITIVE)
    thr: Param = parameter(-52.0)
    v_rest: Param = parameter(-65.0)
    v_reset: Param = parameter(-60.0)
    surrogate: AbstractSurrogate = spike_surrogate(ArcTan(alpha=0.2))

    def init_state(self, *, key: PRNGKeyArray | None = None) -> LIFSRMState:
        """`v = v_rest`, `s = 0`, `t_last_spike = NEVER`, `j_lowpass = 0`, `t = 0`."""
        dtype = self.tau_m.dtype
        shape = (self.n_units,)
        return LIFSRMState(
            v=jnp.broadcast_to(self.v_rest, shape).astype(dtype),
            s=jnp.zeros(shape, dtype),
            t_last_spike=jnp.full(shape, NEVER, dtype),
            j_lowpass=jnp.zeros(shape, dtype),
            t=jnp.zeros((), dtype),
        )

    def _after_spike_kernel(self, t_last_spike: Array, t: ArrayLike) -> Array:
        """η at time `t`: `(v_reset − v_rest)·e^{−(t − t_last)/τ_m}`, 0 before any spike."""
        has_spiked = t_last_spike >= 0.0
        elapsed = jnp.where(has_spiked, t - t_last_spike, 0.0)
        decay = jnp.exp(-elapsed / self.tau_m)
        return jnp.where(has_spiked, (self.v_reset - self.v_rest) * decay, 0.0)

    def step(
        self, state: LIFSRMState, inputs: CurrentInputs, key: PRNGKeyArray | None, dt: TimeStep
    ) -> LIFSRMState:
        """Advances the cell by `dt` (see the class docstring); `key` is unused."""
        self.check_step(state, inputs, dt)
        t = advance_clock(state.t, dt)
        trace = state.j_lowpass * jnp.exp(-dt / self.tau_m) + (dt / self.tau_m) * inputs.j
        v = self.v_rest + trace + self._after_spike_kernel(state.t_last_spike, t)
        spikes = self.fire(v, self.thr)
        return state.replace(
            v=reset_potential(v, spikes, self.v_reset),
            s=spikes,
            t_last_spike=jnp.where(spikes > 0, t, state.t_last_spike),
            j_lowpass=trace,
            t=t,
        )

    def predict_next_spike(
        self, state: LIFSRMState, t_start: ArrayLike | None = None
    ) -> Float[Array, " n"]:
        r"""The reference's closed-form "next spike" time of each unit, or `NEVER` (−1).

        With no further input, the potential relaxes as
        `v(t') = v_rest + D·e^{−(t' − t_start)/τ_m}`, `D = x + η(t_start)` (x the state's
        input trace). Where `D > thr − v_rest` (the unit is above threshold now), the result
        is the time at which v falls back to `thr`,

        $$t_{start} + τ_m \ln\frac{D}{\max(thr − v_{rest}, 10^{-5})};$$

        elsewhere `NEVER` (also where `D ≤ 0`, for which the reference returns NaN when
        `thr ≤ v_rest`). (As in the reference, this is where the decaying potential meets
        the threshold, i.e. the end of the supra-threshold interval of a unit driven above
        threshold between evaluations; an input-free LIF potential never rises to it.)

        **Arguments:**

        - `state`: a state of this cell.
        - `t_start`: the time from which to predict (default: the state's clock `t`).

        **Returns:** the predicted times, shape `(n_units,)`.
        """
        t_start = state.t if t_start is None else jnp.asarray(t_start, state.t.dtype)
        drive = state.j_lowpass + self._after_spike_kernel(state.t_last_spike, t_start)
        distance = self.thr - self.v_rest
        # drive > 0 too: with thr ≤ v_rest the reference takes the log of a negative ratio.
        crosses = (drive > distance) & (drive > 0)
        ratio = jnp.where(crosses, drive / jnp.maximum(distance, _MIN_THR_DISTANCE), 1.0)
        predicted = t_start + self.tau_m * jnp.log(ratio)
        return jnp.where(crosses, predicted, NEVER).astype(state.v.dtype)
