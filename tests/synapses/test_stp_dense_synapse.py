"""STPDenseSynapse: parity with ngclearn where it is right (1×1), the column-gating defect
pinned on the n×n files, analytic Tsodyks–Markram oracles, the two resource modes, event-driven
steps, gradients, bad input (the contract itself: tests/test_contract.py, entry in
tests/components/synapses.py)."""

import copy
import re

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from components.synapses import stp_synapses
from hypothesis import given
from hypothesis import strategies as st
from support import contract
from support import hlo as hlo_text
from support.golden import constructor_kwargs, golden_names, load_golden

from dynax.synapses.stp_dense_synapse import STPDenseSynapse

Inputs = STPDenseSynapse.Inputs

# ---------------------------------------------------------------- golden files


def _kwargs_from_golden(golden, transpose=False):
    """The file's parameters with its recorded initial arrays. `p_conn` is dropped: the
    reference forwards it into `p_release_mean`, where it has no effect (defect 16)."""
    kwargs = constructor_kwargs(golden, {"key_seed": None, "p_conn": None})
    w, u = golden.init["weights"], golden.init["resources"]
    kwargs["weight_init"] = w.T if transpose else w
    kwargs["resources_init"] = u.T if transpose else u
    biases = golden.init["biases"]
    kwargs["bias_init"] = biases[0] if biases.ndim == 2 else biases
    return kwargs


def _run(synapse, golden):
    """Steps the one recorded sample (the reference runs batch 1 only)."""
    spikes = golden.inputs["inputs"][:, 0]
    _, states = jax.jit(lambda s: contract.run_steps(synapse, s, Inputs(spikes), None, golden.dt))(
        synapse.init_state()
    )
    wdyn = jax.vmap(synapse.Wdyn)(states)
    return states, np.asarray(wdyn), spikes


def _gain_and_bias(synapse):
    bias = 0.0 if synapse.biases is None else np.asarray(synapse.biases)
    return np.asarray(synapse.g_conduct_factor), bias


def _names_where(condition):
    return [n for n in golden_names("STPDenseSynapse") if condition(load_golden(n))]


ONE_BY_ONE = _names_where(lambda g: g.init["weights"].shape == (1, 1))
N_BY_N = _names_where(lambda g: g.init["weights"].shape != (1, 1))
WITH_P_CONN = _names_where(lambda g: g.params.get("p_conn", 1.0) != 1.0)


@pytest.mark.parametrize("name", ONE_BY_ONE)
def test_matches_reference_where_rows_and_columns_coincide(name):
    """For a 1×1 synapse (the tutorial's case) the reference's column gating is the row
    gating: dynax matches u, x, Wdyn and outputs at every step. Larger files: next tests."""
    golden = load_golden(name)
    synapse = STPDenseSynapse(**_kwargs_from_golden(golden))
    states, wdyn, _ = _run(synapse, golden)
    tol = {"rtol": 1e-5, "atol": 1e-6}
    np.testing.assert_allclose(states.u, golden.traj["u"], **tol)
    np.testing.assert_allclose(states.x, golden.traj["x"], **tol)
    np.testing.assert_allclose(wdyn, golden.traj["Wdyn"], **tol)
    np.testing.assert_allclose(states.outputs, golden.traj["outputs"][:, 0], **tol)


@pytest.mark.parametrize("name", golden_names("STPDenseSynapse"))
def test_reference_gates_by_columns(name):
    """Defect 17: the reference gates synapse (i, j) by the spike of unit j (the column).
    Running dynax (which gates row i by s_i) on Wᵀ and Uᵀ reproduces its u, x and Wdyn as
    transposes at every step, and its outputs as s @ (Wdyn_dynaxᵀ · g) + b."""
    golden = load_golden(name)
    synapse = STPDenseSynapse(**_kwargs_from_golden(golden, transpose=True))
    states, wdyn, spikes = _run(synapse, golden)
    tol = {"rtol": 1e-5, "atol": 1e-6}
    np.testing.assert_allclose(np.swapaxes(states.u, 1, 2), golden.traj["u"], **tol)
    np.testing.assert_allclose(np.swapaxes(states.x, 1, 2), golden.traj["x"], **tol)
    np.testing.assert_allclose(np.swapaxes(wdyn, 1, 2), golden.traj["Wdyn"], **tol)
    gain, bias = _gain_and_bias(synapse)
    outputs = np.einsum("ti,tji->tj", spikes, wdyn) * gain + bias
    np.testing.assert_allclose(outputs, golden.traj["outputs"][:, 0], **tol)


