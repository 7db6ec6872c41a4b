"""The yardsticks of BiaSwap's swaps for any bias attribute (color, a corruption, gender, ...):
a bias judge that reads an image's bias attribute and a content judge that reads its target,
each trained with vanilla cross entropy on data where the two attributes are independent, so
that neither can lean on the other:
- synthesized datasets: the `balanced` split, the training images with their attribute drawn
  independently of the class (`data.build`);
- attribute datasets (no such split): group-balanced batches of the training split, every
  (target, bias) group equally likely (Sagawa et al. 2020). With few bias-conflicting images the
  content judge then memorises them and reads the bias elsewhere: its accuracy on bias-conflicting
  test images, in metrics/judges.json, says how far to trust it."""
import copy

from ..data.dataset import TensorSplit
from ..evaluation.metrics import bias_accuracies
from ..methods import Method
from ..models.inference import predict_logits
from ..training.balanced_sampling import group_balanced_weights
from ..training.loop import build_method, fit
from ..training.settings import TrainSettings

JUDGES = ("bias", "content")


def judged(data: TensorSplit, judge: str) -> TensorSplit:
    """`data` labelled with what `judge` reads: the bias attribute (`bias`) or the target (`content`)."""
    if judge == "content":
        return data
    relabelled = copy.copy(data)
    relabelled.y = relabelled.true_y = data.bias
    return relabelled


def train_judge(judge: str, train: TensorSplit, valid: TensorSplit, settings: TrainSettings, outputs: int,
                seed: int, group_balanced: bool) -> Method:
    """`judge` (of JUDGES, `outputs` classes) trained on `train`; with `group_balanced`, in
    batches drawn with the group-balanced weights of `train`'s (target, bias) groups."""
    labelled = judged(train, judge)
    method = build_method("vanilla", None, settings, labelled, outputs, train.image_shape, seed, epochs_key="judges.epochs")
    if group_balanced:
        weights = group_balanced_weights(train.y, train.bias)
        method.sampling_weights = lambda: weights  # vanilla's cross entropy, on group-balanced batches
    fit(method, labelled, judged(valid, judge), settings, seed, desc=f"{judge} judge")
    return method


def judge_accuracies(method: Method, data: TensorSplit, judge: str, num_classes: int, num_bias: int) -> dict:
    """How often `judge` reads its attribute right on the real images of `data`: over all of them
    (`unbiased`, as in `evaluation.metrics`), the bias-aligned and bias-conflicting ones where
    present, and its worst (target, bias) group."""
    correct = (predict_logits(method.predict, data).argmax(1) == judged(data, judge).y).cpu().numpy()
    return bias_accuracies(correct, data.y.cpu().numpy(), data.bias.cpu().numpy(), num_classes, num_bias)


def train_judges(splits: dict[str, TensorSplit], settings: TrainSettings, num_classes: int, num_bias: int,
                 seed: int) -> tuple[dict[str, Method], dict]:
    """Both judges trained on `splits["balanced"]` when there is one, else on group-balanced
    batches of `splits["train"]` (validated on `valid`), and their accuracies on the valid and
    test images: ({judge: method}, {judge: {split: accuracies}})."""
    outputs = {"bias": num_bias, "content": num_classes}
    group_balanced = "balanced" not in splits
    train = splits["train"] if group_balanced else splits["balanced"]
    judges = {judge: train_judge(judge, train, splits["valid"], settings, outputs[judge], seed, group_balanced) for judge in JUDGES}
    metrics = {judge: {name: judge_accuracies(method, splits[name], judge, num_classes, num_bias) for name in ("valid", "test")}
               for judge, method in judges.items()}
    return judges, metrics
