"""Classifiers behind one interface and a registry (after timm's).

Every classifier splits into `forward_features` (a feature map, N x C x H x W, or a feature
vector, N x D), `pool` (to N x D) and the final linear layer `fc`, so CAM, DFA and LfF can reach
each part.
"""
from . import cnn, mlp, resnet  # noqa: E402,F401  (the built-in architectures register themselves)
from .classifier import Classifier
from .registry import DISENTANGLED, MODELS, TIMM, arch_problems, build_model, register_model

__all__ = ["Classifier", "DISENTANGLED", "MODELS", "TIMM", "arch_problems", "build_model", "register_model"]