@pytest.mark.parametrize("name", N_BY_N)
def test_row_gating_differs_from_the_reference_on_nxn(name):
    """The defect is real: with presynaptic (row) gating the n×n trajectories differ."""
    golden = load_golden(name)
    states, wdyn, _ = _run(STPDenseSynapse(**_kwargs_from_golden(golden)), golden)
    assert np.abs(wdyn - golden.traj["Wdyn"]).max() > 1e-2
    assert np.abs(states.outputs - golden.traj["outputs"][:, 0]).max() > 1e-2


@pytest.mark.parametrize("name", WITH_P_CONN)
def test_reference_p_conn_has_no_effect(name):
    """Defect 16: the reference's STP forwards `p_conn` into `p_release_mean`: its weights
    have no pruned entry although `p_conn < 1`. dynax, built from the same key and
    initializers, draws the same weights and really prunes some of them."""
    golden = load_golden(name)
    p_conn = golden.params.get("p_conn", 1.0)
    reference = golden.init["weights"]
    assert 0.0 < p_conn < 1.0
    assert np.all(reference != 0.0)
    kwargs = constructor_kwargs(golden, {"key_seed": None})
    synapse = STPDenseSynapse(**kwargs, key=jax.random.PRNGKey(golden.params["key_seed"]))
    ours = np.asarray(synapse.weights)
    assert np.all((ours == reference) | (ours == 0.0))
    assert 0 < np.mean(ours == 0.0) < 1


# ---------------------------------------------------------------- analytic oracles


def _decay_factor(dt, tau, decay):
    return 1.0 - dt / tau if decay == "linear" else np.exp(-dt / tau)


@pytest.mark.parametrize(("decay", "dt"), [("linear", 1.0), ("linear", 0.5), ("exponential", 0.7)])
def test_regular_spike_train_follows_the_closed_form(decay, dt):
    """Presynaptic unit i fires every P_i steps from step 0. Between spikes u decays by
    a_f = 1 − dt/τ_f (or exp(−dt/τ_f)) per step, 1 − x by a_d. The value right after the
    n-th spike solves u_{n+1} = α u_n + U with α = a_f^P − U a_f^{P−1}, u_0 = U:
    u_n = u* + αⁿ(U − u*), u* = U/(1 − α). With y = 1 − x the fixed point is
    y* = u*/(1 − a_d^P + u* a_d^{P−1}), and the latched efficacy e* = u*(1 − a_d^{P−1} y*);
    at a spike of unit i alone, outputs = s_i W[i] e* g."""
    periods, resources = np.array([3, 7]), np.array([0.2, 0.6])
    tau_f, tau_d, gain = 40.0 * dt, 15.0 * dt, 1.7
    weights = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 4.0]])
    synapse = STPDenseSynapse(
        (2, 3),
        weights,
        g_conduct_factor=gain,
        tau_f=tau_f,
        tau_d=tau_d,
        resources_init=np.repeat(resources[:, None], 3, axis=1),
        decay=decay,
    )
    steps = 7 * 3 * 40
    k = np.arange(steps)
    spikes = (k[:, None] % periods[None, :] == 0).astype(np.float32)
    _, states = jax.jit(lambda s: contract.run_steps(synapse, s, Inputs(spikes), None, dt))(
        synapse.init_state()
    )
    u, x, e = (np.asarray(a) for a in (states.u, states.x, states.efficacy))
    a_f, a_d = _decay_factor(dt, tau_f, decay), _decay_factor(dt, tau_d, decay)
    for i, (period, big_u) in enumerate(zip(periods, resources, strict=True)):
        at_spikes = np.flatnonzero(spikes[:, i])
        n = np.arange(len(at_spikes))
        alpha = a_f**period - big_u * a_f ** (period - 1)
        u_star = big_u / (1.0 - alpha)
        np.testing.assert_allclose(
            u[at_spikes, i, 0], u_star + alpha**n * (big_u - u_star), rtol=2e-5
        )
        y_star = u_star / (1.0 - a_d**period + u_star * a_d ** (period - 1))
        e_star = u_star * (1.0 - a_d ** (period - 1) * y_star)
        late = at_spikes[-3:]
        np.testing.assert_allclose(x[late, i], 1.0 - y_star, rtol=1e-4)
        np.testing.assert_allclose(e[late, i], e_star, rtol=1e-4)
        alone = late[spikes[late].sum(axis=1) == 1]
        np.testing.assert_allclose(
            states.outputs[alone],
            np.outer(np.ones(len(alone)), weights[i] * e_star * gain),
            rtol=1e-4,
        )
    silent = spikes.sum(axis=1) == 0
    np.testing.assert_array_equal(states.outputs[silent], 0.0)


