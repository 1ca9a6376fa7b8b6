"""Tests of the reference cluster."""
