"""Pulses: anonymous answers, and results that respect the privacy rules."""
