"""Registry entries of the graded cells (`dynax.neurons.graded`)."""

import jax
import jax.numpy as jnp
from hypothesis import strategies as st
from support.registry import Component, vector

import dynax

N = 4  # one unit count keeps the jit caches warm across examples
ONES = jnp.ones(N)
SPIKES = jnp.array([1.0, 0.0, 1.0, 1.0])
POSITIVE = vector(N, 0.0625, 5.0)
BINARY = st.lists(st.sampled_from([0.0, 1.0]), min_size=N, max_size=N).map(
    lambda v: jnp.asarray(v, jnp.float32)
)
# 0/1 as floats or as booleans (a comparison's result)
MASKS = st.one_of(BINARY, BINARY.map(lambda m: m > 0.5))


def _seed(draw):
    return draw(st.integers(0, 2**31 - 1))


def _four_inputs_in_1e3(cell, draw):
    """1000 steps of the four inputs (prediction, target, modulator, mask) uniform in
    [−1e3, 1e3]; `dt` is unused by the error cells (1, as in their own tests)."""
    keys = jax.random.split(jax.random.key(_seed(draw)), 4)
    x = [jax.random.uniform(k, (1000, N), minval=-1e3, maxval=1e3) for k in keys]
    return type(cell).Inputs(*x), 1.0


# ---------------------------------------------------------------- RateCell


RATE_INTEGRATORS = ["euler", "midpoint", "heun", "ralston", "rk4", "exponential_euler"]


@st.composite
def rate_cells(draw, stateful=None, integrators=RATE_INTEGRATORS):
    """Every prior, activation and threshold; `stateful`: τ_m > 0 (True), the memoryless
    τ_m = 0 (False) or either (None). `tests/neurons/graded/test_rate_cell.py` draws them
    too."""
    stateful = draw(st.booleans()) if stateful is None else stateful
    return dynax.RateCell(
        N,
        tau_m=draw(st.floats(0.5, 50.0)) if stateful else 0.0,
        prior=(
            draw(st.sampled_from(["gaussian", "laplacian", "cauchy", "exp"])),
            draw(st.floats(0, 2)),
        ),
        act_fx=draw(st.sampled_from(["identity", "tanh", "sigmoid", "relu", "lrelu"])),
        output_scale=draw(st.floats(0.1, 3.0)),
        threshold=draw(st.sampled_from([("none", 0.0), ("soft_threshold", 0.05)])),
        integration_type=draw(st.sampled_from(integrators)),
        resist_scale=draw(st.floats(0.1, 2.0)),
    )


def _rate_finite_run(cell, draw):
    """Inputs in [−1e3, 1e3] at dt ≤ τ (an explicit step of the leak is then stable)."""
    j = jax.random.uniform(
        jax.random.key(draw(st.integers(0, 2**31 - 1))), (1000, N), minval=-1e3, maxval=1e3
    )
    dt = draw(st.floats(0.05, 1.0)) * (float(cell.tau_m) if cell.is_stateful else 1.0)
    return dynax.RateCell.Inputs(j), min(dt, 0.5)


def _rate_state(z):
    return dynax.RateCell.State(z=z, zF=jnp.tanh(z))


RATE = Component(
    example=lambda key: dynax.RateCell(
        N, jax.random.uniform(key, (N,), minval=1, maxval=5), act_fx="tanh", prior=("cauchy", 0.3)
    ),
    example_inputs=lambda cell: dynax.RateCell.Inputs(j=ONES, j_td=0.5 * ONES),
    cells=rate_cells(),
    state=lambda cell, draw: _rate_state(draw(vector(N, -10.0, 10.0))),
    inputs=lambda cell, draw: dynax.RateCell.Inputs(
        draw(vector(N, -10.0, 10.0)), draw(vector(N, -10.0, 10.0))
    ),
    retrace=(lambda tau: dynax.RateCell(N, tau), (5.0, 10.0, 20.0)),
    finite_run=_rate_finite_run,
    bad_arguments=(
        ({"n_units": 3, "tau_m": jnp.array([1.0, 0.0, 1.0])}, "tau_m"),
        ({"n_units": 3, "tau_m": 1.0, "prior": ("student", 0.1)}, "prior"),
        ({"n_units": 3, "tau_m": 1.0, "prior": ("gaussian", -0.1)}, "prior"),
        ({"n_units": 3, "tau_m": 1.0, "prior": "gaussian"}, "prior"),
        ({"n_units": 3, "tau_m": 1.0, "threshold": ("cauchy_threshold", 0.1)}, "threshold"),
        ({"n_units": 3, "tau_m": 1.0, "threshold": ("soft_threshold", -0.1)}, "threshold"),
    ),
    kwargs={"n_units": 3, "tau_m": 10.0},
)


# ---------------------------------------------------------------- LeakyNoiseCell

# Six (activation, integrator) pairs covering every activation and integrator once: the
# static structure, and so the number of compilations, stays small across examples.
LEAKY_STRUCTURES = [
    ("relu", "euler"),
    ("identity", "midpoint"),
    ("tanh", "heun"),
    ("sigmoid", "ralston"),
    ("lrelu", "rk4"),
    ("softplus", "euler"),
]


