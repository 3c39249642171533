"""Compute targets, one module each."""
