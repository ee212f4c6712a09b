"""Small bundled data sets for examples and tests (nothing is downloaded)."""

from typing import NamedTuple

import numpy as np
from jaxtyping import Float


class Split(NamedTuple):
    """A train/test split: inputs `x_*` and one-hot targets `y_*` (float32 NumPy arrays, one
    row per sample). `jnp.argmax(y, -1)` gives the integer labels."""

    x_train: Float[np.ndarray, "n_train ..."]
    y_train: Float[np.ndarray, "n_train n_classes"]
    x_test: Float[np.ndarray, "n_test ..."]
    y_test: Float[np.ndarray, "n_test n_classes"]


def load_digits(*, test_fraction: float = 0.2, seed: int = 0, flatten: bool = True) -> Split:
    """scikit-learn's bundled 8×8 handwritten digits (1797 images, 10 classes, shipped with
    scikit-learn: no download), scaled to [0, 1], with one-hot labels and a stratified,
    seeded train/test split.

    Each class is shuffled by `numpy.random.default_rng(seed)` and its first
    `round(test_fraction · n_class)` images are held out, so the test set keeps the class
    balance. With the defaults the test set has 359 images and the training set 1438. Both
    sets are returned in a shuffled order; the same arguments always give the same arrays.

    **Arguments:**

    - `test_fraction`: the share of each class held out for testing, in (0, 1).
    - `seed`: seeds the split.
    - `flatten`: images as 64-vectors (default) or as `(8, 8)` arrays.

    **Returns:** a `Split` `(x_train, y_train, x_test, y_test)`; `x` has shape `(n, 64)` (or
    `(n, 8, 8)`), `y` has shape `(n, 10)`.
    """
    if not (isinstance(test_fraction, int | float) and 0.0 < test_fraction < 1.0):
        raise ValueError(f"load_digits: `test_fraction` must be in (0, 1), got {test_fraction!r}.")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"load_digits: `seed` must be a non-negative int, got {seed!r}.")
    try:
        from sklearn.datasets import load_digits as _sklearn_load_digits
    except ImportError as error:
        raise ImportError(
            "dynax.datasets.load_digits needs scikit-learn (it reads the digits bundled with "
            "it): pip install 'dynax[examples]'."
        ) from error
    bunch = _sklearn_load_digits()
    images = np.asarray(bunch.images, dtype=np.float32) / np.float32(16.0)
    labels = np.asarray(bunch.target, dtype=np.int64)
    n_classes = int(labels.max()) + 1

    rng = np.random.default_rng(seed)
    test_parts, train_parts = [], []
    for c in range(n_classes):
        members = rng.permutation(np.flatnonzero(labels == c))
        n_test = round(test_fraction * members.size)
        test_parts.append(members[:n_test])
        train_parts.append(members[n_test:])
    test_index = rng.permutation(np.concatenate(test_parts))
    train_index = rng.permutation(np.concatenate(train_parts))

    x = images.reshape(len(images), -1) if flatten else images
    one_hot = np.eye(n_classes, dtype=np.float32)[labels]
    return Split(
        x_train=x[train_index],
        y_train=one_hot[train_index],
        x_test=x[test_index],
        y_test=one_hot[test_index],
    )
