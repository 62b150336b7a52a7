"""Staff pages for marketing: designer, distribution, responses and exports."""
