"""Run in its own process with 8 CPU devices (see test_multi_device.py): a recurrent spiking
network whose neuron axis is split over 8 devices equals the single-device network."""

import sys

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import PartitionSpec as P

from dynax.initializers import uniform
from dynax.models.recurrent_spiking import RecurrentSpikingNetwork
from dynax.parallel import make_mesh
from dynax.simulate import simulate
from dynax.synapses.stp_dense_synapse import STPDenseSynapse

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1024
presynaptic = (sys.argv[2] if len(sys.argv) > 2 else "pre") == "pre"
steps = 200
recurrent = STPDenseSynapse(
    (n, n),
    weight_init=uniform(0.0, 2.0 / n**0.5),
    presynaptic=presynaptic,
    key=jax.random.key(0),
)
net = RecurrentSpikingNetwork(n, recurrent=recurrent)
drive = RecurrentSpikingNetwork.Inputs(
    current=jnp.linspace(20.0, 30.0, n) * jnp.ones((steps, n), jnp.float32)
)


def run(network, state, drive):
    return simulate(network, state, drive, dt=0.5, record=lambda s: s.cell.s)


one_device = jax.device_put((net, net.init_state(), drive), jax.devices()[0])
spikes_one = jax.jit(run)(*one_device)[1]

mesh = make_mesh("neurons")
sharded = net.shard(mesh)
state = sharded.shard_state(sharded.init_state())
final, spikes = jax.jit(run)(sharded, state, drive)
assert final.cell.v.sharding.spec == P("neurons"), final.cell.v.sharding
assert len(final.cell.v.sharding.device_set) == 8
w = sharded.recurrent.weights
assert w.sharding.spec == P(None, "neurons") and w.addressable_shards[0].data.shape == (n, n // 8)
hlo = jax.jit(run).lower(sharded, state, drive).compile().as_text()
assert "all-gather" in hlo
assert float(spikes.sum()) > 0
# Spikes identical up to the rare threshold tie that a different summation order can flip.
mismatch = float(np.mean(np.asarray(spikes) != np.asarray(spikes_one)))
assert mismatch < 1e-3, mismatch
print(f"MODEL-PARALLEL-OK n={n} spikes={int(spikes.sum())} mismatch={mismatch}")
