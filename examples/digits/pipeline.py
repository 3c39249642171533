"""The digits pipeline: prepare, then two models trained in parallel, evaluate, and batch-score the holdout.

raw CSV -> prepare -+-> train_logreg -+-> evaluate -> score
                    +-> train_forest -+
"""

from __future__ import annotations

from pathlib import Path

from duto import DataPath, Dataset, Workspace
from duto.pipeline import Pipeline, PipelineData, PipelineParameter
from duto.pipeline.steps import PythonScriptStep

# Absolute, so the pipeline can be built from any current folder.
STEPS_DIR = Path(__file__).resolve().parent / "steps"
RAW_CSV = "digits/raw/digits.csv"


def build_pipeline(ws: Workspace) -> Pipeline:
    """The five steps, reading the digits CSV uploaded to `RAW_CSV` on the default datastore."""
    ds = ws.get_default_datastore()
    raw = Dataset.File.from_files(DataPath(ds, RAW_CSV)).as_named_input("raw").as_download()

    prepared = PipelineData("prepared", datastore=ds)
    logreg_model = PipelineData("logreg_model", datastore=ds)
    forest_model = PipelineData("forest_model", datastore=ds)
    best_model = PipelineData("best_model", datastore=ds)
    scores = PipelineData("scores", datastore=ds)

    test_size = PipelineParameter("test_size", default_value=0.2)
    logreg_c = PipelineParameter("logreg_c", default_value=1.0)
    forest_trees = PipelineParameter("forest_trees", default_value=100)

    prepare = PythonScriptStep(
        "prepare.py",
        name="prepare",
        source_directory=str(STEPS_DIR / "prepare"),
        arguments=["--raw", raw, "--test-size", test_size, "--output", prepared],
        inputs=[raw],
        outputs=[prepared],
    )
    train_logreg = PythonScriptStep(
        "train_logreg.py",
        name="train_logreg",
        source_directory=str(STEPS_DIR / "train_logreg"),
        arguments=["--data", prepared, "--C", logreg_c, "--output", logreg_model],
        inputs=[prepared],
        outputs=[logreg_model],
    )
    train_forest = PythonScriptStep(
        "train_forest.py",
        name="train_forest",
        source_directory=str(STEPS_DIR / "train_forest"),
        arguments=["--data", prepared, "--output", forest_model],
        params={"forest_trees": forest_trees},
        inputs=[prepared],
        outputs=[forest_model],
    )
    evaluate = PythonScriptStep(
        "evaluate.py",
        name="evaluate",
        source_directory=str(STEPS_DIR / "evaluate"),
        arguments=[
            "--data",
            prepared,
            "--logreg",
            logreg_model,
            "--forest",
            forest_model,
            "--best-model",
            best_model,
        ],
        inputs=[prepared, logreg_model, forest_model],
        outputs=[best_model],
    )
    score = PythonScriptStep(
        "score.py",
        name="score",
        source_directory=str(STEPS_DIR / "score"),
        arguments=["--data", prepared, "--model", best_model, "--output", scores],
        inputs=[prepared, best_model],
        outputs=[scores],
    )
    return Pipeline(
        ws,
        steps=[prepare, train_logreg, train_forest, evaluate, score],
        description="Digits: prepare, train two classifiers, keep the better one, batch-score the holdout",
    )
