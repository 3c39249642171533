"""Caching: fingerprints of step runs, reuse decisions and their explanations."""
