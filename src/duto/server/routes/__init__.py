"""One router per resource; `app.py` mounts each under `/api`."""
