"""Tests of the fault proxy (lakeproof.faultproxy)."""
