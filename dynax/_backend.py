"""Backend workarounds, in one place, each with the measurement that justifies it.

The physics files call these by what they mean ("compute this once", "any spike in the whole
batch"); what XLA needs to hear to do that lives here.
"""

import jax
import jax.numpy as jnp
from jaxtyping import Array, PyTree


def computed_once(tree: PyTree) -> PyTree:
    """`tree`, unchanged; XLA:CPU computes it once.

    XLA:CPU does not merge sibling loop fusions: without this every output that reads an
    integrated state (`v`, `w`, `s`, `tols`) recomputes the integration step. Measured at
    10⁶ units, jax 0.12, ms per step: AdEx 2.5 → 1.6, LIF 3.2 → 2.4–2.8, Izhikevich
    1.6 → 1.3–1.4. The barrier is applied on CPU only (`lax.platform_dependent`): GPUs and
    TPUs fuse the outputs into one kernel by themselves and get `tree` as it is.
    """
    return jax.lax.platform_dependent(
        tree, cpu=jax.lax.optimization_barrier, default=lambda tree: tree
    )


def materialised(tree: PyTree) -> PyTree:
    """`tree`, unchanged, computed before anything that reads it.

    In the STP synapse's update, `u⁺` and the release `u⁺·x·s` feed both `e⁺` and `x⁺`.
    Without the barrier XLA (jax 0.12, CPU) fuses them into both consumers, cannot then
    update `x` in place and copies it on every step, silent steps too: 2.5× the time of a
    silent step at 1000 × 1000 synapses. The values are unchanged.
    """
    return jax.lax.optimization_barrier(tree)


@jax.custom_batching.custom_vmap
def any_in_batch(x: Array) -> Array:
    """`any(x ≠ 0)`; under `jax.vmap`, over the whole batch, as ONE unbatched flag.

    A `lax.cond` on a batched predicate becomes a select that runs both branches for every
    sample: for the event-driven STP synapse under `vmap` that was 1.6–6× slower than the
    plain update (benchmarks.snn --batch). With one flag for the batch the branch survives:
    a step is skipped only when no sample has an event.
    """
    return jnp.any(x != 0)


@any_in_batch.def_vmap
def _any_in_batch_vmap(axis_size, in_batched, x):
    del axis_size, in_batched
    return jnp.any(x != 0), False


@jax.custom_batching.custom_vmap
def max_in_batch(x: Array) -> Array:
    """`max(x)`; under `jax.vmap`, over the whole batch, as ONE unbatched value.

    The event-driven propagation picks its buffer size with a `lax.switch` on the number of
    events: on a batched index the switch would run every size for every sample. With the
    batch's largest count the switch survives and every sample runs the one size that fits
    them all.
    """
    return jnp.max(x)


@max_in_batch.def_vmap
def _max_in_batch_vmap(axis_size, in_batched, x):
    del axis_size, in_batched
    return jnp.max(x), False
