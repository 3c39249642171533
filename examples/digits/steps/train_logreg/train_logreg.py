"""Train a logistic regression on the scaled training set."""

import argparse
import os
import pickle

import numpy as np
from sklearn.linear_model import LogisticRegression

from duto import Run

parser = argparse.ArgumentParser()
parser.add_argument("--data", required=True, help="the prepare step's output folder")
parser.add_argument("--C", type=float, default=1.0, help="inverse regularization strength")
parser.add_argument("--output", required=True)
args = parser.parse_args()

run = Run.get_context()

train = np.load(os.path.join(args.data, "train.npz"))
model = LogisticRegression(C=args.C, max_iter=1000)
model.fit(train["X"], train["y"])

accuracy = model.score(train["X"], train["y"])
run.log("C", args.C)
run.log("train_accuracy", accuracy)
print(f"LogisticRegression(C={args.C}): training accuracy {accuracy:.4f}")

os.makedirs(args.output, exist_ok=True)
with open(os.path.join(args.output, "model.pkl"), "wb") as f:
    pickle.dump(model, f)
