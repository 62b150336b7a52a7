"""Customers' personal data (152-ФЗ): retention purge, export and erasure on request (CLI only)."""
