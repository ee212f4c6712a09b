"""Spiking neurons."""

from .adex_cell import AdExCell
from .fitzhugh_nagumo_cell import FitzhughNagumoCell
from .hodgkin_huxley_cell import HodgkinHuxleyCell
from .if_cell import IFCell
from .izhikevich_cell import IzhikevichCell
from .lif_cell import LIFCell
from .lif_srm import LIFSRM
from .quad_lif_cell import QuadLIFCell
from .raf_cell import RAFCell
from .slif_cell import SLIFCell
from .wtas_cell import WTASCell

__all__ = [
    "LIFSRM",
    "AdExCell",
    "FitzhughNagumoCell",
    "HodgkinHuxleyCell",
    "IFCell",
    "IzhikevichCell",
    "LIFCell",
    "QuadLIFCell",
    "RAFCell",
    "SLIFCell",
    "WTASCell",
]
