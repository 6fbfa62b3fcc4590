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

i64 = lambda *s: f32(*s).astype(np.int64)  # noqa: E731
b8 = lambda *s: f32(*s) > 1  # noqa: E731
_idx = np.zeros((1, 2, 2, 2), dtype=np.int64)
CASES.update({
    # floating-only kernels: integer / bool inputs are NotImplementedError (or RuntimeError) in PyTorch
    "max_unpool1d_int": (lambda x: F.max_unpool1d(x, tl.zeros(2, 3, dtype=tl.int64), 2),
                         lambda x: TF.max_unpool1d(x, torch.zeros(2, 3, dtype=torch.int64), 2), (i64(2, 3),)),
    "max_unpool2d_bool": (lambda x: F.max_unpool2d(x, tl.tensor(_idx), 2),
                          lambda x: TF.max_unpool2d(x, torch.from_numpy(_idx), 2), (b8(1, 2, 2, 2),)),
    "max_unpool3d_int": (lambda x: F.max_unpool3d(x, tl.zeros(1, 1, 2, 2, 2, dtype=tl.int64), 2),
                         lambda x: TF.max_unpool3d(x, torch.zeros(1, 1, 2, 2, 2, dtype=torch.int64), 2),
                         (i64(1, 1, 2, 2, 2),)),
    "unfold_int": (lambda x: F.unfold(x, 2), lambda x: TF.unfold(x, 2), (i64(2, 2, 4, 4),)),
    "unfold_0d": (lambda x: F.unfold(x, 2), lambda x: TF.unfold(x, 2), (f32(),)),
    "unfold_2d": (lambda x: F.unfold(x, 2), lambda x: TF.unfold(x, 2), (f32(4, 4),)),
    "fold_int": (lambda x: F.fold(x, (4, 4), 2), lambda x: TF.fold(x, (4, 4), 2), (i64(2, 8, 9),)),
    "multi_margin_int": (F.multi_margin_loss, TF.multi_margin_loss, (i64(3, 4), np.zeros(3, dtype=np.int64))),
    "kthvalue_bool": (lambda x: tl.kthvalue(x, 1), lambda x: torch.kthvalue(x, 1), (b8(3, 5),)),
    "topk_bool": (lambda x: tl.topk(x, 2), lambda x: torch.topk(x, 2), (b8(3, 5),)),
    "cov_bool": (tl.cov, torch.cov, (b8(3, 5),)),
    "corrcoef_bool": (tl.corrcoef, torch.corrcoef, (b8(3, 5),)),
    "trapezoid_bool": (tl.trapezoid, torch.trapezoid, (b8(3, 5),)),
    "cumulative_trapezoid_bool": (tl.cumulative_trapezoid, torch.cumulative_trapezoid, (b8(3, 5),)),
    "mvlgamma_bool": (lambda x: tl.mvlgamma(x, 1), lambda x: torch.mvlgamma(x, 1), (b8(3, 4),)),
    "local_response_norm_bool": (lambda x: F.local_response_norm(x, 2), lambda x: TF.local_response_norm(x, 2),
                                 (b8(2, 4, 3),)),
    "embedding_bag_int_weight": (F.embedding_bag, TF.embedding_bag, (np.zeros((2, 3), dtype=np.int64), i64(6, 3))),
    "embedding_bag_bool_weight": (F.embedding_bag, TF.embedding_bag, (np.zeros((2, 3), dtype=np.int64), b8(6, 3))),
    "hinge_embedding_int_mean": (F.hinge_embedding_loss, TF.hinge_embedding_loss, (i64(3, 4), f32(3, 4))),
    # bilinear: dtypes (bias included) checked first; too few dims are IndexErrors
    "bilinear_int_bias": (F.bilinear, TF.bilinear, (f32(3, 4), f32(3, 2), f32(5, 4, 2), i64(5))),
    "bilinear_bool_bias": (F.bilinear, TF.bilinear, (f32(3, 4), f32(3, 2), f32(5, 4, 2), b8(5))),
    "bilinear_0d_bias": (F.bilinear, TF.bilinear, (f32(3, 4), f32(3, 2), f32(5, 4, 2), f32())),
    "bilinear_0d_weight": (F.bilinear, TF.bilinear, (f32(3, 4), f32(3, 2), f32())),
    "bilinear_2d_weight": (F.bilinear, TF.bilinear, (f32(3, 4), f32(3, 2), f32(5, 4))),
    "bilinear_2d_weight_bad_in1": (F.bilinear, TF.bilinear, (f32(3, 4), f32(3, 2), f32(2, 3))),
    "bilinear_0d_inputs": (F.bilinear, TF.bilinear, (f32(), f32(), f32(5, 4, 2))),
})


