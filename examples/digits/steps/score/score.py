"""Batch-score the held-out digits with the best model and write predictions.csv."""

import argparse
import csv
import json
import os
import pickle

import numpy as np

from duto import Run

parser = argparse.ArgumentParser()
parser.add_argument("--data", required=True, help="the prepare step's output folder (holdout set and scaler)")
parser.add_argument("--model", required=True, help="the evaluate step's best_model folder")
parser.add_argument("--output", required=True)
args = parser.parse_args()

run = Run.get_context()

holdout = np.load(os.path.join(args.data, "holdout.npz"))
with open(os.path.join(args.data, "scaler.pkl"), "rb") as f:
    scaler = pickle.load(f)
with open(os.path.join(args.model, "model.pkl"), "rb") as f:
    model = pickle.load(f)
with open(os.path.join(args.model, "model.json")) as f:
    model_name = json.load(f)["name"]

X = scaler.transform(holdout["X"])
probabilities = model.predict_proba(X)
predicted = model.classes_[probabilities.argmax(axis=1)]

os.makedirs(args.output, exist_ok=True)
with open(os.path.join(args.output, "predictions.csv"), "w", newline="") as f:
    writer = csv.writer(f)
    writer.writerow(["row", "label", "prediction", "confidence"])
    for row, (label, prediction, p) in enumerate(zip(holdout["y"], predicted, probabilities.max(axis=1), strict=True)):
        writer.writerow([row, int(label), int(prediction), f"{p:.4f}"])

accuracy = float(np.mean(predicted == holdout["y"]))
run.log("holdout_rows", len(predicted))
run.log("holdout_accuracy", accuracy)
print(f"Scored {len(predicted)} held-out digits with {model_name}: accuracy {accuracy:.4f}")
