"""What each route does, as calls of the facade: no HTTP here, and no logic the SDK or CLI do not share."""