def test_time_constants_are_in_the_unit_of_dt():
    """With exact decay and a small dt, the latched efficacy of a regular train of period T
    tends to the continuous Tsodyks–Markram steady state, u* = U/(1 − (1 − U)e^{−T/τ_f}),
    x⁻* = (1 − e^{−T/τ_d})/(1 − (1 − u*)e^{−T/τ_d}), e* = u* x⁻*, at first order in dt
    (the jump uses u of the step before)."""
    big_u, tau_f, tau_d, period_time = 0.3, 5.0, 3.0, 2.0
    u_star = big_u / (1 - (1 - big_u) * np.exp(-period_time / tau_f))
    x_star = (1 - np.exp(-period_time / tau_d)) / (1 - (1 - u_star) * np.exp(-period_time / tau_d))
    errors = []
    for dt in (0.02, 0.005):
        per = round(period_time / dt)
        synapse = STPDenseSynapse(
            (1, 1),
            jnp.ones((1, 1)),
            tau_f=tau_f,
            tau_d=tau_d,
            resources_init=jnp.full(1, big_u),
            decay="exponential",
        )
        spikes = (np.arange(per * 15) % per == 0).astype(np.float32)[:, None]
        run = jax.jit(lambda s, x, c=synapse, h=dt: contract.run_steps(c, s, Inputs(x), None, h))
        final, _ = run(synapse.init_state(), spikes)
        errors.append(abs(float(final.efficacy[0]) / (u_star * x_star) - 1.0))
        assert errors[-1] < dt / tau_d
    assert 3.0 < errors[0] / errors[1] < 5.0  # first order: dt / 4 ⇒ error / 4


def test_zero_time_constants_disable_facilitation_and_depression():
    """τ_f = 0 ⇒ u = U every step; τ_d = 0 ⇒ x stays 1; so the efficacy latches U."""
    big_u = jnp.array([[0.2, 0.4], [0.6, 0.8]])
    synapse = STPDenseSynapse((2, 2), jnp.ones((2, 2)), tau_f=0.0, tau_d=0.0, resources_init=big_u)
    spikes = jnp.array([[1.0, 0.0], [0.0, 0.0], [1.0, 1.0]])
    _, states = contract.run_steps(synapse, synapse.init_state(), Inputs(spikes), None, 1.0)
    np.testing.assert_array_equal(states.u, np.broadcast_to(big_u, (3, 2, 2)))
    np.testing.assert_array_equal(states.x, 1.0)
    np.testing.assert_allclose(states.efficacy[-1], big_u)


def test_a_spike_gates_its_own_row_only():
    """Tsodyks–Markram as written: the spike of presynaptic unit i changes row i of u, x
    and the efficacy, nothing else (the reference changes column i)."""
    synapse = STPDenseSynapse((3, 4), jnp.ones((3, 4)), key=jax.random.PRNGKey(0))
    rest = synapse.init_state()
    new = synapse.step(rest, Inputs(jnp.array([0.0, 1.0, 0.0])), None, 1.0)
    changed = np.asarray(new.efficacy != rest.efficacy)
    np.testing.assert_array_equal(changed, np.array([[0] * 4, [1] * 4, [0] * 4], bool))
    np.testing.assert_array_equal(np.asarray(new.x != rest.x), changed)


