"""Property-based tests: documents generated from the schemas, against the validator."""
