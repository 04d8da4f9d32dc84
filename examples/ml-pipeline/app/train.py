"""Trains a classifier on the prepared dataset, keeps it in the `models`
volume, and records the run and its accuracy in the database."""
import os
import pickle

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

from pipeline import DATASET, MODEL, connect

data = np.loadtxt(DATASET, delimiter=",")
features, labels = data[:, :-1], data[:, -1].astype(int)
train_x, test_x, train_y, test_y = train_test_split(features, labels, test_size=0.25, random_state=0)
model = RandomForestClassifier(n_estimators=int(os.environ.get("TREES", "100")), random_state=0, n_jobs=-1)
model.fit(train_x, train_y)
accuracy = float(model.score(test_x, test_y))
with open(MODEL + ".tmp", "wb") as f:
    pickle.dump(model, f)
os.replace(MODEL + ".tmp", MODEL)

# On a GPU machine (compose.gpu.yaml) the GPU reserved for this run.
device = os.environ.get("NVIDIA_VISIBLE_DEVICES") or "cpu"
with connect() as conn, conn.cursor() as cur:
    cur.execute(
        "insert into runs (model, device, rows, accuracy) values (%s, %s, %s, %s) returning id",
        ("random-forest", device, len(labels), accuracy),
    )
    run = cur.fetchone()[0]
print(f"run {run}: trained on {len(labels)} rows on {device}, accuracy {accuracy:.3f}")
