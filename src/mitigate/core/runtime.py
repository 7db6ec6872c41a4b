"""Seeds derived per purpose, explicit random generators, and the compute device."""
import hashlib

import numpy as np
import torch

from .errors import ConfigError


def derive_seed(seed: int, purpose: str) -> int:
    """A 63-bit seed for one purpose ("data/colors", "train/init/main", ...) of one run seed.

    Seeds of different purposes are independent, so adding a random draw in one place never
    shifts the numbers drawn in another.
    """
    digest = hashlib.sha256(f"{seed}/{purpose}".encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


def numpy_rng(seed: int, purpose: str) -> np.random.Generator:
    return np.random.default_rng(derive_seed(seed, purpose))


def torch_generator(seed: int, purpose: str) -> torch.Generator:
    return torch.Generator().manual_seed(derive_seed(seed, purpose))


def resolve_device(name: str) -> torch.device:
    """`auto` is CUDA when present, else CPU; `cpu`, `cuda` and `cuda:N` are taken as given."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ConfigError("device", f"unknown device {name!r}; use auto, cpu, cuda or cuda:N") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device", f"{name!r} asked for but CUDA is not available; use auto or cpu")
    return device

