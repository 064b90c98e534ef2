"""Audit log: who signed in, who was refused, who imported and who changed which record."""
