"""Package appeals."""