@st.composite
def leaky_noise_cells(draw, min_sigma=0.0):
    """Noise amplitudes σ_pre, σ_post in [min_sigma, 1]. `tests/neurons/graded/
    test_leaky_noise_cell.py` draws them too."""
    act_fx, integration_type = draw(st.sampled_from(LEAKY_STRUCTURES))
    return dynax.LeakyNoiseCell(
        N,
        tau_x=draw(st.floats(1.0, 50.0)),
        act_fx=act_fx,
        integration_type=integration_type,
        sigma_pre=draw(st.floats(min_sigma, 1.0)),
        sigma_post=draw(st.floats(min_sigma, 1.0)),
        leak_scale=draw(st.floats(0.0, 2.0)),
    )


def _is_noisy(cell):
    return bool(cell.sigma_pre != 0) or bool(cell.sigma_post != 0)


def _leaky_noise_state(cell, draw):
    x = draw(vector(N, -10.0, 10.0))
    return dynax.LeakyNoiseCell.State(x=x, r=jnp.maximum(x, 0.0), r_prime=(x >= 0).astype(x.dtype))


def _leaky_noise_finite_run(cell, draw):
    """Inputs in [−1e3, 1e3] and noise at dt ≤ 0.5 (dt·leak/τ ≤ 1: τ ≥ 1, leak ≤ 2)."""
    j = jax.random.uniform(jax.random.key(_seed(draw)), (1000, N), minval=-1e3, maxval=1e3)
    return dynax.LeakyNoiseCell.Inputs(j), draw(st.floats(0.01, 0.5))


LEAKY_NOISE = Component(
    example=lambda key: dynax.LeakyNoiseCell(N, 10.0, sigma_pre=0.1, sigma_post=0.1),
    example_inputs=lambda cell: dynax.LeakyNoiseCell.Inputs(j_input=ONES, j_recurrent=SPIKES),
    # noisy cells only (σ_pre or σ_post > 0): the step draws with the key it is given; the
    # noise-free cell (key=None) is checked by the cell's own tests
    cells=leaky_noise_cells().filter(_is_noisy),
    state=_leaky_noise_state,
    inputs=lambda cell, draw: dynax.LeakyNoiseCell.Inputs(
        draw(vector(N, -10.0, 10.0)), draw(vector(N, -10.0, 10.0))
    ),
    dt=st.floats(0.01, 0.5),
    random=True,
    retrace=(lambda tau: dynax.LeakyNoiseCell(N, tau), (5.0, 10.0, 20.0)),
    finite_run=_leaky_noise_finite_run,
    bad_arguments=(
        ({"n_units": 3, "tau_x": 1.0, "act_fx": "softmax"}, "act_fx"),
        ({"n_units": 3, "tau_x": 1.0, "leak_scale": jnp.ones((3, 1))}, "leak_scale"),
    ),
    kwargs={"n_units": 3, "tau_x": 10.0},
)


# ---------------------------------------------------------------- Gaussian and Laplacian errors


def _scaled_error_cell(cls, parameter, scales, values, **fields):
    """The entry of an error cell with one scale `parameter` (Gaussian σ, Laplacian b): cells
    with a scale from `scales` (a scalar or one per unit, as the step tests drew it) or
    scaled by 0.2 (as the long run drew it: a small scale amplifies the error most),
    retraced over it; prediction and target drawn from `values`, the modulator positive or
    from `values`, a mask. A zero scale and a (1, 3) one are bad arguments. dt is unused:
    the default range (its own tests stepped at 1)."""
    return Component(
        cells=st.one_of(scales, scales.map(lambda s: 0.2 * s)).map(lambda s: cls(N, s)),
        inputs=lambda cell, draw: cls.Inputs(
            draw(values),
            draw(values),
            modulator=draw(st.one_of(POSITIVE, values)),
            mask=draw(MASKS),
        ),
        retrace=(lambda s: cls(N, s), (0.5, 1.0, 2.0)),
        finite_run=_four_inputs_in_1e3,
        bad_arguments=(
            ({"n_units": 3, parameter: jnp.array([1.0, 0.0, 1.0])}, parameter),
            ({"n_units": 3, parameter: jnp.ones((1, 3))}, parameter),
        ),
        kwargs={"n_units": 3},
        **fields,
    )


GAUSSIAN_ERROR = _scaled_error_cell(
    dynax.GaussianErrorCell,
    "sigma",
    st.one_of(st.floats(0.05, 5.0).map(lambda s: jnp.asarray(s, jnp.float32)), POSITIVE),
    vector(N, -10.0, 10.0),
    example=lambda key: dynax.GaussianErrorCell(
        N, sigma=jax.random.uniform(key, (N,), minval=0.5, maxval=2)
    ),
    example_inputs=lambda cell: dynax.GaussianErrorCell.Inputs(mu=SPIKES, target=ONES),
)


