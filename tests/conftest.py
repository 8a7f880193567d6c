"""Fixtures shared by several test modules."""
import pytest

from transforms.model import Limits
from transforms.extract.sandbox import ExtractionSandbox


@pytest.fixture
def sandbox_factory():
    """Makes ExtractionSandboxes and closes their worker processes after the test."""
    made = []

    def make(limits: Limits = Limits(), **kw) -> ExtractionSandbox:
        sb = ExtractionSandbox(limits, **kw)
        made.append(sb)
        return sb

    yield make
    for sb in made:
        sb.close()
