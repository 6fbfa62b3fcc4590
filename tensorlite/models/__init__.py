"""The rebuilt systems: each model in its own module, with PyTorch/torchvision parameter names."""
from .resnet import BasicBlock, Bottleneck, ResNet, resnet18, resnet34, resnet50, resnet101, resnet152, resnet_mini

__all__ = ["ResNet", "BasicBlock", "Bottleneck", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "resnet_mini",
           "get_model", "list_models"]

_REGISTRY = {"resnet18": resnet18, "resnet34": resnet34, "resnet50": resnet50, "resnet101": resnet101,
             "resnet152": resnet152, "resnet_mini": resnet_mini}


def list_models() -> list[str]:
    return sorted(_REGISTRY)


def get_model(name: str, **kwargs):
    """Build a model by name (`get_model("resnet18", num_classes=10, small_input=True)`)."""
    try:
        return _REGISTRY[name](**kwargs)
    except KeyError:
        raise ValueError(f"unknown model '{name}'; available: {', '.join(list_models())}") from None
