"""v1's `EntryScript` for a ParallelRunStep's entry script: its logger, written to the v1 logs layout.

Standard library only: it runs in the worker processes of duto's parallel-run driver, in the step's environment.
"""

from __future__ import annotations

import logging
import os

LOG_FILE_ENV = "DUTO_PARALLEL_LOG_FILE"
LOG_LEVEL_ENV = "DUTO_PARALLEL_LOG_LEVEL"
OUTPUT_DIR_ENV = "DUTO_PARALLEL_OUTPUT_DIR"


class EntryScript:
    """What an entry script asks of its run: `EntryScript().logger`, and `output_dir` (the step's output).

    In a worker, the logger writes to `logs/user/entry_script_log/<node>/processNNN.log.txt` of the step;
    outside one, to the standard error.
    """

    _logger: logging.Logger | None = None

    @property
    def logger(self) -> logging.Logger:
        if EntryScript._logger is None:
            logger = logging.getLogger("duto.parallel_run.entry_script")
            path = os.environ.get(LOG_FILE_ENV)
            handler: logging.Handler = logging.FileHandler(path) if path else logging.StreamHandler()
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
            logger.addHandler(handler)
            logger.setLevel(os.environ.get(LOG_LEVEL_ENV, "INFO").upper())
            logger.propagate = False
            EntryScript._logger = logger
        return EntryScript._logger

    @property
    def output_dir(self) -> str:
        """The folder of the step's output, where a "summary_only" script writes what it makes."""
        return os.environ.get(OUTPUT_DIR_ENV, os.getcwd())
