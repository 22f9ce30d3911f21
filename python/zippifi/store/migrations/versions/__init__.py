"""Alembic revision scripts (loaded by file path; the package marker keeps tools tidy)."""