@given(st.integers(0, 2**31 - 1), st.sampled_from(["linear", "exponential"]))
def test_resource_modes_agree_when_resources_are_constant_across_columns(seed, decay):
    """Per-presynaptic U (state O(n_in), one matrix-vector product) gives the outputs of
    per-synapse U broadcast along the columns, and its u, x, efficacy are their rows."""
    keys = jax.random.split(jax.random.PRNGKey(seed), 4)
    u_pre = jax.random.uniform(keys[0], (N_IN,), minval=0.05, maxval=0.9)
    common = {
        "weight_init": jax.random.normal(keys[1], (N_IN, N_OUT)),
        "bias_init": jax.random.normal(keys[2], (N_OUT,)),
        "g_conduct_factor": 1.3,
        "tau_f": 20.0,
        "tau_d": 8.0,
        "decay": decay,
    }
    pre = STPDenseSynapse((N_IN, N_OUT), resources_init=u_pre, **common)
    full = STPDenseSynapse(
        (N_IN, N_OUT), resources_init=jnp.tile(u_pre[:, None], (1, N_OUT)), **common
    )
    assert pre.presynaptic and not full.presynaptic
    spikes = jax.random.bernoulli(keys[3], 0.3, (60, N_IN)).astype(jnp.float32)
    _, a = _scan_two(pre, full, spikes)
    states_pre, states_full = a
    np.testing.assert_allclose(states_pre.outputs, states_full.outputs, rtol=1e-5, atol=1e-5)
    for field in ("u", "x", "efficacy"):
        rows = getattr(states_full, field)
        np.testing.assert_allclose(
            np.broadcast_to(getattr(states_pre, field)[..., None], rows.shape),
            rows,
            rtol=1e-6,
            atol=1e-7,
        )
    np.testing.assert_allclose(
        jax.vmap(pre.Wdyn)(states_pre), jax.vmap(full.Wdyn)(states_full), rtol=1e-6, atol=1e-7
    )


@eqx.filter_jit
def _scan_two(pre, full, spikes):
    return None, (
        contract.run_steps(pre, pre.init_state(), Inputs(spikes), None, 1.0)[1],
        contract.run_steps(full, full.init_state(), Inputs(spikes), None, 1.0)[1],
    )


def test_p_conn_and_mask_prune_in_both_modes():
    mask = jnp.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    for resources in (jnp.full((3,), 0.5), jnp.full((3, 2), 0.5)):
        synapse = STPDenseSynapse((3, 2), jnp.ones((3, 2)), mask=mask, resources_init=resources)
        new = synapse.step(synapse.init_state(), Inputs(jnp.array([1.0, 0.0, 0.0])), None, 1.0)
        np.testing.assert_allclose(new.outputs, [0.5, 0.0])
    pruned = STPDenseSynapse((30, 20), p_conn=0.5, key=jax.random.PRNGKey(1))
    assert 0.35 < np.mean(np.asarray(pruned.weights) == 0.0) < 0.65
    assert pruned.mask is not None


def test_presynaptic_flag_chooses_the_drawn_resources():
    """An initializer draws U per synapse by default, per presynaptic neuron on request
    (default `uniform(0.125, 0.175)`, as the reference)."""
    key = jax.random.PRNGKey(2)
    per_pre = STPDenseSynapse((3, 2), presynaptic=True, key=key)
    per_syn = STPDenseSynapse((3, 2), key=key)
    assert per_pre.resources.shape == (3,) and per_pre.presynaptic
    assert per_syn.resources.shape == (3, 2) and not per_syn.presynaptic
    for u in (per_pre.resources, per_syn.resources):
        assert np.all((np.asarray(u) >= 0.125) & (np.asarray(u) < 0.175))
    assert per_pre.init_state().u.shape == (3,)


N_IN, N_OUT = 4, 3  # non-square on purpose (the reference only runs square weights), as
# the synapses of `stp_synapses`


# ---------------------------------------------------------------- event-driven steps


def _without_skipping(synapse):
    # The same module with the static flag flipped (`eqx.tree_at` reaches leaves only).
    full = copy.copy(synapse)
    object.__setattr__(full, "skip_silent_steps", False)
    return full


def _sparse_train(seed, steps=40):
    # Mostly silent steps (a spike in ~15 % of the entries, none at all on 2 steps in 3).
    key = jax.random.key(seed)
    spikes = jax.random.bernoulli(key, 0.15, (steps, N_IN)).astype(jnp.float32)
    return spikes * (jnp.arange(steps) % 3 == 0)[:, None]


@eqx.filter_jit
def _outputs_over(synapse, spikes, dt):
    def step(state, row):
        state = synapse.step(state, Inputs(row), None, dt)
        return state, state

    return jax.lax.scan(step, synapse.init_state(), spikes)[1]


@given(stp_synapses(), st.integers(0, 2**31 - 1), st.floats(0.1, 1.0))
def test_skipping_silent_steps_changes_no_value(synapse, seed, dt):
    assert synapse.skip_silent_steps  # the default
    spikes = _sparse_train(seed)
    skipped = _outputs_over(synapse, spikes, dt)
    full = _outputs_over(_without_skipping(synapse), spikes, dt)
    for got, want in zip(jax.tree.leaves(skipped), jax.tree.leaves(full), strict=True):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("presynaptic", [False, True])
