"""Several devices and several hosts with `jax.sharding`: no home-made communication layer.

- Data parallel: shard the batch axis of states and inputs over a 1-D mesh and run
  `jax.jit(jax.vmap(...))` of a whole `simulate`; every device steps its own samples and no
  data moves between devices.
- Model parallel: shard the neuron axis of one large network; weights are split by
  postsynaptic columns and the presynaptic activity is gathered explicitly (`gather_matvec`,
  a `jax.shard_map` with one `all_gather` per step).
- Several hosts: call `jax.distributed.initialize()` in every process first; `make_mesh` then
  spans the devices of all processes and the same code runs unchanged (give each process its
  own part of the batch with `shard_leading(..., process_local=True)`).
"""

from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import AxisType, Mesh, NamedSharding
from jax.sharding import PartitionSpec as P
from jaxtyping import Array, PyTree


def make_mesh(axis_name: str = "batch", devices: Sequence[jax.Device] | None = None) -> Mesh:
    """A 1-D mesh named `axis_name` over `devices` (default: every device of every process),
    with an `Auto` axis so that `jit` propagates shardings by itself."""
    devices = jax.devices() if devices is None else list(devices)
    return Mesh(np.asarray(devices), (axis_name,), axis_types=(AxisType.Auto,))


def shard_leading(
    tree: PyTree, mesh: Mesh, axis_name: str | None = None, *, process_local: bool = False
) -> PyTree:
    """Places every array leaf of `tree` with its leading axis split over `axis_name`.

    With `process_local=True` each process passes only its own slice of the leading axis
    (multi-host data loading); the global array is assembled without copying between hosts.
    The leading axis (global length) must be divisible by the mesh size.
    """
    axis_name = axis_name or mesh.axis_names[0]
    size = mesh.shape[axis_name]

    def place(path, x):
        x = jnp.asarray(x) if not isinstance(x, np.ndarray) else x
        if x.ndim == 0:
            raise ValueError(
                f"shard_leading: every leaf needs a leading (batch) axis to split; "
                f"tree{jax.tree_util.keystr(path)} is a scalar. Replicate it instead "
                "(dynax.parallel.replicate)."
            )
        sharding = NamedSharding(mesh, P(axis_name))
        if process_local:
            global_shape = (x.shape[0] * jax.process_count(), *x.shape[1:])
            _check_divisible(global_shape[0], size, axis_name)
            return jax.make_array_from_process_local_data(sharding, np.asarray(x), global_shape)
        _check_divisible(x.shape[0], size, axis_name)
        return jax.device_put(x, sharding)

    return jax.tree_util.tree_map_with_path(place, tree)


def replicate(tree: PyTree, mesh: Mesh) -> PyTree:
    """Places a full copy of every array leaf of `tree` (e.g. a model) on every device."""
    return jax.device_put(tree, NamedSharding(mesh, P()))


def shard_columns(weights: Array, mesh: Mesh, axis_name: str | None = None) -> Array:
    """Places an `(n_in, n_out)` weight matrix split by postsynaptic columns."""
    axis_name = axis_name or mesh.axis_names[0]
    _check_divisible(weights.shape[1], mesh.shape[axis_name], axis_name)
    return jax.device_put(weights, NamedSharding(mesh, P(None, axis_name)))


def gather_matvec(mesh: Mesh, axis_name: str | None = None) -> Callable[[Array, Array], Array]:
    """`x @ W` for `x` sharded over its units and `W` sharded by columns.

    Each device gathers the full presynaptic vector with one `all_gather` and multiplies it
    by its own columns of `W`, so the result is sharded like the postsynaptic units. Works
    for a single sample `(n_in,)` and a batch `(B, n_in)`.
    """
    axis_name = axis_name or mesh.axis_names[0]

    def local(x, w):
        full = jax.lax.all_gather(x, axis_name, axis=x.ndim - 1, tiled=True)
        return full @ w

    def matvec(x: Array, weights: Array) -> Array:
        lead = (None,) * (x.ndim - 1)
        return jax.shard_map(
            local,
            mesh=mesh,
            in_specs=(P(*lead, axis_name), P(None, axis_name)),
            out_specs=P(*lead, axis_name),
        )(x, weights)

    return matvec


def _check_divisible(length: int, size: int, axis_name: str) -> None:
    if length % size:
        raise ValueError(
            f"an axis of length {length} cannot be split evenly over mesh axis "
            f"{axis_name!r} of size {size}; pad it or choose a divisible size."
        )
