"""Trained predictors on disk, loaded back for inference."""
import pickle
from pathlib import Path

import torch

from ..core.errors import InputError
from ..models import Classifier, build_model


def save_predictor(path: Path, method, input_shape, num_classes: int) -> None:
    torch.save({
        "method": method.name, "arch": method.predictor_arch(), "input_shape": list(input_shape), "num_classes": num_classes,
        "members": [m.state_dict() for m in method.predictors()], "uses_bias_labels": method.uses_bias_labels,
    }, path)


class Predictor(torch.nn.Module):
    """A trained method's inference network(s), loaded back for evaluation: mean of logits."""

    def __init__(self, members: list[Classifier], uses_bias_labels: bool):
        super().__init__()
        self.members = torch.nn.ModuleList(members)
        self.uses_bias_labels = uses_bias_labels  # trained with the ground-truth bias attribute (a reference)

    def forward(self, x):
        return sum(m(x) for m in self.members) / len(self.members)


def load_predictor(path: str | Path, device: torch.device, stage: str) -> Predictor:
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path} is missing; regenerate it with `dvc repro {stage}`")
    try:
        checkpoint = torch.load(path, map_location=device, weights_only=True)
        members = []
        for state in checkpoint["members"]:
            model = build_model(checkpoint["arch"], checkpoint["input_shape"], checkpoint["num_classes"])
            model.load_state_dict(state)
            members.append(model)
        uses_bias_labels = bool(checkpoint["uses_bias_labels"])
    except (RuntimeError, KeyError, EOFError, OSError, ValueError, pickle.UnpicklingError) as error:
        raise InputError(f"{path} is corrupt ({type(error).__name__}); regenerate it with `dvc repro {stage}`") from None
    return Predictor(members, uses_bias_labels).to(device).eval()
