"""Package analysis."""
