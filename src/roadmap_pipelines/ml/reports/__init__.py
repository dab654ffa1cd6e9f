"""Figures shared by the reports."""
