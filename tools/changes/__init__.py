"""Changing the live project safely: apply, recovery, rollback, audit log, kill switch, locks, git."""
