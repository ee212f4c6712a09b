"""LeakyNoiseCell: a noisy leaky rate unit (ngclearn's `LeakyNoiseCell`)."""

from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from ..._core import AbstractCell, CellState, require_key
from ..._fields import parameter, size
from ..._typing import Param, TimeStep
from ..._validate import NONNEGATIVE, POSITIVE, check_input, concrete
from ...activations import activation_name, get_activation
from ...integrate import AbstractStepper, stepper


class LeakyNoiseCellState(CellState):
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

    **Arguments** (every parameter is a scalar or one value per unit):

    - `n_units`: number of units.
    - `tau_x`: time constant (> 0).
    - `act_fx`: the rectifier f, an elementwise activation of `dynax.activations`.
    - `integration_type`: a name of `dynax.integrate.INTEGRATORS` or a stepper.
    - `sigma_pre`: scale of the noise added to dx/dt (≥ 0; the reference's default 0.1).
    - `sigma_post`: scale of the noise added to the rate after the rectifier (≥ 0; default
        0, as the reference's docstring says: post-rectification noise makes a rectified
        rate negative, so it is opt-in).
    - `leak_scale`: strength of the leak (≥ 0).

    Differences from ngclearn 3.2.3: `docs/migrating-from-ngclearn.md` §7.2.
    """

    State: ClassVar = LeakyNoiseCellState
    Inputs: ClassVar = LeakyNoiseCellInputs

    n_units: int = size()
    tau_x: Param = parameter(constraint=POSITIVE)
    act_fx: str = activation_name("relu", elementwise=True)
    integration_type: AbstractStepper = stepper("euler")
    sigma_pre: Param = parameter(0.1, NONNEGATIVE)
    sigma_post: Param = parameter(0.0, NONNEGATIVE)
    leak_scale: Param = parameter(1.0, NONNEGATIVE)

    def vector_field(
        self, t: Float[Array, ""], x: Float[Array, " n"], args: Float[Array, " n"]
    ) -> Float[Array, " n"]:
        """dx/dt at `x` under the drive `args = j_rec + j_in + noise` (autonomous)."""
        return (args - self.leak_scale * x) / self.tau_x

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
        self.check_step(state, inputs, dt)
        shape = (self.n_units,)
        owner = f"{type(self).__name__}.step_with_noise"
        check_input(owner, "eps_pre", eps_pre, shape)
        check_input(owner, "eps_post", eps_post, shape)
        j_rec = 0.0 if inputs.j_recurrent is None else inputs.j_recurrent
        # √(2τ_x σ_pre²) written as √(2τ_x)·σ_pre (σ_pre ≥ 0): the same value, and its
        # gradient stays finite at σ_pre = 0 (that of the square root of 0 is not).
        noise_scale = jnp.sqrt(2.0 * self.tau_x) * self.sigma_pre
        drive = j_rec + inputs.j_input + noise_scale * eps_pre
        x = self.integration_type(self.vector_field, 0.0, state.x, dt, drive)
        activation = get_activation(self.act_fx)
        r = activation.fx(x) + self.sigma_post * eps_post
        r_prime = activation.dfx(x)
        return state.replace(x=x, r=r, r_prime=r_prime)
