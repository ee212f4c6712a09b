"""RewardErrorCell: golden parity with ngclearn (its offline defect pinned), properties of
`evolve` and `new_episode`, closed forms (the contract of `step`: `tests/test_contract.py`)."""

import re

import chex
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import contract
from support.golden import constructor_kwargs, golden_names, load_golden

from dynax.neurons.graded.reward_error_cell import RewardErrorCell

REFERENCE_DEFAULT_WINDOW = 10.0  # ngclearn's default `ema_window_len` (spec §4.6)
FIELDS = ("mu", "rpe", "accum_reward")


def _evolve_period(golden):
    """Every how many steps the file's schedule runs `evolve` right after `advance_state`
    (None when it never does), read from `meta_json.schedule`."""
    match = re.search(r"evolve[^;]*k % (\d+) == 0", golden.meta["schedule"])
    return None if match is None else int(match.group(1))


def _run(cell, golden):
    """Free run of the batch (vmap) with the file's schedule; returns the states after each
    scheduled step (evolve included), stacked over time."""
    step = jax.jit(jax.vmap(lambda s, r: cell.step(s, RewardErrorCell.Inputs(r), None, golden.dt)))
    evolve = jax.jit(jax.vmap(cell.evolve))
    period = _evolve_period(golden)
    state = jax.vmap(lambda _: cell.init_state())(jnp.arange(golden.batch_size))
    out = []
    for k in range(1, golden.num_steps + 1):
        state = step(state, golden.inputs["reward"][k - 1])
        if period is not None and k % period == 0:
            state = evolve(state)
        out.append(state)
    return jax.tree.map(lambda *xs: np.stack(xs), *out)


def _assert_close(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)


def _is_online(name):
    return load_golden(name).params.get("use_online_predictor", True)


ONLINE = [n for n in golden_names("RewardErrorCell") if _is_online(n)]
OFFLINE = [n for n in golden_names("RewardErrorCell") if not _is_online(n)]


@pytest.mark.parametrize("name", ONLINE)
def test_matches_reference(name):
    golden = load_golden(name)
    states = _run(RewardErrorCell(**constructor_kwargs(golden, {"batch_size": None})), golden)
    for field in FIELDS:
        _assert_close(getattr(states, field), golden.traj[field])
    _assert_close(states.n_ep_steps, golden.traj["n_ep_steps"][..., 0])


def test_evolve_does_not_start_a_new_episode_in_the_reference():
    """The recorded episode counter and reward sum run on through every `evolve`; dynax's
    `evolve` does the same (parity above) and leaves the reset to `new_episode`."""
    names = [n for n in ONLINE if _evolve_period(load_golden(n)) is not None]
    assert names
    for name in names:
        golden = load_golden(name)
        steps = np.arange(1, golden.num_steps + 1, dtype=np.float32)
        np.testing.assert_array_equal(golden.traj["n_ep_steps"][:, 0, 0], steps)
        _assert_close(golden.traj["accum_reward"], np.cumsum(golden.inputs["reward"], axis=0))


