"""Shared test machinery: golden-file loading and the checks of the cell contract."""
