"""WTASCell: winner-take-all spiking units (ngclearn's `WTASCell`)."""

from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from ..._core import AbstractCell
from ..._typing import Param, ParamLike, TimeStep
from ..._validate import (
    as_param,
    check_finite,
    check_input,
    check_int,
    check_nonnegative,
    check_time_step,
    check_unit_param,
    concrete,
)
from ...surrogate import AbstractSurrogate, FastSigmoid
from ._spikes import (
    advance_clock,
    jittered_thresholds,
    last_spike_times,
    refractory_restart,
    require_construction_key,
)

_THR_FLOOR = 0.025  # the reference's lower bound of an adapted threshold


class WTASCellState(eqx.Module):
    """`v`: the gated drive `R·j·m`; `s`: spikes; `thr`: adaptive thresholds; `rfr`: time
    since the last spike; `tols`: time of the last spike; `t`: the clock."""

    v: Float[Array, " n"]
    s: Float[Array, " n"]
    thr: Float[Array, " n"]
    rfr: Float[Array, " n"]
    tols: Float[Array, " n"]
    t: Float[Array, ""]


class WTASCellInputs(eqx.Module):
    """`j`: the input current."""

    j: Float[Array, " n"]


class WTASCell(AbstractCell):
    r"""Winner-take-all spiking: units compete through a softmax of their input.

    With the refractory mask `m = 1[rfr ≥ T_ref]` (no integration: the potential is the
    gated drive of this step)

    $$v = R·j·m,\qquad p = \mathrm{softmax}(v),\qquad s = 1[p > thr],$$

    (forward value; the gradient is the cell's `surrogate` of `p − thr`), then
    `thr⁺ = max(thr + thr_gain·(Σ_units s − 1), 0.025)` (sparsity enforcement: thresholds rise
    when more than one unit fires and fall when none does),
    `rfr⁺ = (rfr + dt)·(1 − s) + s·dt` and `tols⁺ = t⁺` where `s = 1`.

    The initial thresholds `threshold0 = thr_base + U(−thr_jitter, thr_jitter)` are drawn at
    construction from `key` with the reference's split (`_, k = split(key)`), so the same
    raw key gives the reference's values; pass a `(n_units,)` array as `thr_base` with
    `thr_jitter=0` for explicit thresholds.

    Differences from ngclearn 3.2.3: `tau_m` (unused by the reference) is not an argument;
    spikes carry a surrogate gradient; thresholds are per sample (the reference's compartment
    starts `(1, n)` and becomes `(batch, n)` after the first step: the same values).
    """

    State: ClassVar = WTASCellState
    Inputs: ClassVar = WTASCellInputs

    resist_m: Param
    thr_gain: Param
    refract_time: Param
    threshold0: Float[Array, " n"]
    surrogate: AbstractSurrogate
    n_units: int = eqx.field(static=True)

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
        """**Arguments:**

        - `n_units`: number of competing units. The other arguments are keyword-only (the
            reference's second positional argument is the unused `tau_m`).
        - `resist_m`: resistance R (multiplies `j`; a softmax temperature's inverse).
        - `thr_base`: base threshold on the softmax probabilities (scalar or per unit).
        - `thr_gain`: threshold adaptation rate (≥ 0).
        - `refract_time`: refractory period T_ref ≥ 0.
        - `thr_jitter`: half-width ≥ 0 of the uniform jitter of the initial thresholds.
        - `surrogate`: spike function with surrogate gradient (default `FastSigmoid()`;
            `p − thr` lies in [−1, 1]).
        - `key`: draws the threshold jitter (not needed when `thr_jitter` is 0).
        """
        owner = type(self).__name__
        check_int(owner, "n_units", n_units, minimum=1)
        self.n_units = n_units
        params = {
            "resist_m": (resist_m, check_finite),
            "thr_gain": (thr_gain, check_nonnegative),
            "refract_time": (refract_time, check_nonnegative),
        }
        for name, (value, check) in params.items():
            param = as_param(value)
            check_unit_param(owner, name, param, n_units)
            check(owner, name, param)
            setattr(self, name, param)
        base = as_param(thr_base)
        check_unit_param(owner, "thr_base", base, n_units)
        check_finite(owner, "thr_base", base)
        jitter = as_param(thr_jitter)
        check_unit_param(owner, "thr_jitter", jitter, n_units)
        check_nonnegative(owner, "thr_jitter", jitter)
        surrogate = FastSigmoid() if surrogate is None else surrogate
        if not isinstance(surrogate, AbstractSurrogate):
            raise ValueError(
                f"{owner}: `surrogate` must be a dynax.surrogate.AbstractSurrogate, "
                f"got {surrogate!r}."
            )
        self.surrogate = surrogate
        # The raw argument: under a trace even a Python 0.0 becomes a tracer once converted.
        jitter_values = concrete(thr_jitter)
        if jitter_values is None or bool((jitter_values != 0).any()):
            key = require_construction_key(owner, key, "the threshold jitter")
            _, k_thr = jax.random.split(key)
            threshold0 = jittered_thresholds(k_thr, base, jitter, n_units)
        else:
            threshold0 = jnp.broadcast_to(base, (n_units,))
        self.threshold0 = threshold0.astype(base.dtype)

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
        self,
        state: WTASCellState,
        inputs: WTASCellInputs,
        key: PRNGKeyArray | None,
        dt: TimeStep,
    ) -> WTASCellState:
        """Advances the cell by `dt` (see the class docstring); `key` is unused."""
        owner = type(self).__name__
        check_input(owner, "j", inputs.j, (self.n_units,))
        check_time_step(owner, dt)
        dtype = state.v.dtype
        mask = (state.rfr >= self.refract_time).astype(dtype)
        v = self.resist_m * inputs.j * mask
        probabilities = jax.nn.softmax(v)
        spikes = self.surrogate(probabilities - state.thr)
        thr = jnp.maximum(state.thr + self.thr_gain * (jnp.sum(spikes) - 1.0), _THR_FLOOR)
        t = advance_clock(state.t, dt)
        return WTASCellState(
            v=v.astype(dtype),
            s=spikes.astype(dtype),
            thr=thr.astype(dtype),
            rfr=refractory_restart(state.rfr, spikes, dt),
            tols=last_spike_times(state.tols, spikes, t),
            t=t,
        )