def test_skipping_silent_steps_changes_no_derivative(presynaptic):
    """Reverse and forward mode through the short-cut equal the full update's; the
    gradient w.r.t. the (zero) spikes of a silent step is W ⊙ e-shaped, not zero."""
    synapse = STPDenseSynapse(
        SHAPE,
        ("gaussian", {"std": 0.5}),
        tau_f=5.0,
        tau_d=3.0,
        presynaptic=presynaptic,
        key=jax.random.key(4),
    )
    spikes = _sparse_train(2, steps=12)

    def loss(synapse, spikes):
        return jnp.sum(_outputs_over(synapse, spikes, 0.5).outputs ** 2)

    grads = jax.grad(loss, argnums=(0, 1))(synapse, spikes)
    full = jax.grad(loss, argnums=(0, 1))(_without_skipping(synapse), spikes)
    for got, want in zip(jax.tree.leaves(grads), jax.tree.leaves(full), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    silent = np.flatnonzero(np.asarray(spikes).sum(axis=1) == 0)
    assert silent.size and np.abs(np.asarray(grads[1])[silent[1:]]).max() > 1e-3

    def directional(synapse):  # forward mode along all parameters at once
        params, static = eqx.partition(synapse, eqx.is_inexact_array)
        tangent = jax.tree.map(jnp.ones_like, params)
        return jax.jvp(lambda p: loss(eqx.combine(p, static), spikes), (params,), (tangent,))[1]

    np.testing.assert_allclose(
        directional(synapse), directional(_without_skipping(synapse)), rtol=1e-5
    )


def _branches_with_a_product(hlo):
    """For the first `conditional` of compiled HLO text: which branches contain a `dot`."""
    return sorted(hlo_text.contains_dot(hlo, name) for name in hlo_text.branches(hlo))


def test_a_silent_step_does_not_touch_the_weights():
    """The compiled step branches: one branch has the matrix product, the other none."""
    synapse = STPDenseSynapse(SHAPE, ("gaussian", {"std": 0.5}), key=jax.random.key(1))
    step = jax.jit(lambda state, s: synapse.step(state, Inputs(s), None, 1.0))
    hlo = step.lower(synapse.init_state(), jnp.zeros(N_IN)).compile().as_text()
    assert _branches_with_a_product(hlo) == [False, True]


@pytest.mark.parametrize("presynaptic", [False, True])
def test_a_batch_skips_the_steps_on_which_no_sample_spikes(presynaptic):
    """Under vmap the condition is one flag for the batch, so the branch survives (a per-
    sample condition would become a select running both updates) and the values are those
    of the full update for every sample."""
    synapse = STPDenseSynapse(
        SHAPE, ("gaussian", {"std": 0.5}), presynaptic=presynaptic, key=jax.random.key(1)
    )
    batch = jnp.stack([_sparse_train(seed, steps=30) for seed in range(3)], axis=1)
    states = jax.vmap(lambda _: synapse.init_state())(jnp.arange(3))

    def run(synapse, states, spikes):
        step = jax.vmap(lambda state, s: synapse.step(state, Inputs(s), None, 0.5))
        return jax.lax.scan(lambda st, s: (step(st, s), step(st, s).outputs), states, spikes)

    skipped = jax.jit(run)(synapse, states, batch)
    full = jax.jit(run)(_without_skipping(synapse), states, batch)
    for got, want in zip(jax.tree.leaves(skipped), jax.tree.leaves(full), strict=True):
        np.testing.assert_array_equal(got, want)
    hlo = jax.jit(run).lower(synapse, states, batch).compile().as_text()
    assert _branches_with_a_product(hlo) == [False, True]


@given(stp_synapses(), st.integers(0, 2**31 - 1), st.booleans())
def test_resources_stay_in_the_unit_interval_over_1000_steps(synapse, seed, graded):
    """Inputs are spikes: values in [0, 1] (graded or binary) keep u, x and the efficacy in
    [0, 1] (with dt ≤ τ for the linear decay). Values outside [0, 1] are outside the model."""
    key = jax.random.PRNGKey(seed)
    x = jax.random.uniform(key, (1000, N_IN))
    x = x if graded else (x < 0.3).astype(jnp.float32)
    final, _ = eqx.filter_jit(contract.run_steps)(
        synapse, synapse.init_state(), Inputs(x), None, 1.0
    )
    for field in (final.u, final.x, final.efficacy):
        assert np.all((np.asarray(field) >= -1e-6) & (np.asarray(field) <= 1 + 1e-6))


@pytest.mark.parametrize("value", [-1.0, 5.0])
def test_inputs_outside_the_unit_interval_are_clipped_not_amplified(value):
    """Issue 10, item 5: the default synapse under a constant −1 (or +5) at dt = 0.1 reached
    NaN by step 43 (61): the spike gate `s ∈ [0, 1]` entered u and x unclipped, and
    `x⁺ = x − u·x·s` grew without bound. Clipped, −1 is silence and +5 a full spike: u, x
    and the efficacy stay in [0, 1] and the output equals that of the clipped input."""
    synapse = STPDenseSynapse((4, 4), key=jax.random.key(0))
    final, states = contract.run_steps(
        synapse, synapse.init_state(), Inputs(jnp.full((1000, 4), value)), None, 0.1
    )
    clipped, _ = contract.run_steps(
        synapse, synapse.init_state(), Inputs(jnp.full((1000, 4), min(value, 1.0))), None, 0.1
    )
    for field in (states.u, states.x, states.efficacy):
        assert np.all((np.asarray(field) >= 0.0) & (np.asarray(field) <= 1.0))
    assert np.isfinite(np.asarray(states.outputs)).all()
    np.testing.assert_array_equal(final.x, clipped.x)


def test_rest_is_a_fixed_point_without_input():
    """Without spikes, u = 0 and x = 1 stay (τ_f > 0): nothing to recover from."""
    synapse = STPDenseSynapse((N_IN, N_OUT), key=jax.random.PRNGKey(0))
    rest = synapse.init_state()
    new = synapse.step(rest, Inputs(jnp.zeros(N_IN)), None, 1.0)
    for a, b in zip(jax.tree.leaves(rest), jax.tree.leaves(new), strict=True):
        np.testing.assert_array_equal(a, b)


_TRAIN = (np.arange(60)[:, None] % np.array([2, 3, 5, 7]) == 0).astype(np.float32)


@jax.jit
def _loss_tau_d(tau_d):
    synapse = STPDenseSynapse(
        (N_IN, N_OUT),
        jnp.ones((N_IN, N_OUT)),
        tau_f=30.0,
        tau_d=tau_d,
        resources_init=jnp.full((N_IN, N_OUT), 0.4),
    )
    _, states = contract.run_steps(synapse, synapse.init_state(), Inputs(_TRAIN), None, 1.0)
    return jnp.sum(states.outputs**2)


@jax.jit
def _loss_weights(a):
    w = jax.random.normal(jax.random.PRNGKey(0), (N_IN, N_OUT))
    d = jax.random.normal(jax.random.PRNGKey(1), (N_IN, N_OUT))
    synapse = STPDenseSynapse(
        (N_IN, N_OUT), w + a * d, tau_f=30.0, tau_d=10.0, resources_init=jnp.full(N_IN, 0.4)
    )
    _, states = contract.run_steps(synapse, synapse.init_state(), Inputs(_TRAIN), None, 1.0)
    return jnp.sum(jnp.tanh(states.outputs))


@given(st.floats(2.0, 100.0))
def test_gradient_wrt_tau_d_matches_finite_difference(tau_d):
    contract.assert_grad_matches_finite_difference(_loss_tau_d, tau_d)


@given(st.floats(-2.0, 2.0))
def test_gradient_wrt_weights_matches_finite_difference(a):
    contract.assert_grad_matches_finite_difference(_loss_weights, a)


# ---------------------------------------------------------------- bad input

SHAPE = (N_IN, N_OUT)
W = jnp.ones(SHAPE)


def test_wrong_input_shape_raises_at_trace_time():
    """A shape of another size (a leading batch axis: tests/test_contract.py)."""
    value = jnp.ones(N_OUT)
    synapse = STPDenseSynapse(SHAPE, W, resources_init=jnp.full(N_IN, 0.2))
    pattern = re.escape(
        f"STPDenseSynapse.step: input `inputs` must have shape ({N_IN},), got shape"
    )
    with pytest.raises(ValueError, match=pattern):
        jax.jit(lambda s: synapse.step(s, Inputs(value), None, 1.0))(synapse.init_state())
