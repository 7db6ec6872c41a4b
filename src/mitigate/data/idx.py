"""IDX files (the format of MNIST, Fashion-MNIST and KMNIST), plain or gzip-compressed.

Format (LeCun et al., http://yann.lecun.com/exdb/mnist/): a big-endian 32-bit magic number
0x000008NN (0x08: unsigned byte data, NN: the number of dimensions), NN big-endian 32-bit sizes,
then the data, row-major.
"""
import gzip
import zlib
from pathlib import Path

import numpy as np

from ..core.errors import InputError, first_line

LABELS_MAGIC = 0x00000801  # uint8, N
IMAGES_MAGIC = 0x00000803  # uint8, N x rows x cols
KINDS = {LABELS_MAGIC: "label", IMAGES_MAGIC: "image"}
FIX = "replace it with the dataset's original file, or set data.root to a folder that has it"


def existing(folder: Path, name: str) -> Path | None:
    """`folder/name` if it exists, else `folder/name.gz` if that does, else None."""
    for path in (folder / name, folder / f"{name}.gz"):
        if path.is_file():
            return path
    return None


def read_idx(path: Path, magic: int) -> np.ndarray:
    """The uint8 array of an IDX file with this `magic` (LABELS_MAGIC or IMAGES_MAGIC)."""
    kind = KINDS[magic]
    data = _read_bytes(path)
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    found = int.from_bytes(data[:4], "big") if len(data) >= 4 else None
    if found != magic:
        shown = "too short" if found is None else f"magic 0x{found:08x}, expected 0x{magic:08x}"
        raise InputError(f"{path}: not an IDX {kind} file ({shown}); {FIX}")
    if len(data) < header:
        raise InputError(f"{path}: IDX {kind} file truncated in its header; {FIX}")
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    size = int(np.prod(shape))
    if len(data) - header != size:
        dims = " x ".join(map(str, shape))
        raise InputError(f"{path}: header says {dims} = {size} bytes of data, the file holds {len(data) - header} "
                         f"(truncated or padded); {FIX}")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape).copy()


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, decompressed when its name ends in .gz."""
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as file:
                return file.read()
        return path.read_bytes()
    # gzip raises BadGzipFile (an OSError) on a wrong header, EOFError when cut short, zlib.error when corrupt
    except (OSError, EOFError, zlib.error) as error:
        raise InputError(f"{path}: cannot be read ({first_line(error)}); {FIX}") from None
