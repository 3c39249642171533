"""Pipeline definitions: steps, data, parameters, the graph and its spec. Pure: no disk, DB or network."""
