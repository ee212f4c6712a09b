"""RewardErrorCell: reward prediction error with a running reward prediction (ngclearn's
`RewardErrorCell`)."""

from typing import ClassVar

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from ..._core import AbstractCell, CellState
from ..._fields import parameter, size, switch
from ..._typing import Param, TimeStep
from ..._validate import PROBABILITY, at_least


class RewardErrorCellState(CellState):
    """`mu`: the reward prediction; `rpe = reward − mu_old`: the reward prediction error;
    `accum_reward`: the reward summed over the episode; `n_ep_steps`: the number of steps of
    the episode so far (a float scalar, one count per sample)."""

    mu: Float[Array, " n"]
    rpe: Float[Array, " n"]
    accum_reward: Float[Array, " n"]
    n_ep_steps: Float[Array, ""]


class RewardErrorCellInputs(eqx.Module):
    """`reward`: the reward received in this step."""

    reward: Float[Array, " n"]


class RewardErrorCell(AbstractCell):
    r"""A reward prediction error unit.

    Each `step` (ngclearn's `advance_state`):

    $$\text{rpe} = r − μ, \qquad A ← A + r, \qquad n ← n + 1,$$

    and, with the online predictor, `μ ← (1 − α)·μ + α·r` (an exponential moving average
    of the reward per step). Without it μ does not change within an episode.

    `evolve` (the end-of-episode update, a pure method returning a new state) moves the
    prediction towards the episode's mean reward `r̄ = A / n` with window W:

    $$μ ← (1 − 1/W)·μ + (1/W)·r̄.$$

    Before any step of an episode (n = 0) there is no mean reward and `evolve` leaves μ
    unchanged. `evolve` does not start a new episode (as in the reference, A and n keep
    counting); `new_episode` clears A and n and keeps μ (the prediction carries over).

    **Arguments:**

    - `n_units`: number of units.
    - `alpha`: rate of the online moving average, in [0, 1] (scalar or per unit).
    - `ema_window_len`: the window W ≥ 1 of the episodic update in `evolve` (scalar or
        per unit; 1 replaces μ by the episode's mean reward).
    - `use_online_predictor`: update μ in every step (True) or only in `evolve` (False).

    Differences from ngclearn 3.2.3: `docs/migrating-from-ngclearn.md` §7.2.
    """

    State: ClassVar = RewardErrorCellState
    Inputs: ClassVar = RewardErrorCellInputs

    n_units: int = size()
    alpha: Param = parameter(constraint=PROBABILITY)
    ema_window_len: Param = parameter(10.0, at_least(1.0))
    use_online_predictor: bool = switch(True)

    def init_state(self, *, key: PRNGKeyArray | None = None) -> RewardErrorCellState:
        """All zeros (the reference's reset)."""
        zeros = jnp.zeros((self.n_units,), dtype=self.alpha.dtype)
        return RewardErrorCellState(
            mu=zeros, rpe=zeros, accum_reward=zeros, n_ep_steps=jnp.zeros((), zeros.dtype)
        )

    def step(
        self,
        state: RewardErrorCellState,
        inputs: RewardErrorCellInputs,
        key: PRNGKeyArray | None,
        dt: TimeStep,
    ) -> RewardErrorCellState:
        """One step of the episode (see the class docstring); `key` and `dt` are unused."""
        self.check_step(state, inputs, dt)
        reward = inputs.reward
        mu = state.mu
        if self.use_online_predictor:
            mu = (1.0 - self.alpha) * mu + self.alpha * reward
        return state.replace(
            mu=mu,
            rpe=reward - state.mu,
            accum_reward=state.accum_reward + reward,
            n_ep_steps=state.n_ep_steps + 1,
        )

    def evolve(self, state: RewardErrorCellState) -> RewardErrorCellState:
        """The end-of-episode update of the prediction: `μ ← (1 − 1/W)·μ + (1/W)·A/n`, or μ
        unchanged when n = 0. Returns a new state; `rpe`, `accum_reward` and `n_ep_steps`
        are kept (call `new_episode` to start the next episode)."""
        n = state.n_ep_steps
        started = n > 0
        mean_reward = state.accum_reward / jnp.where(started, n, 1.0)
        weight = 1.0 / self.ema_window_len
        mu = jnp.where(started, (1.0 - weight) * state.mu + weight * mean_reward, state.mu)
        return eqx.tree_at(lambda s: s.mu, state, mu.astype(state.mu.dtype))

    def new_episode(self, state: RewardErrorCellState) -> RewardErrorCellState:
        """The state at the start of a new episode: `accum_reward = 0`, `n_ep_steps = 0`;
        `mu` and `rpe` are kept."""
        return eqx.tree_at(
            lambda s: (s.accum_reward, s.n_ep_steps),
            state,
            (jnp.zeros_like(state.accum_reward), jnp.zeros_like(state.n_ep_steps)),
        )
