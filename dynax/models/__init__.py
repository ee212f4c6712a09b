"""Networks built from dynax cells and synapses."""

from .predictive_coding import PredictiveCodingNetwork
from .recurrent_spiking import RecurrentSpikingNetwork

__all__ = ["PredictiveCodingNetwork", "RecurrentSpikingNetwork"]