_l2 = np.array([[0, 1], [1, 0]], dtype=np.int64)
CASES.update({
    # exception TYPE as PyTorch's: a dim out of range (0-d tensors included) is an IndexError; a dtype that
    # reaches a kernel's dispatch is NotImplementedError
    "index_add_0d_source": (lambda x, s: tl.index_add(x, 0, tl.tensor(_l2[0]), s),
                            lambda x, s: torch.index_add(x, 0, torch.from_numpy(_l2[0]), s), (f32(3, 4), f32())),
    "index_add_0d_source_dim1": (lambda x, s: tl.index_add(x, 1, tl.tensor(_l2[0]), s),
                                 lambda x, s: torch.index_add(x, 1, torch.from_numpy(_l2[0]), s), (f32(3, 4), f32())),
    "index_reduce_0d_source": (lambda x, s: tl.index_reduce(x, 0, tl.tensor(_l2[0]), s, "prod"),
                               lambda x, s: torch.index_reduce(x, 0, torch.from_numpy(_l2[0]), s, "prod"),
                               (f32(3, 4), f32())),
    "index_copy_0d_source": (lambda x, s: tl.index_copy(x, 0, tl.tensor(_l2[0]), s),
                             lambda x, s: torch.index_copy(x, 0, torch.from_numpy(_l2[0]), s), (f32(3, 4), f32())),
    "index_copy_rank_mismatch": (lambda x, s: tl.index_copy(x, 0, tl.tensor(_l2[0]), s),
                                 lambda x, s: torch.index_copy(x, 0, torch.from_numpy(_l2[0]), s),
                                 (f32(3, 4), f32(2, 4, 1))),
    "scatter_src_fewer_dims": (lambda x, s: tl.scatter(x, 1, tl.tensor(_l2), s),
                               lambda x, s: torch.scatter(x, 1, torch.from_numpy(_l2), s), (f32(3, 4), f32(4))),
    "scatter_add_src_fewer_dims_small": (lambda x, s: tl.scatter_add(x, 0, tl.zeros(5, 4, dtype=tl.int64), s),
                                         lambda x, s: torch.scatter_add(x, 0, torch.zeros(5, 4, dtype=torch.int64), s),
                                         (f32(5, 4), f32(4))),
    "take_along_dim_fewer_dims": (lambda x: tl.take_along_dim(x, tl.tensor(_l2), 1),
                                  lambda x: torch.take_along_dim(x, torch.from_numpy(_l2), 1), (f32(4),)),
    "take_along_dim_0d": (lambda x: tl.take_along_dim(x, tl.tensor(_l2), 1),
                          lambda x: torch.take_along_dim(x, torch.from_numpy(_l2), 1), (f32(),)),
    "unflatten_0d_dim1": (lambda x: tl.unflatten(x, 1, (1, 1)), lambda x: torch.unflatten(x, 1, (1, 1)), (f32(),)),
    "mv_0d_matrix": (tl.mv, torch.mv, (f32(), f32(4))),
    "addmv_0d_matrix": (tl.addmv, torch.addmv, (f32(2), f32(), f32(4))),
    "baddbmm_2d_batch1": (tl.baddbmm, torch.baddbmm, (f32(2, 3, 5), f32(3, 4), f32(2, 4, 5))),
    "addbmm_2d_batch1": (tl.addbmm, torch.addbmm, (f32(3, 5), f32(3, 4), f32(2, 4, 5))),
    "baddbmm_2d_batch2": (tl.baddbmm, torch.baddbmm, (f32(2, 3, 5), f32(2, 3, 4), f32(4, 5))),
    "bmm_bool_first": (tl.bmm, torch.bmm, (b8(2, 3, 4), f32(2, 4, 5))),
    "bmm_bool_second": (tl.bmm, torch.bmm, (f32(2, 3, 4), b8(2, 4, 5))),
    "einsum_bool_first": (lambda a, b: tl.einsum("ij,jk->ik", a, b), lambda a, b: torch.einsum("ij,jk->ik", a, b),
                          (b8(2, 3), f32(3, 4))),
    "einsum_bool_second": (lambda a, b: tl.einsum("ij,jk->ik", a, b), lambda a, b: torch.einsum("ij,jk->ik", a, b),
                           (f32(2, 3), b8(3, 4))),
    "median_bool": (tl.median, torch.median, (b8(3, 4),)),
    "median_dim_bool": (lambda x: tl.median(x, 1), lambda x: torch.median(x, 1), (b8(3, 4),)),
    "nanmedian_bool": (tl.nanmedian, torch.nanmedian, (b8(3, 4),)),
    "cholesky_legacy_int": (tl.cholesky, torch.cholesky, (i64(3, 3),)),
    "linalg_cholesky_int": (tl.linalg.cholesky, torch.linalg.cholesky, (i64(3, 3),)),
    "eigh_bool": (tl.linalg.eigh, torch.linalg.eigh, (b8(4, 4),)),
    "eigvalsh_int": (tl.linalg.eigvalsh, torch.linalg.eigvalsh, (i64(4, 4),)),
    "solve_triangular_int": (lambda a, b: tl.linalg.solve_triangular(a, b, upper=True),
                             lambda a, b: torch.linalg.solve_triangular(a, b, upper=True), (i64(3, 3), f32(3, 3))),
    "grid_sample_int_input": (lambda x, g: F.grid_sample(x, g, align_corners=False),
                              lambda x, g: TF.grid_sample(x, g, align_corners=False), (i64(1, 1, 3, 4), f32(1, 2, 2, 2))),
    "grid_sample_int_input_bad_batch": (lambda x, g: F.grid_sample(x, g, align_corners=False),
                                        lambda x, g: TF.grid_sample(x, g, align_corners=False),
                                        (i64(2, 1, 3, 4), f32(1, 2, 2, 2))),
    "grid_sample_int_grid": (lambda x, g: F.grid_sample(x, g, align_corners=False),
                             lambda x, g: TF.grid_sample(x, g, align_corners=False), (f32(1, 1, 3, 4), i64(1, 2, 2, 2))),
    "grid_sample_0d_input": (lambda x, g: F.grid_sample(x, g, align_corners=False),
                             lambda x, g: TF.grid_sample(x, g, align_corners=False), (f32(), f32(1, 2, 2, 2))),
    "grid_sample_0d_grid": (lambda x, g: F.grid_sample(x, g, align_corners=False),
                            lambda x, g: TF.grid_sample(x, g, align_corners=False), (f32(1, 1, 3, 4), f32())),
    "cross_entropy_0d_input": (F.cross_entropy, TF.cross_entropy, (f32(), np.zeros(4, dtype=np.int64))),
    "ctc_loss_0d_log_probs": (lambda lp: F.ctc_loss(lp, tl.tensor(_l2 + 1), [1, 1], [2, 2]),
                              lambda lp: TF.ctc_loss(lp, torch.from_numpy(_l2 + 1), [1, 1], [2, 2]), (f32(),)),
    "ctc_loss_0d_targets": (lambda lp, t: F.ctc_loss(lp, t, [6, 6, 6], [1, 1, 1]),
                            lambda lp, t: TF.ctc_loss(lp, t, [6, 6, 6], [1, 1, 1]),
                            (np.log(f32(6, 3, 4)), np.array(1, dtype=np.int64))),
    "batch_norm_eval_0d": (lambda x, m, v: F.batch_norm(x, m, v), lambda x, m, v: TF.batch_norm(x, m, v),
                           (f32(), f32(3), f32(3))),
    "embedding_empty_weight": (F.embedding, TF.embedding, (_l2, f32(0, 4))),
    "interpolate_0d_size": (lambda x: F.interpolate(x, size=(2, 3), mode="bilinear"),
                            lambda x: TF.interpolate(x, size=(2, 3), mode="bilinear"), (f32(),)),
    "interpolate_6d_size": (lambda x: F.interpolate(x, size=(2, 3, 4), mode="trilinear"),
                            lambda x: TF.interpolate(x, size=(2, 3, 4), mode="trilinear"), (f32(1, 1, 1, 2, 2, 2),)),
    "interpolate_0d_scale": (lambda x: F.interpolate(x, scale_factor=2.0, mode="bilinear"),
                             lambda x: TF.interpolate(x, scale_factor=2.0, mode="bilinear"), (f32(),)),
})

