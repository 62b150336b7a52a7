"""Package kiosk."""
