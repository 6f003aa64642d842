"""Shared fixtures: `device` runs a test on the CPU and, when a GPU is visible, on CUDA."""
import pytest

import ktensor

_NO_CUDA = not ktensor.cuda.is_available()


@pytest.fixture(params=[
    "cpu",
    pytest.param("cuda", marks=[pytest.mark.cuda,
                                pytest.mark.skipif(_NO_CUDA, reason="no CUDA device visible to ktensor")]),
])
def device(request):
    return request.param
