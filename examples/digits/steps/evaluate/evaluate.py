"""Compare the two models on the test set, keep the better one, and log how it does per digit."""

import argparse
import json
import os
import pickle
import shutil

import matplotlib

matplotlib.use("Agg")  # no display on a compute target
import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import ConfusionMatrixDisplay, accuracy_score, precision_recall_fscore_support

from duto import Run

parser = argparse.ArgumentParser()
parser.add_argument("--data", required=True, help="the prepare step's output folder")
parser.add_argument("--logreg", required=True, help="the train_logreg step's output folder")
parser.add_argument("--forest", required=True, help="the train_forest step's output folder")
parser.add_argument("--best-model", required=True, help="where the better model is written")
args = parser.parse_args()

run = Run.get_context()

test = np.load(os.path.join(args.data, "test.npz"))
X_test, y_test = test["X"], test["y"]

model_folders = {"logreg": args.logreg, "forest": args.forest}
scores = {}
predictions = {}
for name, folder in model_folders.items():
    with open(os.path.join(folder, "model.pkl"), "rb") as f:
        model = pickle.load(f)
    predictions[name] = model.predict(X_test)
    scores[name] = accuracy_score(y_test, predictions[name])
    run.log(f"{name}_accuracy", scores[name])
    print(f"{name}: test accuracy {scores[name]:.4f}")

best = max(scores, key=scores.get)
print(f"Best model: {best} ({scores[best]:.4f})")
run.tag("best_model", best)
run.parent.tag("best_model", best)
run.parent.log("best_accuracy", scores[best])

digits = np.unique(y_test)
precision, recall, f1, support = precision_recall_fscore_support(y_test, predictions[best], labels=digits)
run.log_table(
    "per_class",
    {
        "digit": digits.tolist(),
        "precision": np.round(precision, 4).tolist(),
        "recall": np.round(recall, 4).tolist(),
        "f1": np.round(f1, 4).tolist(),
        "support": support.tolist(),
    },
)

fig, ax = plt.subplots(figsize=(6, 6))
ConfusionMatrixDisplay.from_predictions(y_test, predictions[best], ax=ax, colorbar=False)
ax.set_title(f"{best} on the test set (accuracy {scores[best]:.3f})")
run.log_image("confusion_matrix", plot=fig)
plt.close(fig)

os.makedirs(args.best_model, exist_ok=True)
shutil.copy(os.path.join(model_folders[best], "model.pkl"), os.path.join(args.best_model, "model.pkl"))
with open(os.path.join(args.best_model, "model.json"), "w") as f:
    json.dump({"name": best, "test_accuracy": scores[best]}, f)
