"""Which training labels are wrong: out-of-sample predicted probabilities from k-fold
cross-validation (fold models trained by a registered method; ELR by default), judged three ways
on the same probabilities: DivideMix's loss GMM (its clean mode taken from the losses against
every class), the Bayes posterior of each label under the estimated noise transition matrix, and
cleanlab's `find_label_issues` (confident learning, Northcutt et al. 2021)."""
import dataclasses
from dataclasses import dataclass
from typing import Annotated

import numpy as np
import torch
import torch.nn.functional as F

from ..core.config import PositiveInt, Problems, bounded, choice, settings
from ..core.runtime import numpy_rng
from ..data.dataset import TensorSplit
from ..evaluation.metrics import precision_recall_f1
from ..methods import METHODS
from ..models.inference import predict_logits
from ..training.loop import build_method, fit
from ..training.settings import TrainSettings
from .loss_mixture import clean_probability_from_clean_mode


@settings
class NoiseSplitSettings:
    folds: Annotated[int, bounded(">= 2")]  # cross-validation folds: each sample is scored by a model that never saw it
    epochs: PositiveInt  # of each fold's model (train.arch, train.lr, train.batch_size)
    method: str  # trains the fold models (hyper-parameters from hparams.<name>)

    def problems(self) -> Problems:
        yield from choice(self.method, "method", list(METHODS))
        if self.method in METHODS and METHODS[self.method].training_set is not None:
            needed = METHODS[self.method].training_set
            yield "method", f"{self.method} trains on the {needed} set, not on labels alone; choose another method"


def fold_of_each_sample(labels: np.ndarray, folds: int, rng: np.random.Generator) -> np.ndarray:
    """Stratified by label: within each class, a seeded permutation dealt round-robin."""
    assignment = np.empty(len(labels), dtype=np.int64)
    for c in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == c))
        assignment[members] = np.arange(len(members)) % folds
    return assignment


@dataclass(frozen=True)
class FoldTraining:
    """How the fold models are trained: a registered method, its hyper-parameters, the settings."""
    method: str
    hparams: object
    settings: TrainSettings
    folds: int


def fold_training(split: NoiseSplitSettings, train: TrainSettings, hparams) -> FoldTraining:
    """The fold models' training: params.yaml `train` with `split_noise.epochs`, by
    `split_noise.method` with its hyper-parameters `hparams` (`hparams.<method>`)."""
    return FoldTraining(split.method, hparams, dataclasses.replace(train, epochs=split.epochs), split.folds)


def out_of_sample_probabilities(train: TensorSplit, training: FoldTraining, num_classes: int, seed: int) -> np.ndarray:
    """N x C softmax outputs, each from the fold model trained on the other folds (its method's
    phases are fractions of split_noise.epochs)."""
    fold = fold_of_each_sample(train.y.cpu().numpy(), training.folds, numpy_rng(seed, "noise_split/folds"))
    probabilities = np.zeros((len(train), num_classes))
    for k in range(training.folds):
        held_out = torch.from_numpy(fold == k)
        fit_part, scored = train.subset(~held_out), train.subset(held_out)
        model = build_method(training.method, training.hparams, training.settings, fit_part, num_classes,
                             train.image_shape, seed, epochs_key="split_noise.epochs")
        fit(model, fit_part, scored, training.settings, seed, desc=f"fold {k + 1} of {training.folds}")
        model.eval()
        probabilities[held_out.numpy()] = F.softmax(predict_logits(model.predict, scored), 1).cpu().numpy()
    return probabilities


# Below 1e-4 nats (p > 0.9999) a loss difference is float32 rounding, not evidence.
LOSS_FLOOR = 1e-4


def cross_entropies(probabilities: np.ndarray) -> np.ndarray:
    """-log p of every sample against every class (p clipped at 1e-12: at most 27.6 nats)."""
    return -np.log(np.clip(probabilities, 1e-12, 1))


