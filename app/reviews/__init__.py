"""Package reviews."""
