"""Execution: the runner that drives a run from DB state, and the compute targets steps run on."""
