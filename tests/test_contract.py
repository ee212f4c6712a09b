"""The contract of `dynax._core.AbstractCell`, for every public component of the registry
(`tests/components/`): purity, shapes and dtypes, `jit` = eager, `vmap` = loop, no retrace on
a parameter's value, finite long runs, bad input, checkpoint round trip."""

import dataclasses
import inspect
import re

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from components import REGISTRY
from hypothesis import given, settings
from hypothesis import strategies as st
from support import contract

import dynax
from dynax import checkpoint
from dynax._core import _annotated_shapes
from dynax._fields import _Number, _Parameter, _Size

NAMES = sorted(REGISTRY)
BAD_ARGUMENTS = [
    pytest.param(name, kwargs, match, id=f"{name}-{i}")
    for name in NAMES
    for i, (kwargs, match) in enumerate(REGISTRY[name].bad_arguments)
]


def _public_components() -> set[str]:
    """Every concrete cell, synapse and network that `dynax` exports."""
    found = set()
    for module in (dynax, dynax.synapses, dynax.neurons.graded, dynax.neurons.spiking):
        for name in module.__all__:
            value = getattr(module, name)
            if (
                isinstance(value, type)
                and issubclass(value, dynax.AbstractCell)
                and not name.startswith("Abstract")
            ):
                found.add(name)
    return found


def test_the_registry_covers_every_public_component():
    """Every entry names a public component; a component may have more than one entry (a
    variant named in brackets: `ExponentialSynapse[delayed sparse]`)."""
    assert _public_components() == {name.split("[")[0] for name in REGISTRY}


def _key(component, draw):
    return jax.random.key(draw(st.integers(0, 2**31 - 1))) if component.random else None


def _draw_case(component, draw):
    """A drawn valid `(cell, state, inputs, key, dt)`."""
    if component.cells is None:
        cell = component.example(jax.random.key(draw(st.integers(0, 2**31 - 1))))
    else:
        cell = draw(component.cells)
    return cell, *_draw_step(component, cell, draw)


def _draw_step(component, cell, draw):
    state = cell.init_state() if component.state is None else component.state(cell, draw)
    inputs = (
        component.example_inputs(cell) if component.inputs is None else component.inputs(cell, draw)
    )
    return state, inputs, _key(component, draw), draw(component.dt)


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_step_is_pure_and_preserves_structure(name, data):
    contract.assert_pure(*_draw_case(REGISTRY[name], data.draw))


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_jit_matches_eager(name, data):
    component = REGISTRY[name]
    contract.assert_jit_matches_eager(
        *_draw_case(component, data.draw), rtol=component.rtol, atol=component.atol
    )


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_vmap_matches_loop(name, data):
    component = REGISTRY[name]
    cell, *_ = _draw_case(component, data.draw)
    dt = data.draw(component.dt)
    samples = [_draw_step(component, cell, data.draw)[:3] for _ in range(3)]
    states, inputs, keys = (
        jax.tree.map(lambda *xs: jnp.stack(xs), *part) for part in zip(*samples, strict=True)
    )
    contract.assert_vmap_matches_loop(
        cell, states, inputs, keys, dt, rtol=component.rtol, atol=component.atol
    )


LONG_RUNS = [n for n in NAMES if REGISTRY[n].finite_run is not None]
REPEATS = 10  # the 1000 steps of `finite_run`, ten times: 10⁴ steps


def _long_run_case(component, draw, cells):
    strategy = next(
        (s for s in (cells, component.finite_cells, component.cells) if s is not None), None
    )
    cell = component.example(jax.random.key(0)) if strategy is None else draw(strategy)
    inputs, dt = component.finite_run(cell, draw)
    key = jax.random.key(draw(st.integers(0, 2**31 - 1))) if component.random else None
    return cell, inputs, key, jnp.asarray(dt)


@pytest.mark.parametrize("name", LONG_RUNS)
@given(data=st.data())
def test_10000_steps_stay_finite(name, data):
    cell, inputs, key, dt = _long_run_case(REGISTRY[name], data.draw, None)
    state = cell.init_state()
    for repeat in range(REPEATS):
        run_key = None if key is None else jax.random.fold_in(key, repeat)
        state = contract.assert_finite_run(cell, state, inputs, run_key, dt)


@pytest.mark.parametrize("name", LONG_RUNS)
@settings(max_examples=3)
@given(data=st.data())
def test_the_gradient_through_10000_steps_is_finite(name, data):
    """`jax.grad` of the sum of the final state with respect to every parameter (every
    floating leaf of the module), through 10⁴ steps of the long run's inputs."""
    component = REGISTRY[name]
    cell, inputs, key, dt = _long_run_case(component, data.draw, component.gradient_cells)
    long = jax.tree.map(lambda x: jnp.concatenate([x] * REPEATS), inputs)
    params, static = eqx.partition(cell, eqx.is_inexact_array)
    value, grads = _value_and_grad(params, static, long, key, dt)
    assert np.isfinite(value)
    for path, leaf in jax.tree_util.tree_leaves_with_path(grads):
        assert np.all(np.isfinite(np.asarray(leaf))), jax.tree_util.keystr(path)


