"""The `duto` command line: init a workspace, run pipeline files, and inspect runs, logs, metrics and targets."""
