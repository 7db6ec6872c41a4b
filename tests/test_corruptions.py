import cv2
import numpy as np
import pytest
from PIL import Image

from mitigate.corruption_figure import corruption_grid, draw_corruption_table, example_photo
from mitigate.data.corruptions import CORRUPTIONS, TYPES, corrupt, corrupt_images
from mitigate.errors import UserError

# the corruptions that draw random numbers; the others are fixed functions of the image
RANDOM = {"snow", "frost", "fog", "spatter", "elastic_transform", "gaussian_noise", "shot_noise", "impulse_noise",
          "speckle_noise", "glass_blur", "motion_blur"}
# CIFAR-10-C's elastic parameters shrink the random affine part with severity (8% -> 3% of the
# image size) while the elastic part grows: by pixel difference severity 1 moves the image more
NOT_MONOTONE = {"original", "elastic_transform"}


@pytest.fixture(scope="module")
def cat() -> np.ndarray:
    return example_photo(32)


def distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(float) - b).mean())


def test_types_are_lffs_twenty_corruptions_in_order():
    assert TYPES[0][:3] == ("snow", "frost", "fog") and TYPES[1][-1] == "original"
    assert [len(names) for names in TYPES.values()] == [10, 10]
    assert sorted(TYPES[0] + TYPES[1]) == sorted(CORRUPTIONS)


@pytest.mark.parametrize("name", CORRUPTIONS)
@pytest.mark.parametrize("size", [32, 28, 64])
def test_keeps_shape_dtype_and_range_at_every_severity(cat, name, size):
    image = cv2.resize(cat, (size, size), interpolation=cv2.INTER_AREA)
    for severity in range(1, 6):
        out = corrupt(image, name, severity, np.random.default_rng(0))
        assert out.shape == image.shape and out.dtype == np.uint8
        assert out.flags.writeable and not np.shares_memory(out, image)


@pytest.mark.parametrize("name", CORRUPTIONS)
def test_is_deterministic_for_a_seed(cat, name):
    first, again, other = (corrupt(cat, name, 3, np.random.default_rng(seed)) for seed in (1, 1, 2))
    assert np.array_equal(first, again)
    assert np.array_equal(first, other) == (name not in RANDOM)


@pytest.mark.parametrize("name", sorted(set(CORRUPTIONS) - NOT_MONOTONE))
def test_severity_5_moves_the_image_further_than_severity_1(cat, name):
    mild, strong = (corrupt(cat, name, severity, np.random.default_rng(0)) for severity in (1, 5))
    assert distance(strong, cat) > distance(mild, cat) > 0


def test_original_is_the_identity(cat):
    assert all(np.array_equal(corrupt(cat, "original", s, np.random.default_rng(0)), cat) for s in range(1, 6))


def test_unknown_name_or_severity_is_a_one_line_user_error(cat):
    with pytest.raises(UserError, match="unknown corruption 'rain'; valid names: snow, frost"):
        corrupt(cat, "rain", 1, np.random.default_rng(0))
    for severity in (0, 6):
        with pytest.raises(UserError, match="severity must be one of 1, 2, 3, 4, 5"):
            corrupt(cat, "snow", severity, np.random.default_rng(0))
    with pytest.raises(UserError, match="one corruption name per image"):
        corrupt_images(cat[None], ["snow", "fog"], 5, seed=0)


def test_corrupt_images_gives_the_same_bytes_for_any_workers_and_chunk(cat):
    names = [TYPES[i % 2][i % 10] for i in range(24)]
    images = np.stack([np.roll(cat, i, axis=1) for i in range(24)])
    serial = corrupt_images(images, names, 5, seed=7, workers=1, progress=False)
    parallel = corrupt_images(images, names, 5, seed=7, workers=2, progress=False, chunk=5)
    assert np.array_equal(serial, parallel)
    assert np.array_equal(serial[3], corrupt(images[3], names[3], 5, np.random.default_rng([7, 3])))


def test_table_has_a_block_per_type_of_10_corruptions_by_5_severities(cat, tmp_path):
    grid = corruption_grid(cat, seed=0)
    assert {kind: (len(rows), {len(row) for row in rows}) for kind, rows in grid.items()} == {0: (10, {5}), 1: (10, {5})}
    assert np.array_equal(grid[1][9][4], cat)  # original, severity 5
    draw_corruption_table(cat, seed=0, path=tmp_path / "table.png")
    with Image.open(tmp_path / "table.png") as png:
        assert png.format == "PNG" and png.width > png.height > 300
