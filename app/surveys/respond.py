"""Respondent pages (public): one survey page at a time, validated idempotent submission."""
