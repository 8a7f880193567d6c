"""transforms.dedup.scurve: our bands x rows choice is datasketch's, computed without its private helper."""
import numpy as np
import pytest
from datasketch.lsh import _optimal_param

from transforms.dedup.scurve import collision_probability, optimal_bands_rows


@pytest.mark.parametrize("threshold", [0.1, 0.3, 0.5, 0.7, 0.9])
@pytest.mark.parametrize("num_perm,fp", [(128, 0.3), (128, 0.5), (64, 0.5), (256, 0.3)])
def test_matches_datasketch(threshold, num_perm, fp):
    assert optimal_bands_rows(threshold, num_perm, fp, 1 - fp) == _optimal_param(threshold, num_perm, fp, 1 - fp)


def test_default_config_bands():
    assert optimal_bands_rows(0.3, 128, 0.3, 0.7) == (42, 3)


def test_collision_probability_is_the_s_curve():
    p = collision_probability(np.array([0.0, 0.3, 1.0]), 42, 3)
    assert p[0] == 0.0 and p[2] == 1.0
    assert 0.6 < p[1] < 0.75  # 68% at Jaccard 0.3 with 42x3, as the MinHashConfig docstring says


def test_rejects_bad_threshold():
    with pytest.raises(ValueError):
        optimal_bands_rows(1.0, 128)
