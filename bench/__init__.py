"""Benchmarks of the platform beside raw PostgreSQL (`make bench`, entry point bench/run.py)."""