# Values on a coarse grid (as in the golden files) make ties target == shift likely.
_GRID = st.lists(st.integers(-20, 20).map(lambda k: k / 4), min_size=N, max_size=N).map(
    lambda v: jnp.asarray(v, jnp.float32)
)

LAPLACIAN_ERROR = _scaled_error_cell(
    dynax.LaplacianErrorCell,
    "scale",
    st.one_of(st.floats(0.0625, 5.0).map(lambda s: jnp.asarray(s, jnp.float32)), POSITIVE),
    _GRID,
    example=lambda key: dynax.LaplacianErrorCell(N),
    example_inputs=lambda cell: dynax.LaplacianErrorCell.Inputs(shift=SPIKES, target=ONES),
)


# ---------------------------------------------------------------- BernoulliErrorCell

_PROBABILITIES = vector(N, 2**-10, 1 - 2**-10)
_LOGITS = vector(N, -12.0, 12.0)
_WIDE = vector(N, -1e3, 1e3)  # probabilities out of [0, 1] included
_SOFT = vector(N, 0.0, 1.0)


def _bernoulli_error_inputs(cell, draw):
    """p a probability (sometimes out of range) or a logit (sometimes saturated), a binary
    (0/1 or boolean) or soft target, a modulator and a mask."""
    p = draw(st.one_of(_LOGITS if cell.input_logits else _PROBABILITIES, _WIDE))
    return dynax.BernoulliErrorCell.Inputs(
        p,
        draw(st.one_of(MASKS, _SOFT)),
        modulator=draw(st.one_of(POSITIVE, _PROBABILITIES)),
        mask=draw(MASKS),
    )


BERNOULLI_ERROR = Component(
    example=lambda key: dynax.BernoulliErrorCell(N),
    example_inputs=lambda cell: dynax.BernoulliErrorCell.Inputs(p=0.3 * ONES, target=SPIKES),
    cells=st.builds(dynax.BernoulliErrorCell, st.just(N), input_logits=st.booleans()),
    inputs=_bernoulli_error_inputs,
    # dt is unused: the default range (its own tests stepped at 1)
    # the bound of the cell's own tests: 1/q, 1/(1 − q) (up to 1/ε = 1e4) and log σ near the
    # clip are where a fused step's rounding differs most
    rtol=1e-5,
    finite_run=_four_inputs_in_1e3,
    bad_arguments=(
        ({"n_units": 3, "eps": 0.5}, "eps"),
        ({"n_units": 3, "eps": -1e-3}, "eps"),
        ({"n_units": 3, "eps": float("nan")}, "eps"),
        ({"n_units": 3, "eps": jnp.asarray(1e-4)}, "eps"),
    ),
    kwargs={"n_units": 3},
)


# ---------------------------------------------------------------- RewardErrorCell


@st.composite
def _reward_error_cells(draw):
    return dynax.RewardErrorCell(
        N,
        alpha=draw(st.floats(0.0, 1.0)),
        ema_window_len=draw(st.floats(1.0, 50.0)),
        use_online_predictor=draw(st.booleans()),
    )


def _reward_error_state(cell, draw):
    return dynax.RewardErrorCell.State(
        mu=draw(vector(N, -10.0, 10.0)),
        rpe=draw(vector(N, -10.0, 10.0)),
        accum_reward=draw(vector(N, -10.0, 10.0)),
        n_ep_steps=jnp.float32(draw(st.integers(0, 100))),
    )


def _reward_finite_run(cell, draw):
    """1000 rewards uniform in [−1e3, 1e3]; `dt` is unused (1, as in its own tests)."""
    reward = jax.random.uniform(jax.random.key(_seed(draw)), (1000, N), minval=-1e3, maxval=1e3)
    return dynax.RewardErrorCell.Inputs(reward), 1.0


REWARD_ERROR = Component(
    example=lambda key: dynax.RewardErrorCell(N, 0.1),
    example_inputs=lambda cell: dynax.RewardErrorCell.Inputs(reward=SPIKES),
    cells=_reward_error_cells(),
    state=_reward_error_state,
    inputs=lambda cell, draw: dynax.RewardErrorCell.Inputs(draw(vector(N, -10.0, 10.0))),
    # dt is unused: the default range (its own tests stepped at 1)
    retrace=(lambda alpha: dynax.RewardErrorCell(N, alpha), (0.1, 0.5, 0.9)),
    finite_run=_reward_finite_run,
    bad_arguments=(
        ({"n_units": 3, "alpha": 1.5}, "alpha"),
        ({"n_units": 3, "alpha": jnp.ones(2) * 0.1}, "alpha"),
        ({"n_units": 3, "alpha": 0.1, "ema_window_len": 0.5}, "ema_window_len"),
    ),
    kwargs={"n_units": 3, "alpha": 0.1},
)


COMPONENTS = {
    "BernoulliErrorCell": BERNOULLI_ERROR,
    "GaussianErrorCell": GAUSSIAN_ERROR,
    "LaplacianErrorCell": LAPLACIAN_ERROR,
    "LeakyNoiseCell": LEAKY_NOISE,
    "RateCell": RATE,
    "RewardErrorCell": REWARD_ERROR,
}
