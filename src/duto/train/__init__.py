"""Training: the v1 names of `azureml.train`."""
