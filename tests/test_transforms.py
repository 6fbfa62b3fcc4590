"""tl.data.transforms: exact formulas, PyTorch parity where torch has the operation, seeding and batching."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import tensorlite as tl
import tensorlite.utils.data as tld
from tensorlite.data import transforms as T


def _img(shape=(3, 10, 12), seed=0, dtype=np.float32):
    return np.random.default_rng(seed).random(shape).astype(dtype)


def _u8(shape=(10, 12, 3), seed=0):
    return np.random.default_rng(seed).integers(0, 256, shape).astype(np.uint8)


# -- ToTensor / Normalize / Compose / Lambda ---------------------------------------------------------------
def test_to_tensor_exact():
    hwc = _u8()
    out = T.ToTensor()(hwc)
    assert out.dtype == tl.float32 and out.shape == (3, 10, 12)
    np.testing.assert_array_equal(out.numpy(), hwc.transpose(2, 0, 1).astype(np.float32) / np.float32(255))
    assert 0.0 <= float(out.min()) and float(out.max()) <= 1.0
    gray = T.ToTensor()(_u8((5, 7)))
    assert gray.shape == (1, 5, 7)
    batch = T.ToTensor()(_u8((4, 5, 7, 3)))
    assert batch.shape == (4, 3, 5, 7)
    floats = T.ToTensor()(np.full((2, 3, 3), 7.5))
    assert floats.dtype == tl.float64 and float(floats.max()) == 7.5  # non-uint8 keeps values and dtype
    with pytest.raises(TypeError):
        T.ToTensor()(tl.zeros(3, 4, 4))
    with pytest.raises(ValueError):
        T.ToTensor()(np.zeros((1, 1, 1, 1, 1), dtype=np.uint8))


def test_normalize_exact_and_differentiable():
    x = _img()
    mean, std = [0.1, 0.2, 0.3], [0.5, 0.25, 2.0]
    ref = (x - np.array(mean, np.float32)[:, None, None]) / np.array(std, np.float32)[:, None, None]
    t = tl.tensor(x, requires_grad=True)
    out = T.Normalize(mean, std)(t)
    assert out.dtype == tl.float32
    np.testing.assert_allclose(out.detach().numpy(), ref, rtol=1e-6)
    out.sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), np.broadcast_to(1 / np.array(std, np.float32)[:, None, None], x.shape),
                               rtol=1e-6)
    batch = tl.tensor(np.stack([x, x]))
    np.testing.assert_allclose(T.Normalize(mean, std)(batch).numpy(), np.stack([ref, ref]), rtol=1e-6)
    inplace = tl.tensor(x)
    assert T.Normalize(mean, std, inplace=True)(inplace) is inplace
    np.testing.assert_allclose(inplace.numpy(), ref, rtol=1e-6)
    hwc = T.Normalize(mean, std)(x.transpose(1, 2, 0))
    np.testing.assert_allclose(hwc, ref.transpose(1, 2, 0), rtol=1e-6)
    with pytest.raises(TypeError):
        T.Normalize(mean, std)(tl.zeros(3, 2, 2, dtype=tl.uint8))
    with pytest.raises(ValueError):
        T.Normalize(mean, [1.0, 0.0, 1.0])(tl.tensor(x))
    with pytest.raises(ValueError):
        T.Normalize([0.5], [0.5])(tl.zeros(4, 4))


def test_compose_and_lambda():
    pipeline = T.Compose([T.ToTensor(), T.Lambda(lambda t: t * 2), T.Normalize([1.0], [1.0])])
    out = pipeline(np.full((2, 2), 255, dtype=np.uint8))
    np.testing.assert_allclose(out.numpy(), np.ones((1, 2, 2)))
    assert "ToTensor()" in repr(pipeline) and "Normalize" in repr(pipeline)
    with pytest.raises(TypeError):
        T.Lambda(3)


# -- geometry ----------------------------------------------------------------------------------------------
def test_flips_exact():
    x = _img()
    t = tl.tensor(x)
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=1.0)(t).numpy(), x[..., ::-1])
    np.testing.assert_array_equal(T.RandomVerticalFlip(p=1.0)(t).numpy(), x[:, ::-1])
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=0.0)(t).numpy(), x)
    hwc = _u8()
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=1.0)(hwc), hwc[:, ::-1])
    batch = np.stack([_img(seed=s) for s in range(16)])
    out = T.RandomHorizontalFlip(p=0.5)(tl.tensor(batch)).numpy()
    flipped = [np.array_equal(o, b[..., ::-1]) for o, b in zip(out, batch)]
    kept = [np.array_equal(o, b) for o, b in zip(out, batch)]
    assert all(f or k for f, k in zip(flipped, kept)) and any(flipped) and any(kept)


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric"])
def test_random_crop_with_padding_is_a_window_of_the_padded_image(mode):
    x = _img((3, 6, 7))
    padded = np.pad(x, ((0, 0), (2, 2), (2, 2)), mode=mode)
    assert np.array_equal(T.Pad(2, padding_mode=mode)(tl.tensor(x)).numpy(), padded)
    tl.manual_seed(0)
    for _ in range(5):
        out = T.RandomCrop(5, padding=2, padding_mode=mode)(tl.tensor(x)).numpy()
        assert out.shape == (3, 5, 5)
        windows = [(i, j) for i in range(6) for j in range(7) if np.array_equal(padded[:, i:i + 5, j:j + 5], out)]
        assert windows


def test_random_crop_fill_pad_if_needed_and_errors():
    x = np.ones((1, 3, 3), np.float32)
    out = T.RandomCrop(7, padding=2, fill=-1.0)(tl.tensor(x)).numpy()
    assert out.shape == (1, 7, 7) and (out == -1).sum() == 40 and (out == 1).sum() == 9
    assert T.RandomCrop((5, 8), pad_if_needed=True)(tl.tensor(x)).shape == (1, 5, 8)
    with pytest.raises(ValueError):
        T.RandomCrop(4)(tl.tensor(x))
    with pytest.raises(ValueError):
        T.RandomCrop(2, padding=1, padding_mode="wrap")


def test_center_crop_exact():
    x = _img((3, 9, 10))
    np.testing.assert_array_equal(T.CenterCrop(4)(tl.tensor(x)).numpy(), x[:, 2:6, 3:7])
    np.testing.assert_array_equal(T.CenterCrop((9, 10))(tl.tensor(x)).numpy(), x)
    big = T.CenterCrop(12)(tl.tensor(x)).numpy()
    assert big.shape == (3, 12, 12) and np.array_equal(big[:, 1:10, 1:11], x) and big[:, 0].sum() == 0


@pytest.mark.parametrize("size,antialias", [((7, 9), True), ((7, 9), False), ((20, 31), True), ((5, 24), True)])
def test_resize_bilinear_matches_torch_interpolate(size, antialias):
    x = _img((2, 3, 13, 17))
    ours = T.Resize(size, antialias=antialias)(tl.tensor(x)).numpy()
    ref = F.interpolate(torch.from_numpy(x), size=size, mode="bilinear", align_corners=False, antialias=antialias)
    np.testing.assert_allclose(ours, ref.numpy(), atol=2e-6)


def test_resize_nearest_and_shorter_edge_rule():
    x = _img((1, 3, 13, 17))
    ours = T.Resize((7, 30), interpolation="nearest")(tl.tensor(x)).numpy()
    np.testing.assert_array_equal(ours, F.interpolate(torch.from_numpy(x), size=(7, 30), mode="nearest").numpy())
    assert T.Resize(8)(tl.tensor(x)).shape == (1, 3, 8, 10)  # shorter edge 13 -> 8, 17 -> int(8 * 17 / 13)
    assert T.Resize(8)(_u8((17, 13, 3))).shape == (10, 8, 3)
    assert T.Resize(8, max_size=9)(tl.tensor(x)).shape == (1, 3, 7, 9)
    u8 = T.Resize((5, 6))(_u8())
    assert u8.dtype == np.uint8 and u8.shape == (5, 6, 3)


def test_random_resized_crop():
    x = _img((3, 16, 16))
    out = T.RandomResizedCrop(8)(tl.tensor(x))
    assert out.shape == (3, 8, 8) and out.dtype == tl.float32
    whole = T.RandomResizedCrop(8, scale=(1.0, 1.0), ratio=(1.0, 1.0))(tl.tensor(x)).numpy()
    np.testing.assert_allclose(whole, T.Resize((8, 8))(tl.tensor(x)).numpy(), atol=1e-6)
    assert T.RandomResizedCrop((5, 7))(_u8()).shape == (5, 7, 3)


def test_rotation_exact_cases():
    x = _img((3, 6, 6))
    np.testing.assert_array_equal(T.RandomRotation((90, 90))(tl.tensor(x)).numpy(), np.rot90(x, 1, axes=(1, 2)))
    np.testing.assert_allclose(T.RandomRotation((90, 90), interpolation="bilinear")(tl.tensor(x)).numpy(),
                               np.rot90(x, 1, axes=(1, 2)), atol=1e-6)
    np.testing.assert_array_equal(T.RandomRotation((180, 180))(tl.tensor(x)).numpy(), x[:, ::-1, ::-1])
    np.testing.assert_array_equal(T.RandomRotation(0)(tl.tensor(x)).numpy(), x)
    corners = T.RandomRotation((45, 45), fill=-1.0)(tl.tensor(np.ones((1, 9, 9), np.float32))).numpy()
    assert corners[0, 0, 0] == -1 and corners[0, 4, 4] == 1
    with pytest.raises(ValueError):
        T.RandomRotation(-3)
    with pytest.raises(NotImplementedError):
        T.RandomRotation(10, expand=True)


def test_affine_translation_and_identity():
    x = _img((3, 8, 8))
    np.testing.assert_array_equal(T.RandomAffine(0)(tl.tensor(x)).numpy(), x)
    tl.manual_seed(0)
    out = T.RandomAffine(0, translate=(0.3, 0.3))(tl.tensor(x)).numpy()
    shifts = [(dy, dx) for dy in range(-3, 4) for dx in range(-3, 4)
              if np.array_equal(out[:, max(dy, 0):8 + min(dy, 0), max(dx, 0):8 + min(dx, 0)],
                                x[:, max(-dy, 0):8 + min(-dy, 0), max(-dx, 0):8 + min(-dx, 0)])]
    assert shifts  # a whole-pixel shift of the content
    scaled = T.RandomAffine(0, scale=(2.0, 2.0), interpolation="bilinear")(tl.tensor(x)).numpy()
    np.testing.assert_allclose(scaled[:, 3:5, 3:5].mean(), x[:, 3:5, 3:5].mean(), atol=0.25)
    for bad in [dict(translate=(1.5, 0)), dict(scale=(0, 1)), dict(shear=-1), dict(shear=(1, 2, 3))]:
        with pytest.raises(ValueError):
            T.RandomAffine(0, **bad)


# -- photometric -------------------------------------------------------------------------------------------
def test_color_jitter_fixed_factors():
    x = _img((3, 5, 6))
    np.testing.assert_allclose(T.ColorJitter(brightness=(0.5, 0.5))(tl.tensor(x)).numpy(), x * 0.5, rtol=1e-6)
    flat = T.ColorJitter(contrast=(0.0, 0.0))(tl.tensor(x)).numpy()
    grey_mean = (0.2989 * x[0] + 0.587 * x[1] + 0.114 * x[2]).mean()
    np.testing.assert_allclose(flat, np.full_like(x, grey_mean), rtol=1e-5)
    grey = T.ColorJitter(saturation=(0.0, 0.0))(tl.tensor(x)).numpy()
    np.testing.assert_allclose(grey, np.repeat(T.Grayscale()(tl.tensor(x)).numpy(), 3, axis=0), rtol=1e-5)
    full_turn = T.ColorJitter(hue=(0.5, 0.5))(T.ColorJitter(hue=(0.5, 0.5))(tl.tensor(x))).numpy()
    np.testing.assert_allclose(full_turn, x, atol=1e-5)
    out = T.ColorJitter(0.8, 0.8, 0.8, 0.4)(tl.tensor(x))
    assert out.shape == (3, 5, 6) and 0 <= float(out.min()) and float(out.max()) <= 1
    u8 = T.ColorJitter(0.5, 0.5, 0.5, 0.1)(_u8())
    assert u8.dtype == np.uint8
    with pytest.raises(ValueError):
        T.ColorJitter(brightness=-1)
    with pytest.raises(ValueError):
        T.ColorJitter(hue=0.6)


def test_gaussian_noise():
    x = np.full((3, 40, 40), 0.5, np.float32)
    out = T.GaussianNoise(sigma=0.1)(tl.tensor(x)).numpy()
    assert out.dtype == np.float32 and abs((out - 0.5).std() - 0.1) < 0.01 and abs((out - 0.5).mean()) < 0.01
    assert T.GaussianNoise(sigma=5.0)(tl.tensor(x)).numpy().max() <= 1.0
    with pytest.raises(ValueError):
        T.GaussianNoise()(tl.zeros(3, 4, 4, dtype=tl.uint8))


def test_gaussian_blur_matches_torch_conv():
    x = _img((2, 3, 11, 12))
    k, s = 5, 1.3
    ours = T.GaussianBlur(k, s)(tl.tensor(x)).numpy()
    taps = np.linspace(-(k - 1) / 2, (k - 1) / 2, k)
    kernel = np.exp(-0.5 * (taps / s) ** 2)
    kernel /= kernel.sum()
    weight = torch.from_numpy(np.outer(kernel, kernel).astype(np.float32))[None, None].repeat(3, 1, 1, 1)
    ref = F.conv2d(F.pad(torch.from_numpy(x), (2, 2, 2, 2), mode="reflect"), weight, groups=3)
    np.testing.assert_allclose(ours, ref.numpy(), atol=1e-6)
    const = np.full((3, 6, 6), 0.25, np.float32)
    np.testing.assert_allclose(T.GaussianBlur(3)(tl.tensor(const)).numpy(), const, atol=1e-7)
    with pytest.raises(ValueError):
        T.GaussianBlur(4)
    with pytest.raises(ValueError):
        T.GaussianBlur(3, sigma=(2.0, 1.0))


def test_random_erasing():
    x = _img((3, 16, 16)) + 1.0
    out = T.RandomErasing(p=1.0, value=0)(tl.tensor(x)).numpy()
    erased = (out == 0).all(axis=0)
    rows, cols = np.nonzero(erased)
    assert erased.any() and erased[rows.min():rows.max() + 1, cols.min():cols.max() + 1].all()  # a rectangle
    np.testing.assert_array_equal(out[:, ~erased], x[:, ~erased])
    assert np.array_equal(T.RandomErasing(p=0.0)(tl.tensor(x)).numpy(), x)
    noisy = T.RandomErasing(p=1.0, value="random")(tl.tensor(x)).numpy()
    assert (noisy != x).any()
    t = tl.tensor(x)
    assert T.RandomErasing(p=1.0, inplace=True)(t) is t and (t.numpy() == 0).any()
    with pytest.raises(ValueError):
        T.RandomErasing(value="noise")
    with pytest.raises(ValueError):
        T.RandomErasing(p=2)
    with pytest.raises(TypeError):
        T.RandomErasing(value=object())


# -- seeding and batches -----------------------------------------------------------------------------------
RANDOM_TRANSFORMS = [
    T.RandomCrop(8, padding=2), T.RandomHorizontalFlip(), T.RandomVerticalFlip(), T.RandomResizedCrop(9),
    T.RandomRotation(30), T.RandomAffine(20, (0.1, 0.1), (0.8, 1.2), 10, interpolation="bilinear"),
    T.ColorJitter(0.5, 0.5, 0.5, 0.2), T.GaussianNoise(), T.GaussianBlur(3), T.RandomErasing(p=0.7),
    T.RandomErasing(p=0.9, value="random"),
]


@pytest.mark.parametrize("transform", RANDOM_TRANSFORMS, ids=lambda t: type(t).__name__)
def test_seeded_and_batch_equals_one_by_one(transform):
    batch = np.stack([_img((3, 12, 12), seed=s) for s in range(5)])
    tl.manual_seed(11)
    a = transform(tl.tensor(batch)).numpy()
    tl.manual_seed(11)
    b = transform(tl.tensor(batch)).numpy()
    np.testing.assert_array_equal(a, b)
    tl.manual_seed(11)
    singles = np.stack([transform(tl.tensor(img)).numpy() for img in batch])
    np.testing.assert_array_equal(a, singles)
    tl.manual_seed(11)
    channels_last = transform(batch.transpose(0, 2, 3, 1))  # NumPy NHWC gives the same pixels
    np.testing.assert_array_equal(channels_last.transpose(0, 3, 1, 2), a)
    assert a.dtype == np.float32


def test_generator_argument_is_independent_of_the_global_generator():
    x = tl.tensor(_img((3, 12, 12)))
    g = tl.Generator().manual_seed(5)
    first = T.RandomResizedCrop(6, generator=g)(x).numpy()
    tl.manual_seed(99)
    g.manual_seed(5)
    np.testing.assert_array_equal(T.RandomResizedCrop(6, generator=g)(x).numpy(), first)


class _Augmented(tld.Dataset):
    def __init__(self):
        self.images = np.stack([_u8((10, 10, 3), seed=s) for s in range(8)])
        self.transform = T.Compose([T.ToTensor(), T.RandomCrop(8, padding=1), T.ColorJitter(0.3, 0.3)])

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        return self.transform(self.images[i])


def test_augmentation_in_workers_is_seeded_the_same_in_processes_and_threads():
    runs = {}
    for context in (None, "thread", None):
        tl.manual_seed(0)
        loader = tld.DataLoader(_Augmented(), batch_size=2, num_workers=2, multiprocessing_context=context)
        runs.setdefault(context, []).append(np.concatenate([b.numpy() for b in loader]))
    np.testing.assert_array_equal(runs[None][0], runs[None][1])
    np.testing.assert_array_equal(runs[None][0], runs["thread"][0])
