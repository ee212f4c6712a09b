"""Neurons: graded (rate and error) cells and spiking cells."""
