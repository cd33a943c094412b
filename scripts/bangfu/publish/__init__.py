"""Publish stage: public outputs written from the aggregate tables (open data extracts)."""
