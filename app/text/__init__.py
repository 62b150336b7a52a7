"""Russian text: lemmas, names, masking."""