@eqx.filter_jit
def _value_and_grad(params, static, inputs, key, dt):
    def loss(params):
        cell = eqx.combine(params, static)
        final, _ = contract.run_steps(cell, cell.init_state(), inputs, key, dt)
        floating = [x for x in jax.tree.leaves(final) if jnp.issubdtype(x.dtype, jnp.floating)]
        return sum(jnp.sum(x) for x in floating)

    return jax.value_and_grad(loss)(params)


def _in_every_numeric_type(values):
    """Each value as a Python float, a Python int (rounded), a NumPy float32 and float64
    scalar, and a JAX array: a parameter's dtype must not depend on how it was given."""
    first, *rest = values
    return [
        first,
        *rest,
        round(float(first)) or 1,
        np.float32(rest[0] if rest else first),
        np.float64(first),
        jnp.asarray(rest[-1] if rest else first),
    ]


@pytest.mark.parametrize("name", [n for n in NAMES if REGISTRY[n].retrace is not None])
def test_a_new_parameter_value_does_not_retrace(name):
    component = REGISTRY[name]
    make, values = component.retrace
    cell = make(values[0])
    key = jax.random.key(0) if component.random else None
    contract.assert_no_retrace(
        make,
        _in_every_numeric_type(values),
        cell.init_state(),
        component.example_inputs(cell),
        key,
        0.5,
    )


@pytest.mark.parametrize("name", NAMES)
def test_a_module_built_under_a_trace_has_the_eager_structure(name):
    """`eqx.filter_eval_shape` of the constructor (as `load(path, like)` needs it) gives the
    module's structure: structure never depends on a value that is being traced."""
    component = REGISTRY[name]
    eager = component.example(jax.random.key(0))
    if component.drawn_structure is not None:
        with pytest.raises(ValueError, match=component.drawn_structure):
            eqx.filter_eval_shape(component.example, jax.random.key(0))
        return
    traced = eqx.filter_eval_shape(component.example, jax.random.key(0))
    assert jax.tree.structure(traced) == jax.tree.structure(eager)
    for a, b in zip(jax.tree.leaves(traced), jax.tree.leaves(eager), strict=True):
        assert (a.shape, a.dtype) == (b.shape, b.dtype)


@pytest.mark.parametrize(("name", "kwargs", "match"), BAD_ARGUMENTS)
def test_bad_constructor_arguments_raise(name, kwargs, match):
    component = REGISTRY[name]
    build = component.build or type(component.example(jax.random.key(0)))
    with pytest.raises(ValueError, match=match):
        build(**kwargs)


def _forbidden(declaration, field, example):
    """The values the declaration of `field` forbids (all of the issue's hostile kinds that
    apply to it)."""
    hostile = [None, "a string", 1 + 2j, float("nan"), float("inf"), -float("inf")]
    if isinstance(declaration, _Parameter):
        values = [v for v in hostile if v is not None or not declaration.optional]
        values += [v for v in (0.0, -1.0) if not declaration.constraint.holds(np.asarray(v))]
        per = 1 if declaration.per is None else getattr(example, declaration.per)
        width = per + 1 if isinstance(per, int) else int(np.prod(jnp.shape(per))) + 1
        return [*values, jnp.ones(width)]
    if isinstance(declaration, _Size):
        return [declaration.minimum - 1, -1, 2.5, "3", True, None]
    if isinstance(declaration, _Number):
        bad = [v for v in (0.0, -1.0) if not declaration.constraint.holds(np.asarray(v))]
        return [*hostile, jnp.asarray(0.5), *bad]
    if field.metadata.get("static"):  # a switch or a choice among names
        return [1, "not an option", None]
    return ["not a name", 3]  # a name resolved to its object (a stepper, a surrogate)


def _declared_cases():
    cases = []
    for name in NAMES:
        component = REGISTRY[name]
        if component.kwargs is None:
            continue
        example = component.example(jax.random.key(0))
        arguments = inspect.signature(type(example)).parameters
        for field in dataclasses.fields(example):
            declaration = field.metadata.get("dynax")
            argument = field.name if declaration is None else declaration.argument or field.name
            if declaration is None or argument not in arguments:
                continue
            # an argument whose default is None takes None to mean that default
            none_allowed = arguments[argument].default is None
            for i, value in enumerate(_forbidden(declaration, field, example)):
                if value is None and none_allowed:
                    continue
                cases.append(pytest.param(name, argument, value, id=f"{name}-{argument}-{i}"))
    return cases


DECLARED = _declared_cases()


