"""The registry entry of a public component: how to build one, draw valid ones and drive them.

`tests/components/` holds one entry per public cell, synapse and network; `tests/test_contract.py`
runs every property of the contract on every entry. A component's own test file keeps only
its parity and physics.
"""

import dataclasses
from collections.abc import Callable
from typing import Any

import jax.numpy as jnp
from hypothesis import strategies as st

Draw = Callable[[st.SearchStrategy], Any]
"""hypothesis' `data.draw`."""


DEFAULT_DT = st.floats(0.01, 1.0)


@dataclasses.dataclass(frozen=True)
class Component:
    """How the contract suite builds and drives one component.

    **Fields:**

    - `example`: `key -> module`, a small valid instance (random construction draws from the
        key, so two keys give two different modules).
    - `example_inputs`: `module -> Inputs`, valid inputs of one step of that instance.
    - `cells`: instances with drawn parameters (default: `example` of a drawn key).
    - `state`: `(module, draw) -> State`, a drawn valid state (default: the rest state).
    - `inputs`: `(module, draw) -> Inputs`, drawn valid inputs (default: `example_inputs`).
    - `dt`: the time steps to draw.
    - `random`: the step draws random numbers (it is given a key).
    - `rtol`, `atol`: the tolerance of `jit = eager` and `vmap = loop` (float rounding of a
        different fusion: `1e-6` unless the dynamics amplify it; say why where larger).
    - `retrace`: `(make, values)`: `make(value)` builds the module with one parameter at
        `value`; stepping each under one `jit` must trace once.
    - `finite_run`: `(module, draw) -> (inputs over time, dt)`: 1000 steps of drawn valid
        inputs in [−1e3, 1e3] (in the stable domain of the module, where it has one) along
        which every state must stay finite, ten times in a row (10⁴ steps), and the gradient
        of the final state with respect to every parameter too; `finite_cells`: the modules
        of that run (default `cells`); `gradient_cells`: those of the gradient (default
        `finite_cells`), narrower only where the model's own derivative is unbounded (say
        why).
    - `bad_arguments`: `(kwargs, match)` pairs: `build(**kwargs)` raises a `ValueError`
        whose message matches `match`.
    - `build`: the constructor `bad_arguments` call (default: the example's class).
    - `kwargs`: valid arguments of `build` (plus its defaults): the suite replaces each
        declared field of the module, one at a time, by values its declaration forbids.
    - `drawn_structure`: the example's structure is drawn from its key (a random sparse
        connectivity's number of synapses): building it under a trace must raise a
        `ValueError` matching this (the structure test's other half).
    """

    example: Callable[[Any], Any]
    example_inputs: Callable[[Any], Any]
    cells: st.SearchStrategy | None = None
    state: Callable[[Any, Draw], Any] | None = None
    inputs: Callable[[Any, Draw], Any] | None = None
    dt: st.SearchStrategy = DEFAULT_DT
    random: bool = False
    rtol: float = 1e-6
    atol: float = 1e-6
    retrace: tuple[Callable[[Any], Any], tuple] | None = None
    finite_run: Callable[[Any, Draw], tuple[Any, Any]] | None = None
    finite_cells: st.SearchStrategy | None = None
    gradient_cells: st.SearchStrategy | None = None
    bad_arguments: tuple[tuple[dict, str], ...] = ()
    build: Callable[..., Any] | None = None
    kwargs: dict | None = None
    drawn_structure: str | None = None


def vector(n: int, low: float, high: float) -> st.SearchStrategy:
    """`(n,)` float32 arrays with entries in `[low, high]`."""
    element = st.floats(low, high, allow_nan=False, width=32)
    return st.lists(element, min_size=n, max_size=n).map(lambda v: jnp.asarray(v, jnp.float32))


def uniform_floats(draw: Draw, **ranges: tuple[float, float]) -> dict[str, float]:
    """`{name: a float drawn in [low, high]}` for every `name=(low, high)`."""
    return {name: draw(st.floats(low, high)) for name, (low, high) in ranges.items()}
