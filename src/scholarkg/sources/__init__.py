"""Readers of publication listings into typed records, one module per format."""
