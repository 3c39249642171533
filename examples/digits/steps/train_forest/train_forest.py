"""Train a random forest on the scaled training set; its size comes from the `forest_trees` parameter."""

import argparse
import os
import pickle

import numpy as np
from sklearn.ensemble import RandomForestClassifier

from duto import Run

parser = argparse.ArgumentParser()
parser.add_argument("--data", required=True, help="the prepare step's output folder")
parser.add_argument("--output", required=True)
args = parser.parse_args()

run = Run.get_context()
# Passed with params={"forest_trees": ...}, so it arrives as an environment variable, not an argument.
n_estimators = int(os.environ["AML_PARAMETER_forest_trees"])  # noqa: SIM112  # named after the params key

train = np.load(os.path.join(args.data, "train.npz"))
model = RandomForestClassifier(n_estimators=n_estimators, n_jobs=1, random_state=42)
model.fit(train["X"], train["y"])

accuracy = model.score(train["X"], train["y"])
run.log("n_estimators", n_estimators)
run.log("train_accuracy", accuracy)
print(f"RandomForestClassifier(n_estimators={n_estimators}): training accuracy {accuracy:.4f}")

os.makedirs(args.output, exist_ok=True)
with open(os.path.join(args.output, "model.pkl"), "wb") as f:
    pickle.dump(model, f)
