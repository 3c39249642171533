"""Split the digits into train, test and holdout sets; scale with a StandardScaler fitted on train only."""

import argparse
import os
import pickle

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from duto import Run

SEED = 42

parser = argparse.ArgumentParser()
parser.add_argument("--raw", required=True, help="the digits CSV: 64 pixel columns, then the label")
parser.add_argument("--test-size", type=float, default=0.2, help="share of all rows used to pick a model")
parser.add_argument("--holdout-size", type=float, default=0.1, help="share of all rows kept back for scoring")
parser.add_argument("--output", required=True)
args = parser.parse_args()

run = Run.get_context()

data = np.loadtxt(args.raw, delimiter=",", skiprows=1)
X, y = data[:, :-1], data[:, -1].astype(int)
print(f"Read {len(y)} digits with {X.shape[1]} pixels each from {args.raw}")

X_rest, X_holdout, y_rest, y_holdout = train_test_split(
    X, y, test_size=args.holdout_size, stratify=y, random_state=SEED
)
# test_size is a share of all rows; after the holdout is taken, it is a larger share of what is left.
X_train, X_test, y_train, y_test = train_test_split(
    X_rest, y_rest, test_size=args.test_size / (1 - args.holdout_size), stratify=y_rest, random_state=SEED
)

scaler = StandardScaler().fit(X_train)

os.makedirs(args.output, exist_ok=True)
np.savez(os.path.join(args.output, "train.npz"), X=scaler.transform(X_train), y=y_train)
np.savez(os.path.join(args.output, "test.npz"), X=scaler.transform(X_test), y=y_test)
# The holdout stays unscaled: the score step treats it as new data and applies the scaler itself.
np.savez(os.path.join(args.output, "holdout.npz"), X=X_holdout, y=y_holdout)
with open(os.path.join(args.output, "scaler.pkl"), "wb") as f:
    pickle.dump(scaler, f)

for name, labels in [("train", y_train), ("test", y_test), ("holdout", y_holdout)]:
    run.log(f"{name}_rows", len(labels))
print(f"Split into {len(y_train)} train, {len(y_test)} test and {len(y_holdout)} holdout rows")
