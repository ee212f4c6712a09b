"""WTASCell: winner-take-all spiking units (ngclearn's `WTASCell`)."""

from typing import ClassVar

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from ..._fields import argument, checked_size, parameter, size
from ..._typing import Param, ParamLike, TimeStep
from ..._validate import NONNEGATIVE
from ...surrogate import AbstractSurrogate, FastSigmoid, spike_surrogate
from ._base import AbstractSpikingCell, ClockedState, CurrentInputs, clock, refractory_mask
from ._thresholds import (
    THRESHOLD_FLOOR,
    jittered_thresholds,
    needs_jitter,
    refractory_restart,
    require_construction_key,
)


class WTASCellState(ClockedState):
    """`v`: the gated drive `R·j·m`; `s`: spikes; `thr`: adaptive thresholds; `rfr`: time
    since the last spike; `tols`: time of the last spike; `t`: the clock."""

    v: Float[Array, " n"]
    s: Float[Array, " n"]
    thr: Float[Array, " n"]
    rfr: Float[Array, " n"]


class WTASCell(AbstractSpikingCell):
    r"""Winner-take-all spiking: units compete through a softmax of their input. With the
    refractory mask `m` (no integration: the potential is the gated drive of this step)

    $$v = R·j·m,\qquad p = \mathrm{softmax}(v),\qquad s = 1[p > thr],$$

    (the gradient is the cell's `surrogate` of `p − thr`), then
    `thr⁺ = max(thr + thr_gain·(Σ_units s − 1), 0.025)` (sparsity enforcement: thresholds rise
    when more than one unit fires and fall when none does),
    `rfr⁺ = (rfr + dt)·(1 − s) + s·dt` and `tols⁺ = t⁺` where `s = 1`.

    The initial thresholds `threshold0 = thr_base + U(−thr_jitter, thr_jitter)` are drawn at
    construction from `key` with the reference's split (`_, k = split(key)`), so the same
    raw key gives the reference's values; pass a `(n_units,)` array as `thr_base` with
    `thr_jitter=0` for explicit thresholds.

    **Arguments** (every parameter is a scalar or one value per unit):

    - `n_units`: number of competing units. The other arguments are keyword-only (the
        reference's second positional argument is the unused `tau_m`).
    - `resist_m`: resistance R (multiplies `j`; a softmax temperature's inverse).
    - `thr_base`: base threshold on the softmax probabilities.
    - `thr_gain`: threshold adaptation rate (≥ 0).
    - `refract_time`: refractory period T_ref ≥ 0.
    - `thr_jitter`: half-width ≥ 0 of the uniform jitter of the initial thresholds.
    - `surrogate`: spike function with surrogate gradient (default `FastSigmoid()`;
        `p − thr` lies in [−1, 1]).
    - `key`: draws the threshold jitter (not needed when `thr_jitter` is 0).

    Differences from ngclearn 3.2.3: `docs/migrating-from-ngclearn.md` §7.2.
    """

    State: ClassVar = WTASCellState
    Inputs: ClassVar = CurrentInputs

    n_units: int = size()
    resist_m: Param = parameter()
    thr_gain: Param = parameter(constraint=NONNEGATIVE)
    refract_time: Param = parameter(constraint=NONNEGATIVE)
    surrogate: AbstractSurrogate = spike_surrogate(FastSigmoid())
    threshold0: Float[Array, " n"] = parameter()

    def __init__(
        self,
        n_units: int,
        *,
        resist_m: ParamLike = 1.0,
        thr_base: ParamLike = 0.4,
        thr_gain: ParamLike = 0.002,
        refract_time: ParamLike = 0.0,
        thr_jitter: ParamLike = 0.05,
        surrogate: AbstractSurrogate | None = None,
        key: PRNGKeyArray | None = None,
    ):
        self.n_units = n_units
        self.resist_m = resist_m
        self.thr_gain = thr_gain
        self.refract_time = refract_time
        self.surrogate = surrogate
        owner = type(self).__name__
        n = checked_size(owner, "n_units", n_units)
        base = argument(owner, "thr_base", thr_base, per=n)
        jitter = argument(owner, "thr_jitter", thr_jitter, NONNEGATIVE, per=n)
        k_thr = None
        if needs_jitter(thr_jitter):
            _, k_thr = jax.random.split(
                require_construction_key(owner, key, "the threshold jitter")
            )
        self.threshold0 = jittered_thresholds(k_thr, base, jitter, n)

    def init_state(self, *, key: PRNGKeyArray | None = None) -> WTASCellState:
        """`v = s = tols = 0`, `thr = threshold0`, `rfr = refract_time`, `t = 0`."""
        dtype = self.threshold0.dtype
        zeros = jnp.zeros((self.n_units,), dtype)
        return WTASCellState(
            v=zeros,
            s=zeros,
            thr=self.threshold0,
            rfr=jnp.broadcast_to(self.refract_time, (self.n_units,)).astype(dtype),
            tols=zeros,
            t=jnp.zeros((), dtype),
        )

    def step(
        self, state: WTASCellState, inputs: CurrentInputs, key: PRNGKeyArray | None, dt: TimeStep
    ) -> WTASCellState:
        """Advances the cell by `dt` (see the class docstring); `key` is unused."""
        self.check_step(state, inputs, dt)
        mask = refractory_mask(state.rfr, self.refract_time, dt).astype(state.v.dtype)
        v = self.resist_m * inputs.j * mask
        spikes = self.fire(jax.nn.softmax(v), state.thr)
        thr = jnp.maximum(state.thr + self.thr_gain * (jnp.sum(spikes) - 1.0), THRESHOLD_FLOOR)
        t, tols = clock(state, spikes, dt)
        return state.replace(
            v=v, s=spikes, thr=thr, rfr=refractory_restart(state.rfr, spikes, dt), tols=tols, t=t
        )
