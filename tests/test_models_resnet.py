"""ResNet: torchvision's parameter names, shapes and counts; forward parity with a torch build."""
import numpy as np
import pytest

import tensorlite as tl
from tensorlite.models import get_model, resnet18, resnet50, resnet_mini

torch = pytest.importorskip("torch")

# Parameter counts of torchvision's models at 1000 classes (from torchvision's model documentation).
TORCHVISION_PARAMS = {"resnet18": 11_689_512, "resnet34": 21_797_672, "resnet50": 25_557_032,
                      "resnet101": 44_549_160, "resnet152": 60_192_808}


def n_params(model):
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("name", ["resnet18", "resnet34", "resnet50"])
def test_parameter_count_matches_torchvision(name):
    assert n_params(get_model(name)) == TORCHVISION_PARAMS[name]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["resnet101", "resnet152"])
def test_parameter_count_matches_torchvision_deep(name):
    assert n_params(get_model(name)) == TORCHVISION_PARAMS[name]


def test_state_dict_keys_and_shapes_follow_torchvision():
    sd18 = resnet18().state_dict()
    assert len(sd18) == 122  # 20 convs, 20 batch norms x 5 entries, fc weight and bias
    expected18 = {"conv1.weight": (64, 3, 7, 7), "bn1.running_mean": (64,), "bn1.num_batches_tracked": (),
                  "layer1.0.conv1.weight": (64, 64, 3, 3), "layer1.1.bn2.bias": (64,),
                  "layer2.0.downsample.0.weight": (128, 64, 1, 1), "layer2.0.downsample.1.running_var": (128,),
                  "layer4.1.conv2.weight": (512, 512, 3, 3), "fc.weight": (1000, 512), "fc.bias": (1000,)}
    for key, shape in expected18.items():
        assert tuple(sd18[key].shape) == shape, key
    assert sd18["bn1.num_batches_tracked"].dtype == tl.int64
    sd50 = resnet50().state_dict()
    assert len(sd50) == 320
    expected50 = {"layer1.0.conv1.weight": (64, 64, 1, 1), "layer1.0.conv3.weight": (256, 64, 1, 1),
                  "layer1.0.downsample.0.weight": (256, 64, 1, 1), "layer3.5.conv2.weight": (256, 256, 3, 3),
                  "layer4.2.bn3.running_var": (2048,), "fc.weight": (1000, 2048)}
    for key, shape in expected50.items():
        assert tuple(sd50[key].shape) == shape, key


def test_initialisation_follows_torchvision():
    tl.manual_seed(0)
    m = resnet18()
    w = m.layer3[0].conv1.weight
    fan_out = w.shape[0] * w.shape[2] * w.shape[3]
    assert abs(float(w.detach().numpy().std()) - np.sqrt(2.0 / fan_out)) < 0.1 * np.sqrt(2.0 / fan_out)
    assert m.bn1.weight.tolist() == [1.0] * 64 and m.bn1.bias.tolist() == [0.0] * 64
    z = resnet18(zero_init_residual=True)
    assert float(z.layer1[0].bn2.weight.abs().sum()) == 0.0


def test_small_input_variant():
    m = resnet18(num_classes=10, in_channels=1, small_input=True)
    assert tuple(m.conv1.weight.shape) == (64, 1, 3, 3)
    assert isinstance(m.maxpool, tl.nn.Identity)
    out = m.eval()(tl.randn(2, 1, 28, 28))
    assert tuple(out.shape) == (2, 10)


# -- forward parity with an independent torch build using torchvision's names --------------------------
class TorchBlock(torch.nn.Module):
    def __init__(self, inp, planes, stride):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(inp, planes, 3, stride, 1, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(planes)
        self.conv2 = torch.nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = torch.nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inp != planes:
            self.downsample = torch.nn.Sequential(torch.nn.Conv2d(inp, planes, 1, stride, bias=False),
                                                  torch.nn.BatchNorm2d(planes))

    def forward(self, x):
        idt = x if self.downsample is None else self.downsample(x)
        out = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(out)) + idt)


class TorchMini(torch.nn.Module):
    """resnet_mini in torch: 3x3 stem, one BasicBlock per stage, 16-128 planes."""

    def __init__(self, in_ch=1, classes=10, p=16):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(in_ch, p, 3, 1, 1, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(p)
        widths = [p, 2 * p, 4 * p, 8 * p]
        inp = p
        for i, w in enumerate(widths):
            setattr(self, f"layer{i + 1}", torch.nn.Sequential(TorchBlock(inp, w, 1 if i == 0 else 2)))
            inp = w
        self.fc = torch.nn.Linear(8 * p, classes)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(x.mean(dim=(2, 3)))


@pytest.mark.parametrize("train", [False, True])
def test_resnet_mini_matches_torch_forward_and_backward(train):
    tl.manual_seed(0)
    ours = resnet_mini(num_classes=10, in_channels=1)
    ref = TorchMini()
    missing = ref.load_state_dict({k: torch.from_numpy(np.array(v.numpy())) for k, v in ours.state_dict().items()})
    assert not missing.missing_keys and not missing.unexpected_keys
    ours.train(train)
    ref.train(train)
    x = np.random.default_rng(0).standard_normal((4, 1, 28, 28)).astype(np.float32)
    out = ours(tl.tensor(x))
    out_ref = ref(torch.from_numpy(x))
    np.testing.assert_allclose(out.detach().numpy(), out_ref.detach().numpy(), rtol=1e-4, atol=1e-4)
    out.sum().backward()
    out_ref.sum().backward()
    np.testing.assert_allclose(ours.conv1.weight.grad.numpy(), ref.conv1.weight.grad.numpy(), rtol=1e-3, atol=1e-4)
    if train:
        np.testing.assert_allclose(ours.bn1.running_mean.numpy(), ref.bn1.running_mean.numpy(), rtol=1e-4, atol=1e-6)