@pytest.mark.parametrize("name", OFFLINE)
def test_offline_prediction_happens_in_evolve(name):
    """Defect 8: without the online predictor the reference never changes μ (its docstring
    says the prediction happens in `evolve`). dynax does what the docstring says; its μ is
    checked against the episodic average recomputed here from the RECORDED reward sums and
    step counts: μ ← (1 − 1/W)·μ + (1/W)·A/n at each scheduled evolve, constant otherwise,
    and rpe = reward − μ_old."""
    golden = load_golden(name)
    cell = RewardErrorCell(**constructor_kwargs(golden, {"batch_size": None}))
    states = _run(cell, golden)
    np.testing.assert_array_equal(golden.traj["mu"], 0.0)  # the defect, pinned
    # Sums and counts are the reference's.
    _assert_close(states.accum_reward, golden.traj["accum_reward"])
    _assert_close(states.n_ep_steps, golden.traj["n_ep_steps"][..., 0])
    window = golden.params.get("ema_window_len", REFERENCE_DEFAULT_WINDOW)
    period = _evolve_period(golden)
    assert period is not None
    mu = np.asarray(golden.init["mu"], dtype=np.float64)
    expected_mu, expected_rpe = [], []
    for k in range(1, golden.num_steps + 1):
        expected_rpe.append(golden.inputs["reward"][k - 1] - mu)
        if k % period == 0:
            mean = golden.traj["accum_reward"][k - 1] / golden.traj["n_ep_steps"][k - 1]
            mu = (1.0 - 1.0 / window) * mu + mean / window
        expected_mu.append(mu)
    _assert_close(states.mu, np.stack(expected_mu))
    _assert_close(states.rpe, np.stack(expected_rpe))
    assert np.abs(np.stack(expected_mu)).max() > 1e-3  # μ really moves
    # Before the first evolve, dynax and the reference agree on everything.
    _assert_close(states.rpe[:period], golden.traj["rpe"][:period])
    _assert_close(states.mu[: period - 1], golden.traj["mu"][: period - 1])


def test_default_window_is_the_reference_default():
    assert float(RewardErrorCell(3, 0.1).ema_window_len) == REFERENCE_DEFAULT_WINDOW


# ---------------------------------------------------------------- properties (hypothesis)

N = 4  # one unit count keeps jit caches warm across examples
finite = st.floats(-10.0, 10.0, allow_nan=False, width=32)
units = st.lists(finite, min_size=N, max_size=N).map(lambda v: jnp.asarray(v, jnp.float32))


@st.composite
def cells(draw):
    return RewardErrorCell(
        N,
        alpha=draw(st.floats(0.0, 1.0)),
        ema_window_len=draw(st.floats(1.0, 50.0)),
        use_online_predictor=draw(st.booleans()),
    )


@st.composite
def states(draw):
    return RewardErrorCell.State(
        mu=draw(units),
        rpe=draw(units),
        accum_reward=draw(units),
        n_ep_steps=jnp.float32(draw(st.integers(0, 100))),
    )


@given(cells(), states())
def test_evolve_is_pure_and_preserves_structure(cell, state):
    before = jax.tree.map(np.array, state)
    first, second = cell.evolve(state), cell.evolve(state)
    chex.assert_trees_all_equal(first, second)
    chex.assert_trees_all_equal(state, before)
    contract.assert_structure_preserved(state, first)


@given(cells(), st.lists(units, min_size=9, max_size=9))
def test_evolve_vmap_matches_loop(cell, rows):
    x = jnp.stack(rows).reshape(3, 3, N)
    batch = RewardErrorCell.State(x[:, 0], x[:, 1], x[:, 2], jnp.array([0.0, 3.0, 7.0]))
    evolved = jax.vmap(cell.evolve)(batch)
    for b in range(3):
        single = cell.evolve(jax.tree.map(lambda v, b=b: v[b], batch))
        chex.assert_trees_all_close(jax.tree.map(lambda v, b=b: v[b], evolved), single)


@given(cells())
def test_zero_reward_keeps_the_rest_state(cell):
    """From rest, zero reward keeps μ, rpe and the reward sum at 0 (only the count moves),
    and `evolve` keeps μ at 0."""
    steps = 20
    _, traj = eqx.filter_jit(contract.run_steps)(
        cell, cell.init_state(), RewardErrorCell.Inputs(jnp.zeros((steps, N))), None, 1.0
    )
    for field in FIELDS:
        np.testing.assert_array_equal(getattr(traj, field), np.zeros((steps, N)))
    np.testing.assert_array_equal(traj.n_ep_steps, np.arange(1, steps + 1))
    np.testing.assert_array_equal(jax.vmap(cell.evolve)(traj).mu, np.zeros((steps, N)))


