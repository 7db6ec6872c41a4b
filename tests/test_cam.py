"""Class activation maps and CAM-guided patch sampling."""
import pytest
import torch

from mitigate.biaswap.cam import class_activation_maps, crop_patches, patch_center_distribution, sample_centers, uniform_distribution
from mitigate.core.errors import UserError
from mitigate.models import build_model


@pytest.mark.parametrize("arch,size,cam_size", [("cnn", 28, 7), ("resnet20", 32, 8), ("timm/resnet18", 64, 2)])
def test_cam_averaged_over_positions_is_the_logit_minus_its_bias(arch, size, cam_size):
    torch.manual_seed(0)
    model = build_model(arch, (3, size, size), 10).eval()
    x = torch.rand(5, 3, size, size)
    classes = torch.tensor([0, 3, 9, 3, 1])
    with torch.no_grad():
        cam = class_activation_maps(model, x, classes)
        logits = model(x)
    assert cam.shape == (5, cam_size, cam_size)
    expected = logits[torch.arange(5), classes] - model.fc.bias[classes]
    assert torch.allclose(cam.mean(dim=(1, 2)), expected, atol=1e-5)


def test_cam_of_a_flat_model_is_a_user_error():
    with pytest.raises(UserError, match="convolutional"):
        class_activation_maps(build_model("mlp", (3, 28, 28), 10), torch.rand(2, 3, 28, 28), torch.tensor([0, 1]))


def test_patch_center_distribution_is_a_softmax_over_positions():
    cam = torch.tensor([[[0.0, 0.0], [0.0, 2.0]]])
    p = patch_center_distribution(cam)
    assert p.sum().item() == pytest.approx(1.0)
    e = torch.exp(torch.tensor(2.0)).item()
    assert p[0, 1, 1].item() == pytest.approx(e / (3 + e))
    assert p[0, 0, 0].item() == pytest.approx(1 / (3 + e))


def test_centers_fall_in_the_cells_drawn():
    distribution = torch.zeros(2, 7, 7)
    distribution[0, 2, 5] = 1.0  # all mass in one cell: pixels rows 8..11, cols 20..23 of a 28 px image
    distribution[1, 6, 0] = 1.0
    centers = sample_centers(distribution, (28, 28), 50, torch.Generator().manual_seed(0))
    assert centers.shape == (2, 50, 2)
    assert ((centers[0, :, 0] >= 8) & (centers[0, :, 0] < 12) & (centers[0, :, 1] >= 20) & (centers[0, :, 1] < 24)).all()
    assert ((centers[1, :, 0] >= 24) & (centers[1, :, 1] < 4)).all()
    assert len(set(map(tuple, centers[0].tolist()))) > 1  # jittered inside the cell


def test_uniform_centers_cover_the_image():
    centers = sample_centers(uniform_distribution(1, 7, 7, torch.device("cpu")), (28, 28), 4000,
                             torch.Generator().manual_seed(0))
    assert centers.min() == 0 and centers.max() == 27
    assert len(set(map(tuple, centers[0].tolist()))) > 700


def test_crop_patches_reads_around_the_center_and_pads_with_zeros():
    images = torch.arange(2 * 6 * 6, dtype=torch.float).reshape(2, 1, 6, 6)
    patches = crop_patches(images, torch.tensor([[[2, 3]], [[0, 0]]]), 3)
    assert patches.shape == (2, 1, 1, 3, 3)
    assert torch.equal(patches[0, 0, 0], images[0, 0, 1:4, 2:5])
    assert torch.equal(patches[1, 0, 0, 1:, 1:], images[1, 0, :2, :2])
    assert patches[1, 0, 0, 0].abs().sum() == 0 and patches[1, 0, 0, :, 0].abs().sum() == 0
