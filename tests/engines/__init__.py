"""Tests that other JSON Schema engines read our schema bundles as ours does."""
