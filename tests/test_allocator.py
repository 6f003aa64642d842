"""The host allocator's cache of large blocks: reused memory never leaks old values."""
import numpy as np

import ktensor as kt


def test_reused_blocks_hold_fresh_values():
    for n in (16385, 262144, 1 << 20):  # below, at and above the cache threshold (64 KiB)
        a = kt.ones((n,))
        del a
        z = kt.zeros((n,))
        np.testing.assert_array_equal(z.numpy(), np.zeros(n, np.float32))
        del z
        r = kt.arange(n, dtype=kt.float32)
        np.testing.assert_array_equal(r.numpy(), np.arange(n, dtype=np.float32))


def test_many_sizes_stay_correct():
    rng = np.random.default_rng(3)
    kept = []
    for i in range(60):
        n = int(rng.integers(1, 3 << 20))
        v = rng.random(n, dtype=np.float32)
        t = kt.constant(v) * 2.0
        np.testing.assert_array_equal(t.numpy(), v * 2.0)
        if i % 7 == 0:
            kept.append((t, v))
    for t, v in kept:
        np.testing.assert_array_equal(t.numpy(), v * 2.0)
