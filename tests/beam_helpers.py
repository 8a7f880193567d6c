"""Helpers for running composites on the real local runner in tests."""
from apache_beam.testing.test_pipeline import TestPipeline


def local_pipeline() -> TestPipeline:
    # Explicit runner: the default one tries to download Prism.
    return TestPipeline(runner="FnApiRunner")
