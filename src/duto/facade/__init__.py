"""The objects a user holds that do I/O: a workspace, its datastores and compute targets, experiments, runs,
and a pipeline that submits itself.

The SDK's public names, the CLI and the server all call these modules, so there is one copy of the logic. They
reach a workspace's storage (its DB and folders) through `Workspace` alone: the seam where a shared workspace's
facade will talk to a server instead.
"""
