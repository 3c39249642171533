"""Schedules' arithmetic and polling, with no I/O beyond the files they watch: when a recurrence is due, and what
changed under a watched datastore path."""
