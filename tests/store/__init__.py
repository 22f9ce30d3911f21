"""Tests of zippifi.store against real engines: SQLite, PostgreSQL and Redis."""
