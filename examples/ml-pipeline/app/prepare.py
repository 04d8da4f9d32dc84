"""Writes the dataset the model trains on into the `dataset` volume."""
import numpy as np
from sklearn.datasets import make_classification

from pipeline import DATASET

features, labels = make_classification(
    n_samples=2000, n_features=8, n_informative=5, n_classes=3, random_state=7
)
np.savetxt(DATASET, np.column_stack([features, labels]), delimiter=",", fmt="%.6f")
print(f"prepared {len(labels)} rows of {features.shape[1]} features in {DATASET}")
