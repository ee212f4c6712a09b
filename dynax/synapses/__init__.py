"""Synapses: dense, locally connected (sparse tensor), short-term-plastic, conductance-based and
plastic (learning) cables."""

from .alpha_synapse import AlphaSynapse
from .dense_synapse import DenseSynapse
from .double_exp_synapse import DoubleExpSynapse
from .exponential_synapse import ExponentialSynapse
from .hebbian_synapse import HebbianSynapse
from .sparse_tensor_synapse import SparseTensorSynapse, StaticSparseTensorSynapse
from .stp_dense_synapse import STPDenseSynapse
from .trace_stdp_synapse import OnlineTraceSTDPSynapse, TraceSTDPSynapse

StaticSynapse = DenseSynapse
"""ngclearn's name for a non-learning `DenseSynapse`."""

__all__ = [
    "AlphaSynapse",
    "DenseSynapse",
    "DoubleExpSynapse",
    "ExponentialSynapse",
    "HebbianSynapse",
    "OnlineTraceSTDPSynapse",
    "STPDenseSynapse",
    "SparseTensorSynapse",
    "StaticSparseTensorSynapse",
    "StaticSynapse",
    "TraceSTDPSynapse",
]
