"""`python -m duto.cli`: the `duto` command, exactly as its console script runs it."""

from duto.cli.entry import main

main()
