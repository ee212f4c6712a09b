"""LeakyNoiseCell: a noisy leaky rate unit (ngclearn's `LeakyNoiseCell`)."""

from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from ..._core import AbstractCell, require_key
from ..._typing import Param, ParamLike, TimeStep
from ..._validate import (
    as_param,
    check_input,
    check_int,
    check_nonnegative,
    check_positive,
    check_time_step,
    check_unit_param,
    concrete,
)
from ...activations import check_activation, get_activation
from ...integrate import check_integrator, get_integrator


class LeakyNoiseCellState(eqx.Module):
    """`x`: the pre-rectification state; `r = f(x) + σ_post·ε_post`: the rate read by other
    cells; `r_prime = f'(x)`."""

    x: Float[Array, " n"]
    r: Float[Array, " n"]
    r_prime: Float[Array, " n"]


class LeakyNoiseCellInputs(eqx.Module):
    """`j_input`: external current; `j_recurrent`: recurrent current (absent ⇒ 0)."""

    j_input: Float[Array, " n"]
    j_recurrent: Float[Array, " n"] | None = None


class LeakyNoiseCell(AbstractCell):
    r"""A leaky rate unit with noise before and after its rectifier.

    With two independent standard normal samples ε_pre, ε_post per step and λ = `leak_scale`,

    $$τ_x \frac{dx}{dt} = −λ·x + j_{rec} + j_{in} + \sqrt{2 τ_x σ_{pre}^2}·ε_{pre},$$

    integrated over `dt` by the named integrator with the currents and ε_pre held fixed in
    every stage; then `r = f(x⁺) + σ_post·ε_post` and `r_prime = f'(x⁺)`.

    The noise term keeps the reference's scaling: ε_pre is a forcing held constant over the
    step, so its effect on x grows like `dt`, not `√dt`. This is not a discretisation of an
    SDE: an Euler–Maruyama step of `dx = (−λx + j)/τ_x dt + σ_pre·√(2/τ_x) dW` (stationary
    variance σ_pre² for λ = 1, j = 0) would scale ε_pre by `√dt`. So the noise level of a
    trajectory depends on `dt`, as in the reference.

    `step` draws the two samples from `key` as
    `k_pre, k_post = jax.random.split(key)`, `ε_pre = normal(k_pre, (n,))`,
    `ε_post = normal(k_post, (n,))`, then calls `step_with_noise`, which takes the samples
    explicitly. With `sigma_pre = sigma_post = 0` the cell is deterministic and `step`
    accepts `key=None`.

    Differences from ngclearn 3.2.3: ε_pre and ε_post are independent (the reference uses
    one sample for both); `sigma_post` defaults to 0 (the reference's 0.1 contradicts its
    docstring); integrator names mean what they say (the reference runs RK4 for "heun" and
    raises KeyError for "ralston"/"rk4"); the key is an argument of `step`, not state. The
    `(H, W, C)` shape option is not part of this cell: `vmap` over extra axes.
    """

    State: ClassVar = LeakyNoiseCellState
    Inputs: ClassVar = LeakyNoiseCellInputs

    tau_x: Param
    leak_scale: Param
    sigma_pre: Param
    sigma_post: Param
    n_units: int = eqx.field(static=True)
    act_fx: str = eqx.field(static=True)
    integration_type: str = eqx.field(static=True)

    def __init__(
        self,
        n_units: int,
        tau_x: ParamLike,
        act_fx: str = "relu",
        integration_type: str = "euler",
        sigma_pre: ParamLike = 0.1,
        sigma_post: ParamLike = 0.0,
        leak_scale: ParamLike = 1.0,
    ):
        """**Arguments:**

        - `n_units`: number of units.
        - `tau_x`: time constant (> 0, scalar or per unit).
        - `act_fx`: the rectifier f, an elementwise activation of `dynax.activations`.
        - `integration_type`: a name of `dynax.integrate.INTEGRATORS`.
        - `sigma_pre`: scale of the noise added to dx/dt (≥ 0; the reference's default 0.1).
        - `sigma_post`: scale of the noise added to the rate after the rectifier (≥ 0;
            default 0, as the reference's docstring says: post-rectification noise makes a
            rectified rate negative, so it is opt-in).
        - `leak_scale`: strength of the leak (≥ 0).
        """
        owner = type(self).__name__
        check_int(owner, "n_units", n_units, minimum=1)
        self.n_units = n_units
        self.tau_x = as_param(tau_x)
        check_unit_param(owner, "tau_x", self.tau_x, n_units)
        check_positive(owner, "tau_x", self.tau_x)
        check_activation(owner, "act_fx", act_fx)
        if not get_activation(act_fx).elementwise:
            raise ValueError(
                f"{owner}: `act_fx` must be an elementwise activation (r_prime = f'(x) is one "
                f"value per unit), got {act_fx!r}."
            )
        self.act_fx = act_fx
        check_integrator(owner, integration_type)
        self.integration_type = integration_type
        for name, value in (
            ("sigma_pre", sigma_pre),
            ("sigma_post", sigma_post),
            ("leak_scale", leak_scale),
        ):
            param = as_param(value)
            check_unit_param(owner, name, param, n_units)
            check_nonnegative(owner, name, param)
            setattr(self, name, param)

    def init_state(self, *, key: PRNGKeyArray | None = None) -> LeakyNoiseCellState:
        """All zeros: `x = r = r_prime = 0` (the reference's reset)."""
        zeros = jnp.zeros((self.n_units,), dtype=self.tau_x.dtype)
        return LeakyNoiseCellState(x=zeros, r=zeros, r_prime=zeros)

    def _check_noise_free(self, x: Array) -> Array:
        """`x`, after checking that both noise scales are 0 (needed when `key` is None)."""
        owner = type(self).__name__
        values = [concrete(self.sigma_pre), concrete(self.sigma_post)]
        if all(v is not None for v in values):
            if any((v != 0).any() for v in values):
                require_key(owner, None)
            return x
        # Scales traced (the module is a jit argument): fail at run time instead.
        noisy = jnp.any(self.sigma_pre != 0) | jnp.any(self.sigma_post != 0)
        return eqx.error_if(
            x,
            noisy,
            f"{owner}.step draws random numbers (sigma_pre or sigma_post != 0) and "
            "needs a PRNG key, got key=None.",
        )

    def step(
        self,
        state: LeakyNoiseCellState,
        inputs: LeakyNoiseCellInputs,
        key: PRNGKeyArray | None,
        dt: TimeStep,
    ) -> LeakyNoiseCellState:
        """Draws ε_pre, ε_post from `key` (see the class docstring) and advances by `dt`.
        `key` may be None when `sigma_pre = sigma_post = 0`."""
        shape = (self.n_units,)
        dtype = state.x.dtype
        if key is None:
            x = self._check_noise_free(state.x)
            state = eqx.tree_at(lambda s: s.x, state, x)
            eps_pre = eps_post = jnp.zeros(shape, dtype)
        else:
            k_pre, k_post = jax.random.split(key)
            eps_pre = jax.random.normal(k_pre, shape, dtype)
            eps_post = jax.random.normal(k_post, shape, dtype)
        return self.step_with_noise(state, inputs, eps_pre, eps_post, dt)

    def step_with_noise(
        self,
        state: LeakyNoiseCellState,
        inputs: LeakyNoiseCellInputs,
        eps_pre: Float[Array, " n"],
        eps_post: Float[Array, " n"],
        dt: TimeStep,
    ) -> LeakyNoiseCellState:
        """The deterministic update given this step's standard normal samples.

        **Arguments:**

        - `state`, `inputs`, `dt`: as in `step`.
        - `eps_pre`: the sample scaled by `√(2τ_x σ_pre²)` in dx/dt (held fixed in all stages).
        - `eps_post`: the sample scaled by `σ_post` and added to the rate.

        **Returns:** the state at t + dt.
        """
        owner = type(self).__name__
        shape = (self.n_units,)
        check_input(owner, "j_input", inputs.j_input, shape)
        j_rec = inputs.j_recurrent
        if j_rec is None:
            j_rec = jnp.zeros(shape, state.x.dtype)
        check_input(owner, "j_recurrent", j_rec, shape)
        check_input(owner, "eps_pre", eps_pre, shape)
        check_input(owner, "eps_post", eps_post, shape)
        check_time_step(owner, dt)
        # √(2τ_x σ_pre²) written as √(2τ_x)·σ_pre (σ_pre ≥ 0): the same value, and its
        # gradient stays finite at σ_pre = 0 (that of the square root of 0 is not).
        noise_scale = jnp.sqrt(2.0 * self.tau_x) * self.sigma_pre
        drive = j_rec + inputs.j_input + noise_scale * eps_pre

        def vector_field(t, x, args):
            return (drive - self.leak_scale * x) / self.tau_x

        x = get_integrator(self.integration_type)(vector_field, 0.0, state.x, dt, None)
        activation = get_activation(self.act_fx)
        r = activation.fx(x) + self.sigma_post * eps_post
        r_prime = activation.dfx(x)
        return LeakyNoiseCellState(
            x=x.astype(state.x.dtype),
            r=r.astype(state.r.dtype),
            r_prime=r_prime.astype(state.r_prime.dtype),
        )
