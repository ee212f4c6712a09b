"""load_digits: scikit-learn's bundled digits, scaled, one-hot, split by class and seed."""

import sys

import numpy as np
import pytest

from dynax.datasets import Split, load_digits

sklearn_datasets = pytest.importorskip("sklearn.datasets")


@pytest.fixture(scope="module")
def reference():
    bunch = sklearn_datasets.load_digits()
    return bunch.data.astype(np.float64) / 16.0, bunch.target


@pytest.fixture(scope="module")
def split():
    return load_digits()


def _rows(x, y):
    """Each sample as one row (pixels then label), sorted: a multiset of samples."""
    table = np.concatenate([np.asarray(x, np.float64), np.argmax(y, -1)[:, None]], axis=1)
    return table[np.lexsort(table.T[::-1])]


def test_shapes_dtypes_and_ranges(split):
    assert isinstance(split, Split)
    assert split.x_train.shape == (1438, 64) and split.y_train.shape == (1438, 10)
    assert split.x_test.shape == (359, 64) and split.y_test.shape == (359, 10)
    for a in split:
        assert a.dtype == np.float32
    for x in (split.x_train, split.x_test):
        assert x.min() == 0.0 and x.max() == 1.0
    for y in (split.y_train, split.y_test):
        assert set(np.unique(y)) == {0.0, 1.0}
        np.testing.assert_array_equal(y.sum(axis=1), 1.0)


def test_train_and_test_partition_the_data_with_their_labels(split, reference):
    """Together the two sets are exactly the 1797 (image, label) pairs, each once: the split
    is disjoint, complete, and every image keeps its label."""
    data, target = reference
    ours = _rows(
        np.concatenate([split.x_train, split.x_test]), np.concatenate([split.y_train, split.y_test])
    )
    theirs = _rows(data, np.eye(10)[target])
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-7)


def test_split_is_stratified(split, reference):
    _, target = reference
    counts = np.bincount(target, minlength=10)
    expected_test = np.round(0.2 * counts)
    np.testing.assert_array_equal(split.y_test.sum(axis=0), expected_test)
    np.testing.assert_array_equal(split.y_train.sum(axis=0), counts - expected_test)


def test_deterministic_per_seed_and_different_across_seeds(split):
    again = load_digits()
    for a, b in zip(split, again, strict=True):
        np.testing.assert_array_equal(a, b)
    other = load_digits(seed=1)
    assert not np.array_equal(other.x_test, split.x_test)
    # Different seeds hold out different images, not only a different order.
    assert not np.array_equal(_rows(other.x_test, other.y_test), _rows(split.x_test, split.y_test))


def test_test_fraction_and_images(reference):
    _, target = reference
    half = load_digits(test_fraction=0.5, flatten=False)
    assert half.x_train.shape[1:] == (8, 8)
    assert len(half.x_test) == np.round(0.5 * np.bincount(target)).sum()
    flat = load_digits(test_fraction=0.5)
    np.testing.assert_array_equal(half.x_test.reshape(-1, 64), flat.x_test)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"test_fraction": 0.0}, "test_fraction"),
        ({"test_fraction": 1.0}, "test_fraction"),
        ({"test_fraction": "0.2"}, "test_fraction"),
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
    ],
)
def test_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        load_digits(**kwargs)


def test_missing_scikit_learn_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match=r"pip install 'dynax\[examples\]'"):
        load_digits()
