"""Tracking: the step-side Run API and the ingestion of what steps log into the run's event stream."""
