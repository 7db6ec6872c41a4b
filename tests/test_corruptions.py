import cv2
import numpy as np
import pytest
from PIL import Image

from mitigate.core.errors import UserError
from mitigate.data import corruptions as corruptions_module
from mitigate.data.corruptions import CORRUPTIONS, TYPES, corrupt, corrupt_images
from mitigate.data.figures import corruption_grid, draw_corruption_table, example_photo

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


# Golden parameter tables, severity 1..5: Hendrycks & Dietterich 2019, CIFAR-10-C as created by
# the authors' make_cifar_c.py (hendrycks/robustness). zoom_blur: the end of the authors'
# np.arange(1, end, 0.01); elastic_transform: the authors' multiples of IMSIZE = 32.
PUBLISHED = {
    "gaussian_noise": (0.04, 0.06, 0.08, 0.09, 0.10),
    "shot_noise": (500, 250, 100, 75, 50),
    "impulse_noise": (0.01, 0.02, 0.03, 0.05, 0.07),
    "speckle_noise": (0.06, 0.1, 0.12, 0.16, 0.2),
    "gaussian_blur": (0.4, 0.6, 0.7, 0.8, 1),
    "defocus_blur": ((0.3, 0.4), (0.4, 0.5), (0.5, 0.6), (1, 0.2), (1.5, 0.1)),
    "glass_blur": ((0.05, 1, 1), (0.25, 1, 1), (0.4, 1, 1), (0.25, 1, 2), (0.4, 1, 2)),
    "motion_blur": ((6, 1), (6, 1.5), (6, 2), (8, 2), (9, 2.5)),
    "zoom_blur": (1.06, 1.11, 1.16, 1.21, 1.26),
    "snow": ((0.1, 0.2, 1, 0.6, 8, 3, 0.95), (0.1, 0.2, 1, 0.5, 10, 4, 0.9), (0.15, 0.3, 1.75, 0.55, 10, 4, 0.9),
             (0.25, 0.3, 2.25, 0.6, 12, 6, 0.85), (0.3, 0.3, 1.25, 0.65, 14, 12, 0.8)),
    "frost": ((1, 0.2), (1, 0.3), (0.9, 0.4), (0.85, 0.4), (0.75, 0.45)),
    "fog": ((0.2, 3), (0.5, 3), (0.75, 2.5), (1, 2), (1.5, 1.75)),
    "brightness": (0.05, 0.1, 0.15, 0.2, 0.3),
    "contrast": (0.75, 0.5, 0.4, 0.3, 0.15),
    "spatter": ((0.62, 0.1, 0.7, 0.7, 0.5, 0), (0.65, 0.1, 0.8, 0.7, 0.5, 0), (0.65, 0.3, 1, 0.69, 0.5, 0),
                (0.65, 0.1, 0.7, 0.69, 0.6, 1), (0.65, 0.1, 0.5, 0.68, 0.6, 1)),
    "elastic_transform": ((0, 0, 0.08), (0.05, 0.2, 0.07), (0.08, 0.06, 0.06), (0.1, 0.04, 0.05), (0.1, 0.03, 0.03)),
    "jpeg_compression": (80, 65, 58, 50, 40),
    "pixelate": (0.95, 0.9, 0.85, 0.75, 0.65),
    "saturate": ((0.3, 0), (0.1, 0), (1.5, 0), (2, 0.1), (2.5, 0.2)),
}


def test_every_corruption_but_the_identity_has_a_published_table():
    assert set(PUBLISHED) == set(CORRUPTIONS) - {"original"}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_the_parameter_table_is_the_authors(name, cat, monkeypatch):
    """The table each corruption reads its severity's parameters from (the first one it looks up)."""
    tables = []
    real = corruptions_module._level

    def record(table, severity):
        tables.append(table)
        return real(table, severity)

    monkeypatch.setattr(corruptions_module, "_level", record)
    corrupt(cat, name, 1, np.random.default_rng(0))
    assert tables and np.allclose(np.array(tables[0], dtype=float), np.array(PUBLISHED[name], dtype=float), rtol=0, atol=1e-12)