def log_losses(probabilities: np.ndarray) -> np.ndarray:
    """log(cross-entropy + LOSS_FLOOR) of every sample against every class."""
    return np.log(cross_entropies(probabilities) + LOSS_FLOOR)


def gmm_noisy_scores(probabilities: np.ndarray, labels: np.ndarray, seed: int) -> np.ndarray:
    """1 - p(clean) from a two-component GMM on the given labels' log losses whose clean component
    is the true-class mode of the log losses against every class. Those N x C losses always hold
    a true-class mode (1/C of them) and a wrong-class mode, whatever the noise rate; the given
    labels' losses alone may have no second mode (80% symmetric noise), and DivideMix's GMM from
    k-means then spends a component on the noisy tail and calls most noisy labels clean. The log
    makes both modes about Gaussian (cross-entropies run from 1e-6 to 27 nats)."""
    every_class = log_losses(probabilities)
    given = every_class[np.arange(len(labels)), labels]
    return 1 - clean_probability_from_clean_mode(given, every_class.ravel(), seed=seed)


def label_clean_posterior(probabilities: np.ndarray, labels: np.ndarray, transition: np.ndarray) -> np.ndarray:
    """p(given label j is the true class | x, j) by Bayes' rule, T[i, j] = p(label j | class i):
    T_jj p_j(x) / sum_i T_ij p_i(x), reading the fold model's probabilities p as the class
    posterior (what a noise-robust fold model such as ELR estimates; one that memorised the noisy
    labels breaks this). The label is called noisy when T_jj p_j < sum_{i != j} T_ij p_i: one
    threshold per class pair, set by how often each class is labelled j. With symmetric noise
    it is a single loss threshold set by the noise rate."""
    rows = np.arange(len(labels))
    kept = transition[labels, labels] * probabilities[rows, labels]
    return kept / np.maximum((probabilities @ transition)[rows, labels], 1e-12)


def transition_noisy_scores(probabilities: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """1 - `label_clean_posterior` under the transition matrix that confident learning estimates
    from the same probabilities (cleanlab's calibrated confident joint, Northcutt et al. 2021)."""
    from cleanlab.count import estimate_py_and_noise_matrices_from_probabilities

    _, noise_matrix, _, _ = estimate_py_and_noise_matrices_from_probabilities(labels=labels, pred_probs=probabilities)
    return 1 - label_clean_posterior(probabilities, labels, noise_matrix.T)  # cleanlab's is [label, class]


def cleanlab_noisy(probabilities: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """cleanlab's flags (`find_label_issues`) and scores (1 - label quality)."""
    from cleanlab.filter import find_label_issues
    from cleanlab.rank import get_label_quality_scores

    flags = find_label_issues(labels=labels, pred_probs=probabilities)
    return flags, 1 - get_label_quality_scores(labels=labels, pred_probs=probabilities)


def detect_noisy_labels(probabilities: np.ndarray, labels: np.ndarray, seed: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(flags, scores) of "noisy" from each detector, by name: gmm, transition, cleanlab; the
    first two flag a label whose p(clean) is below 1/2."""
    gmm = gmm_noisy_scores(probabilities, labels, seed)
    transition = transition_noisy_scores(probabilities, labels)
    return {"gmm": (gmm > 0.5, gmm), "transition": (transition > 0.5, transition),
            "cleanlab": cleanlab_noisy(probabilities, labels)}


def detection_metrics(predicted: np.ndarray, scores: np.ndarray, truth: np.ndarray) -> dict:
    """Precision / recall / F1 of the flags and ROC AUC of the scores for "noisy" (AUC is None
    when every label is clean or every label noisy)."""
    from sklearn.metrics import roc_auc_score

    auc = round(float(roc_auc_score(truth, scores)), 6) if 0 < truth.sum() < len(truth) else None
    return {"flagged": int(predicted.sum()), **precision_recall_f1(predicted, truth), "auc": auc}
