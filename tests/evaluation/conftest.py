import numpy as np
import pytest
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer


def _flatten(X):
    return np.asarray(X).reshape(len(X), -1)


@pytest.fixture
def nn1_series():
    """1-nearest-neighbour on flattened (N, C, T) series."""
    return make_pipeline(FunctionTransformer(_flatten), KNeighborsClassifier(n_neighbors=1))


@pytest.fixture
def bump_series():
    """Class 0: a bump at the start, class 1: the same bump at the end (``reverse`` swaps the classes)."""
    rng = np.random.default_rng(0)
    n, t = 40, 32
    y = np.repeat([0, 1], n // 2)
    X = 0.1 * rng.normal(size=(n, 1, t)).astype(np.float32)
    X[y == 0, 0, 2:8] += 2.0
    X[y == 1, 0, -8:-2] += 2.0
    return X, y
