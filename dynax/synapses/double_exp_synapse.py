"""DoubleExpSynapse: a difference-of-exponentials conductance with rise and decay time
constants (ngclearn's `DoubleExpSynapse`, which fails to compile in 3.2.3)."""

from typing import ClassVar

import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, PRNGKeyArray

from .._fields import parameter
from .._typing import OutParam, TimeStep
from .._validate import POSITIVE
from ..connectivity import AbstractConnectivity
from ._conductance import AbstractConductanceSynapse, TwoStageConductanceState


class DoubleExpSynapse(AbstractConductanceSynapse):
    r"""A difference-of-exponentials conductance, the linear system

    $$\frac{dh}{dt} = −\frac{h}{τ_r} + κ A\,ḡ\sum_k (s_k @ W)\,δ(t − t_k),\qquad
    \frac{dg}{dt} = −\frac{g}{τ_d} + h,$$

    with `κ = 1/τ_r − 1/τ_d` (the reference's factor) and the normalisation
    `A = 1/(exp(−t*/τ_d) − exp(−t*/τ_r))`, so that one spike through weight `w` gives

    $$g(t) = ḡ\,w\,A\,(e^{−t/τ_d} − e^{−t/τ_r}),$$

    which peaks at `ḡ·w` at `t* = τ_r τ_d/(τ_d − τ_r)·ln(τ_d/τ_r)` (`ḡ` is the peak
    conductance, as for `ExponentialSynapse`). The current is `i = −g·g_factor·(v − E_syn)`
    (`−g·g_factor` with `syn_rest=None`); `outputs = i_syn`. Needs `τ_r < τ_d` (equal time
    constants are the `AlphaSynapse`).

    Discrete steps: `decay="linear"` (the reference's Euler scheme),
    `h⁺ = h − h·dt/τ_r + κA·ḡ(s@W)`, `g⁺ = g − g·dt/τ_d + h⁺·dt`, tends to the closed form
    as `dt → 0`; `decay="exponential"` propagates exactly,
    `h⁺ = h·a_r + κA·ḡ(s@W)`, `g⁺ = g·a_d + h·(a_d − a_r)/κ` with `a = exp(−dt/τ)`, so the
    samples lie on the closed form for any `dt`.

    Differences from ngclearn 3.2.3: `docs/migrating-from-ngclearn.md` §7.2.
    """

    State: ClassVar = TwoStageConductanceState
    tau_rise: OutParam = parameter(
        constraint=POSITIVE,
        per="n_out",
        below="tau_decay",
        why="For equal time constants use AlphaSynapse.",
    )

    def __init__(
        self,
        shape: tuple[int, int],
        tau_decay: ArrayLike,
        tau_rise: ArrayLike,
        g_syn_bar: ArrayLike,
        syn_rest: ArrayLike | None,
        weight_init=None,
        *,
        g_conduct_factor: ArrayLike = 1.0,
        p_conn: ArrayLike = 1.0,
        mask: ArrayLike | None = None,
        decay: str = "linear",
        key: PRNGKeyArray | None = None,
        resist_scale: ArrayLike | None = None,
        connectivity: AbstractConnectivity | None = None,
    ):
        """**Arguments:**

        - `tau_rise`: rise time constant τ_r (> 0, below `tau_decay`; scalar or `(n_out,)`).
        - the other arguments: as `ExponentialSynapse` (`tau_decay` is τ_d here).
        """
        super().__init__(
            shape,
            tau_decay,
            g_syn_bar,
            syn_rest,
            weight_init,
            g_conduct_factor=g_conduct_factor,
            p_conn=p_conn,
            mask=mask,
            decay=decay,
            key=key,
            resist_scale=resist_scale,
            connectivity=connectivity,
        )
        self.tau_rise = tau_rise

    def conduct(self, state: TwoStageConductanceState, drive: Array, dt: TimeStep) -> dict:
        """`h⁺` and `g⁺` of the class docstring."""
        h, g = state.h_syn, state.g_syn
        tau_r, tau_d = self.tau_rise, self.tau_decay
        # κ·A = r^(−r/(1−r))/τ_r with r = τ_r/τ_d (the peak of e^{−t/τ_d} − e^{−t/τ_r} is
        # (1 − r)·r^(r/(1−r))).
        r = tau_r / tau_d
        jump = jnp.power(r, -r / (1.0 - r)) / tau_r * self.g_syn_bar * drive
        if self.decay == "linear":
            h_new = h - h * dt / tau_r + jump
            return {"h_syn": h_new, "g_syn": g - g * dt / tau_d + h_new * dt}
        kappa = 1.0 / tau_r - 1.0 / tau_d
        a_r, a_d = jnp.exp(-dt / tau_r), jnp.exp(-dt / tau_d)
        # (a_d − a_r)/κ written without cancellation: a_d·(1 − exp(−κ·dt))/κ
        return {
            "h_syn": h * a_r + jump,
            "g_syn": g * a_d + h * (a_d * -jnp.expm1(-kappa * dt) / kappa),
        }
