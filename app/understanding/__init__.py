"""The learned understanding of free text: examples in, a label with a confidence out; crises checked first."""
