"""Package surveys."""
