"""The method interface, after DomainBed's Algorithm: a method owns its networks and
optimizers; `update` takes one batch and one optimizer step and returns named losses;
`predict` gives logits of the inference network(s); `on_epoch_end` is a hook for methods that
need a pass over the data; `sampling_weights` lets a method draw its batches non-uniformly."""
import pkgutil
from collections.abc import Callable, Iterator, Mapping
from importlib import import_module
from pathlib import Path

import torch
from torch import nn

from ..core.config import Length, Problems, settings
from ..core.runtime import derive_seed, torch_generator
from ..data.dataset import Batch, TensorSplit
from ..models import Classifier, build_model
from .optimizer import adam
from .settings import TrainSettings


@settings
class NoHparams:
    """A method without hyper-parameters: `hparams.<name>: {}`."""


class MethodRegistry(Mapping):
    """Method classes by name. Every module of the `methods` package is a method of its module's
    name, found by listing the package's folder and imported at its first lookup, so a stage
    loads only the methods it runs and dvc.yaml lists exactly their files as deps
    (`python -m mitigate.dvc_deps`). Adding a method is adding its module (docs/adding_a_method.md)."""

    def __init__(self, package: str, folder: Path):
        self.package = package
        self.built_in = tuple(sorted(module.name for module in pkgutil.iter_modules([str(folder)])))
        self._classes: dict[str, type[Method]] = {}

    def add(self, name: str, cls: type["Method"]) -> None:
        self._classes[name] = cls

    def __getitem__(self, name: str) -> type["Method"]:
        if name not in self._classes and name in self.built_in:
            import_module(f"{self.package}.{name}")
            if name not in self._classes:
                raise TypeError(f"{self.package}.{name} defines no method registered as {name!r} (@register_method({name!r}))")
        return self._classes[name]

    def __contains__(self, name) -> bool:
        return name in self.built_in or name in self._classes

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(set(self.built_in) | set(self._classes)))

    def __len__(self) -> int:
        return len(set(self.built_in) | set(self._classes))


METHODS_PACKAGE = "mitigate.methods"
METHODS = MethodRegistry(METHODS_PACKAGE, Path(__file__).parents[1] / "methods")
BUILT_IN_METHODS = METHODS.built_in


def register_method(name: str):
    def add(cls):
        cls.name = name
        METHODS.add(name, cls)
        return cls
    return add


class ModelFactory:
    """Freshly initialised networks whose weights depend only on (seed, role), so methods compare
    paired: vanilla's model and LfF's debiased model (both role "main") start from the same
    weights. Also seeded generators for a method's own random draws."""

    def __init__(self, arch: str, input_shape, num_classes: int, seed: int, device: torch.device):
        self.arch, self.input_shape, self.num_classes = arch, tuple(input_shape), num_classes
        self.seed, self.device = seed, device

    def module(self, role: str, build: Callable[[], nn.Module]) -> nn.Module:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(derive_seed(self.seed, f"init/{role}"))
            module = build()
        return module.to(self.device)

    def __call__(self, role: str, arch: str | None = None) -> Classifier:
        """A classifier of `arch` (default: the training settings' arch) for `role`."""
        return self.module(role, lambda: build_model(arch or self.arch, self.input_shape, self.num_classes))

    def generator(self, purpose: str) -> torch.Generator:
        return torch_generator(self.seed, purpose)


class Method(nn.Module):
    name: str
    Hparams = NoHparams
    training_set: str | None = None  # the training set the method needs, if only one will do

    uses_bias_labels = False  # True for references that train with the ground-truth bias attribute

    @classmethod
    def schedule_problems(cls, hparams, length: Length) -> Problems:
        """(sub-key, message) for each phase of `hparams` (fractions of the training) that a
        training of `length` would remove or leave empty; none for a method without phases."""
        return iter(())

    def __init__(self, make_model: ModelFactory, train: TensorSplit, num_classes: int,
                 settings: TrainSettings, hparams):
        super().__init__()
        self.settings = settings
        self.hparams = hparams
        self.num_classes = num_classes

    def make_optimizer(self, *modules: nn.Module) -> torch.optim.Optimizer:
        params = [p for m in modules for p in m.parameters()]
        return adam(params, lr=self.settings.lr, weight_decay=self.settings.weight_decay)

    def update(self, batch: Batch) -> dict[str, torch.Tensor]:
        """One optimizer step on `batch`; returns detached scalar losses by name (`loss` first)."""
        raise NotImplementedError

    def predictors(self) -> list[Classifier]:
        """The network(s) used at inference; `predict` averages their logits."""
        raise NotImplementedError

    def predictor_arch(self) -> str:
        """The architecture name that rebuilds each predictor (see `models.build_model`)."""
        return self.settings.arch

    def predict(self, x: torch.Tensor) -> torch.Tensor:
        members = self.predictors()
        return sum(m(x) for m in members) / len(members)

    @property
    def num_epochs(self) -> int:
        """Epochs of the training loop (a method with phases may need more than train.epochs)."""
        return self.settings.epochs

    def sampling_weights(self) -> torch.Tensor | None:
        """Per training sample, the relative probability of being drawn into the next epoch's
        batches (drawn with replacement); None draws each sample once, in random order."""
        return None

    def on_epoch_end(self, epoch: int, train: TensorSplit) -> None:
        pass

    def report(self) -> dict:
        """What the method learned besides its predictor, for the metrics (e.g. NAL's
        `learned_transition`)."""
        return {}


def step(optimizer: torch.optim.Optimizer, loss: torch.Tensor) -> None:
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