CASES.update({
    # too few dims: PyTorch's Python wrappers and kernels read sizes before checking the rank
    "max_unpool2d_0d": (lambda x: F.max_unpool2d(x, tl.zeros((), dtype=tl.int64), 2),
                        lambda x: TF.max_unpool2d(x, torch.zeros((), dtype=torch.int64), 2), (f32(),)),
    "avg_pool2d_1d": (lambda x: F.avg_pool2d(x, 2), lambda x: TF.avg_pool2d(x, 2), (f32(4),)),
    "lp_pool2d_0d": (lambda x: F.lp_pool2d(x, 2, 2), lambda x: TF.lp_pool2d(x, 2, 2), (f32(),)),
    "adaptive_avg_pool3d_tuple_2d": (lambda x: F.adaptive_avg_pool3d(x, (1, 1, 1)),
                                     lambda x: TF.adaptive_avg_pool3d(x, (1, 1, 1)), (f32(3, 3),)),
    "adaptive_max_pool2d_tuple_1d": (lambda x: F.adaptive_max_pool2d(x, (1, 1)),
                                     lambda x: TF.adaptive_max_pool2d(x, (1, 1)), (f32(3),)),
    "rms_norm_0d": (lambda x: F.rms_norm(x, (3,)), lambda x: TF.rms_norm(x, (3,)), (f32(),)),
})


@pytest.mark.parametrize("name", ["atleast_1d", "atleast_2d", "atleast_3d"])
def test_atleast_rejects_non_tensors_like_torch(name):
    with pytest.raises(TypeError):
        getattr(torch, name)(np.int64(3))
    with pytest.raises(TypeError, match=name):
        getattr(tl, name)(np.int64(3))


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_raises_like_torch(name):
    ours, theirs, arrays = CASES[name]
    with pytest.raises(Exception) as want:
        theirs(*[torch.from_numpy(np.array(a)) for a in arrays])
    with pytest.raises(want.type):
        ours(*[tl.tensor(np.array(a)) for a in arrays])