@pytest.mark.parametrize(("name", "argument", "value"), DECLARED)
def test_every_declared_argument_rejects_what_its_declaration_forbids(name, argument, value):
    """0 or −1 where the constraint excludes them, nan, ±inf, None, a string, a complex
    number, an array of the wrong length (and, for sizes, switches and names, their own
    wrong kinds): a `ValueError` naming the module and the argument."""
    component = REGISTRY[name]
    example = component.example(jax.random.key(0))
    build = component.build or type(example)
    with pytest.raises(ValueError, match=rf"{type(example).__name__}: `{re.escape(argument)}`"):
        build(**{**component.kwargs, argument: value})


def _example(name):
    component = REGISTRY[name]
    cell = component.example(jax.random.key(0))
    key = jax.random.key(1) if component.random else None
    return cell, cell.init_state(), component.example_inputs(cell), key


@pytest.mark.parametrize("name", NAMES)
def test_wrong_input_shapes_raise_at_trace_time(name):
    """Each input given a leading batch axis: a `ValueError` naming the cell, the input, the
    expected and the given shape, raised while tracing."""
    cell, state, inputs, key = _example(name)
    owner = type(cell).__name__
    for field in dataclasses.fields(inputs):
        value = getattr(inputs, field.name)
        if value is None or not eqx.is_array(value):
            continue
        batched = dataclasses.replace(inputs, **{field.name: jnp.stack([value, value])})
        shape = tuple(value.shape)
        pattern = (
            rf"{owner}\.step: input `{field.name}` must have shape {_escaped(shape)}.*"
            rf"got shape {_escaped((2, *shape))}"
        )
        with pytest.raises(ValueError, match=pattern):
            jax.jit(lambda s, x, k: cell.step(s, x, k, 0.5))(state, batched, key)


def _escaped(shape):
    return str(tuple(shape)).replace("(", r"\(").replace(")", r"\)")


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("wrong", ["array", "dict", "none"])
def test_inputs_of_another_structure_raise(name, wrong):
    cell, state, inputs, key = _example(name)
    given_inputs = {
        "array": jax.tree.leaves(inputs)[0],
        "dict": {f.name: getattr(inputs, f.name) for f in dataclasses.fields(inputs)},
        "none": None,
    }[wrong]
    owner = type(cell).__name__
    with pytest.raises(ValueError, match=rf"{owner}\.step: `inputs` must be {owner}\.Inputs\("):
        cell.step(state, given_inputs, key, 0.5)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dt", [0.0, -0.5, float("nan"), float("inf"), None, "0.1", (0.1, 0.2)])
def test_bad_dt_raises(name, dt):
    cell, state, inputs, key = _example(name)
    with pytest.raises(ValueError, match=rf"{type(cell).__name__}\.step: `dt` must be"):
        cell.step(state, inputs, key, jnp.asarray(dt) if isinstance(dt, tuple) else dt)


@pytest.mark.parametrize("name", NAMES)
def test_every_annotated_shape_is_checked(name):
    """Every array field of `State` and `Inputs` names sizes the cell knows, so `check_step`
    really checks its shape."""
    cell, state, inputs, _ = _example(name)
    dims = cell.dimensions()
    for value in (state, inputs):
        for field in dataclasses.fields(value):
            if eqx.is_array(getattr(value, field.name)):
                assert _annotated_shapes(field.type, dims) is not None, field.name


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_checkpoint_round_trip_is_bit_exact(tmp_path, name, dtype):
    """Module, state after a few steps and the step keys, saved and loaded into a module built
    from another key: bit for bit, also with every floating leaf in bfloat16."""
    component = REGISTRY[name]
    model = component.example(jax.random.key(1))
    state = model.init_state(key=jax.random.key(2))
    for i in range(3):  # a few steps, so the state is not just the rest state
        state = model.step(state, component.example_inputs(model), jax.random.key(i), 0.5)
    tree = _cast({"model": model, "state": state}, dtype) | {"key": jax.random.key(5)}
    checkpoint.save(tmp_path / f"{name}.ckpt", tree)
    # a structure drawn from the key (`drawn_structure`) needs `like` from the same key
    other = component.example(jax.random.key(1 if component.drawn_structure else 3))
    like = _cast({"model": other, "state": other.init_state(key=jax.random.key(4))}, dtype)
    like["key"] = jax.random.key(6)
    loaded = checkpoint.load(tmp_path / f"{name}.ckpt", like)
    assert jax.tree.structure(loaded) == jax.tree.structure(tree)
    for x, y in zip(jax.tree.leaves(loaded), jax.tree.leaves(tree), strict=True):
        if jnp.issubdtype(y.dtype, jax.dtypes.prng_key):
            x, y = jax.random.key_data(x), jax.random.key_data(y)
        assert np.asarray(x).dtype == np.asarray(y).dtype
        assert np.asarray(x).tobytes() == np.asarray(y).tobytes()


def _cast(tree, dtype):
    return jax.tree.map(lambda x: x.astype(dtype) if eqx.is_inexact_array(x) else x, tree)
