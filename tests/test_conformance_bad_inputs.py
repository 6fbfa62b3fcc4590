"""Bad inputs found by a conformance fuzz (mutated registry samples): tensorlite must raise the same exception
type as PyTorch instead of returning a silently wrong result or failing deep inside NumPy."""
import numpy as np
import pytest

import tensorlite as tl
import tensorlite.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

f32 = lambda *s: np.random.default_rng(0).uniform(0.5, 1.5, s).astype(np.float32)  # noqa: E731

CASES = {
    # name: (tensorlite call, torch call, arrays)
    "cross_int_float": (tl.cross, torch.linalg.cross, (f32(4, 3).astype(np.int64), f32(4, 3))),
    "cross_float_bool": (tl.cross, torch.linalg.cross, (f32(4, 3), f32(4, 3) > 1)),
    "cross_bool": (tl.cross, torch.linalg.cross, (f32(4, 3) > 1, f32(4, 3))),
    "solve_0d_B": (tl.linalg.solve, torch.linalg.solve, (f32(3, 3) + 3 * np.eye(3, dtype=np.float32), f32())),
    "lstsq_B_more_dims": (tl.linalg.lstsq, torch.linalg.lstsq, (f32(5, 2), f32(2, 5, 2))),
    "soft_margin_target_broadcasts_up": (F.soft_margin_loss, TF.soft_margin_loss, (f32(3, 4), f32(2, 3, 4))),
    "soft_margin_input_0d": (F.soft_margin_loss, TF.soft_margin_loss, (f32(), f32(3, 4))),
    "soft_margin_int_input": (F.soft_margin_loss, TF.soft_margin_loss, (f32(3, 4).astype(np.int64), f32(3, 4))),
    "huber_int_input": (F.huber_loss, TF.huber_loss, (f32(3, 4).astype(np.int64), f32(3, 4))),
    "gaussian_nll_bool_var": (F.gaussian_nll_loss, TF.gaussian_nll_loss, (f32(3, 4), f32(3, 4), f32(3, 4) > 1)),
    "gaussian_nll_int_var": (F.gaussian_nll_loss, TF.gaussian_nll_loss,
                             (f32(3, 4), f32(3, 4), f32(3, 4).astype(np.int64))),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_raises_like_torch(name):
    ours, theirs, arrays = CASES[name]
    with pytest.raises(Exception) as want:
        theirs(*[torch.from_numpy(np.array(a)) for a in arrays])
    with pytest.raises(want.type):
        ours(*[tl.tensor(np.array(a)) for a in arrays])