@given(cells(), states())
def test_evolve_before_any_step_leaves_mu_unchanged(cell, state):
    """Defect 8 (second half): the reference's `evolve` with n = 0 divides by zero (NaN).
    dynax has no episode mean then and keeps μ; the gradient through it is finite too."""
    state = cell.new_episode(state)
    evolved = cell.evolve(state)
    np.testing.assert_array_equal(evolved.mu, state.mu)
    chex.assert_tree_all_finite(evolved)
    grad = jax.grad(lambda s: jnp.sum(cell.evolve(s).mu))(state)
    chex.assert_tree_all_finite(grad)


@given(cells(), states())
def test_new_episode_clears_the_episode_and_keeps_the_prediction(cell, state):
    new = cell.new_episode(state)
    np.testing.assert_array_equal(new.accum_reward, np.zeros(N))
    assert float(new.n_ep_steps) == 0.0
    np.testing.assert_array_equal(new.mu, state.mu)
    np.testing.assert_array_equal(new.rpe, state.rpe)


@jax.jit
def _loss(alpha):
    reward = jnp.sin(jnp.arange(20.0 * N).reshape(20, N))
    cell = RewardErrorCell(N, alpha, ema_window_len=4.0)
    final, _ = contract.run_steps(
        cell, cell.init_state(), RewardErrorCell.Inputs(reward), None, 1.0
    )
    return jnp.sum(cell.evolve(final).mu ** 2) + jnp.sum(final.rpe)


@given(st.floats(0.05, 0.95))
def test_gradient_wrt_alpha_matches_finite_difference(alpha):
    contract.assert_grad_matches_finite_difference(_loss, alpha)


@jax.jit
def _constant_reward_run(alpha, reward):
    cell = RewardErrorCell(1, alpha)
    rewards = RewardErrorCell.Inputs(jnp.full((30, 1), reward))
    return contract.run_steps(cell, cell.init_state(), rewards, None, 1.0)[1]


@given(st.floats(0.0, 1.0), st.floats(-5.0, 5.0))
def test_online_prediction_is_the_closed_form_average(alpha, reward):
    """Constant reward R from μ = 0: μ_k = R·(1 − (1−α)^k), rpe_k = R·(1−α)^(k−1)."""
    traj = _constant_reward_run(alpha, reward)
    k = np.arange(1, 31)[:, None]
    decay = (1.0 - alpha) ** k
    np.testing.assert_allclose(traj.mu, reward * (1.0 - decay), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(traj.rpe, reward * (1.0 - alpha) ** (k - 1), rtol=1e-4, atol=1e-5)


def test_offline_episodes_average_the_episode_means():
    """Offline, W = 2: μ is constant within an episode and after each episode moves half-way
    to its mean reward (episodes separated by `new_episode`)."""
    cell = RewardErrorCell(2, 0.3, ema_window_len=2.0, use_online_predictor=False)
    state, expected = cell.init_state(), np.zeros(2)
    for episode in ([1.0, 3.0], [-2.0, 0.0, 5.0]):
        for r in episode:
            state = cell.step(state, RewardErrorCell.Inputs(jnp.array([r, 2 * r])), None, 1.0)
            np.testing.assert_allclose(state.mu, expected)
        state = cell.new_episode(cell.evolve(state))
        expected = 0.5 * expected + 0.5 * np.mean(episode) * np.array([1.0, 2.0])
        np.testing.assert_allclose(state.mu, expected, rtol=1e-6)


def test_per_unit_alpha_is_heterogeneous():
    alpha = jnp.array([0.0, 0.25, 0.5, 1.0])
    cell = RewardErrorCell(N, alpha)
    new = cell.step(cell.init_state(), RewardErrorCell.Inputs(jnp.full(N, 2.0)), None, 1.0)
    np.testing.assert_allclose(new.mu, 2.0 * np.asarray(alpha))
