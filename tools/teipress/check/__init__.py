"""Phase 2, check: schema validation and Schematron rules, one document at a time."""
