"""The pipeline graph: closure of steps, validation that reports every problem at once, and the frozen spec."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from duto.errors import ConfigError, ValidationProblem
from duto.graph.data import OutputFileDatasetConfig, PipelineData, TrainingOutput
from duto.graph.datasets import DataPath, Dataset
from duto.graph.params import PipelineParameter
from duto.graph.pipeline_graph import PipelineGraph
from duto.graph.sequence import StepSequence
from duto.graph.spec import EdgeSpec, InputSpec, OutputSpec, PipelineSpec
from duto.graph.steps import CommandStep, PythonScriptStep, Step

FAST = settings(max_examples=100, deadline=None, database=None)
RAW_SOURCE = {"kind": "dataset", "paths": [{"datastore": "workspaceblobstore", "path": "raw/x.csv"}]}


def names(steps: list[Step]) -> set[str]:
    return {s.name for s in steps}


def spec_of(*steps: Any) -> PipelineSpec:
    graph = PipelineGraph(list(steps))
    assert graph.validate() == []
    return graph.to_spec({})


def raw_dataset() -> Any:
    return Dataset.File.from_files(DataPath("workspaceblobstore", "raw/x.csv"))


def find(problems: list[ValidationProblem], *words: str) -> list[ValidationProblem]:
    return [p for p in problems if all(w in p.message for w in words)]


# --- closure -----------------------------------------------------------------------------------


def test_closure_pulls_in_producers_and_run_after_steps() -> None:
    raw = PipelineData("raw")
    prepped = PipelineData("prepped")
    fetch = PythonScriptStep("fetch.py", outputs=[raw])
    prep = PythonScriptStep("prep.py", arguments=["--in", raw, "--out", prepped], outputs=[prepped])
    setup = PythonScriptStep("setup.py")
    train = PythonScriptStep("train.py", arguments=["--data", prepped], inputs=[prepped])
    train.run_after(setup)
    unrelated = PythonScriptStep("unrelated.py")

    graph = PipelineGraph([train])

    assert names(graph.steps) == {"train.py", "prep.py", "fetch.py", "setup.py"}
    assert graph.steps[0] is train
    assert fetch in graph.steps
    assert unrelated not in graph.steps
    assert names(graph.upstream_of(train)) == {"prep.py", "setup.py"}
    assert names(graph.upstream_of(prep)) == {"fetch.py"}


def test_closure_keeps_a_step_passed_twice_once() -> None:
    step = PythonScriptStep("a.py")
    graph = PipelineGraph([step, [step], StepSequence([step])])
    assert graph.steps == [step]
    assert graph.validate() == []


def test_step_sequence_gives_upstream_sets_and_edges() -> None:
    a, b, c, d, e = (PythonScriptStep(f"{n}.py", name=n) for n in "abcde")
    spec = spec_of(StepSequence(steps=[a, b, [c, d], e]))

    assert {s.name: s.upstream for s in spec.steps} == {
        "a": [],
        "b": ["a"],
        "c": ["b"],
        "d": ["b"],
        "e": ["c", "d"],
    }
    assert {(e.source, e.target) for e in spec.edges} == {("a", "b"), ("b", "c"), ("b", "d"), ("c", "e"), ("d", "e")}
    assert all(e.output is None and e.input is None for e in spec.edges)
    assert (spec.steps[0].name, spec.steps[-1].name) == ("a", "e")


def test_run_after_gives_an_order_edge() -> None:
    first = PythonScriptStep("first.py")
    second = PythonScriptStep("second.py")
    second.run_after(first)
    spec = spec_of(second)
    assert [s.name for s in spec.steps] == ["first.py", "second.py"]
    assert spec.edges == [EdgeSpec("first.py", "second.py")]
    assert spec.step("second.py").upstream == ["first.py"]


def test_an_order_given_twice_is_one_edge() -> None:
    a = PythonScriptStep("a.py")
    b = PythonScriptStep("b.py")
    b.run_after(a)
    assert spec_of(StepSequence([a, b])).edges == [EdgeSpec("a.py", "b.py")]


# --- validation: every problem at once ----------------------------------------------------------


def test_a_valid_pipeline_has_no_problems() -> None:
    prepped = PipelineData("prepped", datastore="workspaceblobstore")
    lr = PipelineParameter("lr", 0.01)
    prep = PythonScriptStep("prep.py", arguments=["--out", prepped, "--n", 3, "--f", 0.5], outputs=[prepped])
    train = PythonScriptStep(
        "train.py", arguments=["--data", prepped, "--lr", lr], inputs=[prepped], compute_target="cpu-cluster"
    )
    graph = PipelineGraph([prep, train])
    assert graph.validate() == []
    assert graph.validate(known_targets={"local", "cpu-cluster"}, parameter_overrides={"lr": 1}) == []


def test_validate_reports_every_problem_at_once() -> None:
    orphan = PipelineData("orphan")
    shared = PipelineData("shared")
    lr_a = PipelineParameter("lr", 0.1)
    lr_b = PipelineParameter("lr", 0.2)
    alpha = PipelineParameter("alpha", 0.5)
    writer_1 = PythonScriptStep("w1.py", arguments=["--lr", lr_a], outputs=[shared])
    writer_2 = PythonScriptStep("w2.py", arguments=["--lr", lr_b], outputs=[shared])
    reader = PythonScriptStep(
        "reader.py",
        arguments=["--opts", {"a": 1}],
        inputs=[orphan, shared],
        params={"alpha": alpha},
        compute_target="gpu",
    )
    loop_1 = PythonScriptStep("loop1.py")
    loop_2 = PythonScriptStep("loop2.py")
    loop_1.run_after(loop_2)
    loop_2.run_after(loop_1)
    twin_1 = PythonScriptStep("twin.py", source_directory="x")
    twin_2 = PythonScriptStep("twin.py", source_directory="y")
    # Two steps may share a name; a step named as the second one's key may not be there too.
    taken = PythonScriptStep("t3.py", name="twin.py#2")

    graph = PipelineGraph([reader, writer_1, writer_2, loop_1, twin_1, twin_2, taken])
    assert writer_1 in graph.steps
    assert writer_2 in graph.steps
    problems = graph.validate(known_targets={"local", "cpu-cluster"}, parameter_overrides={"nope": 1, "alpha": "abc"})

    expected = {
        "key taken": (find(problems, "also the key duto gives the step 'twin.py'", "rename the step"), {"twin.py#2"}),
        "no producer": (find(problems, "'orphan'", "has no producer", "add the step that writes it"), {"reader.py"}),
        "two writers": (find(problems, "'shared'", "written by 2 steps", "w1.py", "w2.py"), {"w1.py", "w2.py"}),
        "bad argument": (find(problems, "argument {'a': 1} is a dict", "convert it with str()"), {"reader.py"}),
        "unknown target": (find(problems, "compute target 'gpu'", "known targets: cpu-cluster, local"), {"reader.py"}),
        "cycle": (find(problems, "cycle", "loop1.py", "loop2.py", "remove a run_after"), {"loop1.py", "loop2.py"}),
        "two defaults": (find(problems, "'lr'", "declared twice", "0.1", "0.2"), {"w1.py", "w2.py"}),
        "unknown parameter": (find(problems, "unknown pipeline parameter 'nope'", "alpha, lr"), {None}),
        "wrong type": (find(problems, "'alpha' takes a float", "'abc'"), {None}),
    }
    for what, (found, step_names) in expected.items():
        assert len(found) == 1, f"{what}: {found} in {problems}"
        assert found[0].step_name in step_names, f"{what}: {found[0]}"
    assert len(problems) == len(expected), problems


def test_input_with_no_producer() -> None:
    prepped = PipelineData("prepped")
    train = PythonScriptStep("train.py", arguments=["--data", prepped])
    assert graph_problems(train) == [
        ValidationProblem(
            "train.py",
            "input 'prepped' has no producer; add the step that writes it to the pipeline "
            "(list it in that step's outputs), or pass a Dataset",
        )
    ]


def test_output_file_dataset_consumed_without_producer() -> None:
    out = OutputFileDatasetConfig("model")
    step = CommandStep(["python", "score.py", out.as_input()], name="score")
    problems = graph_problems(step)
    assert [(p.step_name, "'model' has no producer" in p.message) for p in problems] == [("score", True)]


def test_a_step_cannot_read_what_it_writes() -> None:
    data = PipelineData("data")
    step = PythonScriptStep("a.py", inputs=[data.as_input("again")], outputs=[data])
    problems = graph_problems(step)
    assert {p.step_name for p in problems} == {"a.py"}
    assert len(find(problems, "'again' is both an input and an output", "cannot read what it writes")) == 1


def test_two_inputs_with_one_name() -> None:
    first = PipelineData("first")
    second = PipelineData("second")
    producer = PythonScriptStep("p.py", outputs=[first, second])
    step = PythonScriptStep("a.py", inputs=[first.as_input("x"), second.as_input("x")])
    problems = PipelineGraph([producer, step]).validate()
    assert [p.step_name for p in problems] == ["a.py"]
    assert "two different inputs are named 'x'" in problems[0].message


def test_two_outputs_with_one_name() -> None:
    step = PythonScriptStep("a.py", outputs=[PipelineData("out"), PipelineData("out")])
    problems = graph_problems(step)
    assert [p.step_name for p in problems] == ["a.py"]
    assert "two outputs are named 'out'" in problems[0].message


@pytest.mark.parametrize("bad", [{"a": 1}, [1, 2], None, True, b"x"])
def test_bad_arguments_are_named(bad: Any) -> None:
    step = PythonScriptStep("a.py", arguments=["--x", bad])
    problems = graph_problems(step)
    assert [p.step_name for p in problems] == ["a.py"]
    assert f"argument {bad!r} is a {type(bad).__name__}" in problems[0].message


def test_bad_command_items_are_named() -> None:
    step = CommandStep(["python", {"a": 1}], name="cmd")
    assert [p.step_name for p in graph_problems(step)] == ["cmd"]


@pytest.mark.parametrize("bad", [[1], {"a": 1}, None, PipelineData("x")])
def test_bad_params_are_named(bad: Any) -> None:
    step = PythonScriptStep("a.py", params={"k": bad})
    problems = find(graph_problems(step), "params['k']")
    assert [p.step_name for p in problems] == ["a.py"]


def test_unknown_compute_target_lists_the_known_ones() -> None:
    step = PythonScriptStep("a.py", compute_target="gpu")
    problems = PipelineGraph([step]).validate(known_targets=["local", "cpu"])
    assert [p.step_name for p in problems] == ["a.py"]
    assert "compute target 'gpu' is not in this workspace; known targets: cpu, local" in problems[0].message
    assert "ComputeTarget.create" in problems[0].message


def test_a_step_with_no_target_runs_on_local() -> None:
    step = PythonScriptStep("a.py")
    assert PipelineGraph([step]).validate(known_targets=["local"]) == []
    assert "'local'" in PipelineGraph([step]).validate(known_targets=["cpu"])[0].message


def test_wrong_typed_override() -> None:
    step = PythonScriptStep("a.py", arguments=[PipelineParameter("lr", 0.1), PipelineParameter("epochs", 10)])
    problems = PipelineGraph([step]).validate(parameter_overrides={"lr": "abc", "epochs": 1.5})
    assert [p.step_name for p in problems] == [None, None]
    assert "'lr' takes a float" in problems[0].message
    assert "'epochs' takes a int" in problems[1].message


def test_same_parameter_twice_with_one_default_is_fine() -> None:
    step_1 = PythonScriptStep("a.py", arguments=[PipelineParameter("lr", 0.1)])
    step_2 = PythonScriptStep("b.py", params={"lr": PipelineParameter("lr", 0.1)})
    graph = PipelineGraph([step_1, step_2])
    assert graph.validate() == []
    assert graph.to_spec({}).parameters == {"lr": 0.1}


@pytest.mark.parametrize(("first", "second"), [(True, 1), (1, 1.0)], ids=["bool-int", "int-float"])
def test_same_parameter_with_defaults_of_different_types(first: Any, second: Any) -> None:
    step_1 = PythonScriptStep("a.py", arguments=[PipelineParameter("p", first)])
    step_2 = PythonScriptStep("b.py", arguments=[PipelineParameter("p", second)])
    assert find(PipelineGraph([step_1, step_2]).validate(), "'p'", "declared twice")


def test_cycle_message_names_only_the_steps_in_the_cycle() -> None:
    a = PythonScriptStep("a.py")
    b = PythonScriptStep("b.py")
    after = PythonScriptStep("after.py")
    a.run_after(b)
    b.run_after(a)
    after.run_after(b)
    (problem,) = find(PipelineGraph([after]).validate(), "cycle")
    assert problem.step_name in {"a.py", "b.py"}
    assert "after.py" not in problem.message


def test_cycle_through_data() -> None:
    x = PipelineData("x")
    y = PipelineData("y")
    a = PythonScriptStep("a.py", inputs=[y], outputs=[x])
    b = PythonScriptStep("b.py", inputs=[x], outputs=[y])
    problems = graph_problems(a)
    assert len(problems) == 1
    assert problems[0].step_name in {"a.py", "b.py"}
    assert "a.py" in problems[0].message
    assert "b.py" in problems[0].message
    assert "cycle" in problems[0].message
    assert names(PipelineGraph([a]).steps) == {"a.py", "b.py"}
    del b


def test_a_second_writer_outside_the_pipeline_is_judged_the_same_in_either_build_order() -> None:
    data_1 = PipelineData("out")
    inside_1 = PythonScriptStep("inside.py", outputs=[data_1])
    PythonScriptStep("outside.py", outputs=[data_1])

    data_2 = PipelineData("out")
    PythonScriptStep("outside.py", outputs=[data_2])
    inside_2 = PythonScriptStep("inside.py", outputs=[data_2])

    assert bool(graph_problems(inside_1)) == bool(graph_problems(inside_2))


def graph_problems(*steps: Step) -> list[ValidationProblem]:
    return PipelineGraph(list(steps)).validate()


# --- argument resolution in the spec -----------------------------------------------------------


def test_arguments_resolve_to_values_parameters_inputs_and_outputs() -> None:
    ds = raw_dataset()
    raw = ds.as_named_input("raw").as_download()
    prepped = PipelineData("prepped", datastore="workspaceblobstore", is_directory=True)
    lr = PipelineParameter("lr", 0.01)
    prep = PythonScriptStep(
        "prep.py",
        arguments=["--in", raw, "--out", prepped, "--n", 3, "--f", 0.5],
        inputs=[ds],
        outputs=[prepped],
        source_directory="steps/prep",
    )
    train = PythonScriptStep(
        "train.py",
        arguments=["--data", prepped, "--lr", lr],
        inputs=[prepped],
        params={"alpha": lr, "k": 3, "mode": "fast"},
        compute_target="cpu",
    )
    graph = PipelineGraph([train])
    assert graph.steps == [train, prep]
    assert graph.validate() == []
    spec = graph.to_spec({"prep.py": ("/snap/prep", "abc123")})

    assert [s.name for s in spec.steps] == ["prep.py", "train.py"]
    p = spec.step("prep.py")
    assert p.arguments == [
        {"value": "--in"},
        {"input": "raw"},
        {"value": "--out"},
        {"output": "prepped"},
        {"value": "--n"},
        {"value": "3"},
        {"value": "--f"},
        {"value": "0.5"},
    ]
    assert p.inputs == [InputSpec("raw", "download", RAW_SOURCE)]
    assert p.outputs == [OutputSpec("prepped", "pipeline_data", datastore="workspaceblobstore", is_directory=True)]
    assert (p.source_directory, p.snapshot, p.script_name, p.compute_target) == (
        "/snap/prep",
        "abc123",
        "prep.py",
        "local",
    )

    t = spec.step("train.py")
    assert t.arguments == [{"value": "--data"}, {"input": "prepped"}, {"value": "--lr"}, {"parameter": "lr"}]
    assert t.params == {"alpha": {"parameter": "lr"}, "k": {"value": "3"}, "mode": {"value": "fast"}}
    assert t.inputs == [InputSpec("prepped", "mount", {"kind": "step_output", "step": "prep.py", "output": "prepped"})]
    assert (t.compute_target, t.upstream, t.source_directory, t.snapshot) == ("cpu", ["prep.py"], None, None)
    assert spec.edges == [EdgeSpec("prep.py", "train.py", "prepped", "prepped")]
    assert spec.parameters == {"lr": 0.01}


def test_as_input_names_the_input() -> None:
    data = PipelineData("data")
    producer = PythonScriptStep("p.py", outputs=[data])
    consumer = PythonScriptStep("c.py", arguments=["--x", data.as_input("x")])
    spec = spec_of(producer, consumer)
    c = spec.step("c.py")
    assert c.arguments == [{"value": "--x"}, {"input": "x"}]
    assert c.inputs == [InputSpec("x", "mount", {"kind": "step_output", "step": "p.py", "output": "data"})]
    assert spec.edges == [EdgeSpec("p.py", "c.py", "data", "x")]


def test_plain_data_and_its_named_consumption_are_one_input() -> None:
    data = PipelineData("data")
    producer = PythonScriptStep("p.py", outputs=[data])
    consumer = PythonScriptStep("c.py", arguments=["--a", data, "--b", data.as_input("x")], inputs=[data])
    c = spec_of(producer, consumer).step("c.py")
    assert [i.name for i in c.inputs] == ["x"]
    assert c.arguments == [{"value": "--a"}, {"input": "x"}, {"value": "--b"}, {"input": "x"}]


def test_as_download_mode_is_recorded() -> None:
    data = PipelineData("data")
    producer = PythonScriptStep("p.py", outputs=[data])
    consumer = PythonScriptStep("c.py", arguments=[data.as_download()])
    c = spec_of(producer, consumer).step("c.py")
    assert c.inputs == [InputSpec("data", "download", {"kind": "step_output", "step": "p.py", "output": "data"})]
    assert c.arguments == [{"input": "data"}]


def test_output_file_dataset_in_arguments_is_an_output_and_as_input_an_input_downstream() -> None:
    model = OutputFileDatasetConfig("model", destination=("workspaceblobstore", "models/{run-id}"))
    train = PythonScriptStep("train.py", arguments=["--model", model])
    register = CommandStep(["python", "register.py", model.as_input()], name="register")
    score = PythonScriptStep("score.py", arguments=[model.as_input("m")])

    spec = spec_of(register, score)

    t = spec.step("train.py")
    assert t.arguments == [{"value": "--model"}, {"output": "model"}]
    assert t.outputs == [
        OutputSpec("model", "output_file_dataset", datastore="workspaceblobstore", destination="models/{run-id}")
    ]
    r = spec.step("register")
    assert r.command == [{"value": "python"}, {"value": "register.py"}, {"input": "model"}]
    assert r.inputs == [InputSpec("model", "mount", {"kind": "step_output", "step": "train.py", "output": "model"})]
    assert r.upstream == ["train.py"]
    assert spec.step("score.py").arguments == [{"input": "m"}]
    assert set(spec.edges) == {
        EdgeSpec("train.py", "register", "model", "model"),
        EdgeSpec("train.py", "score.py", "model", "m"),
    }
    assert spec.steps[0].name == "train.py"
    assert model.producers == [train]


def test_output_file_dataset_in_inputs_is_an_input() -> None:
    out = OutputFileDatasetConfig("out")
    producer = PythonScriptStep("p.py", outputs=[out])
    consumer = PythonScriptStep("c.py", inputs=[out])
    c = spec_of(producer, consumer).step("c.py")
    assert c.inputs == [InputSpec("out", "mount", {"kind": "step_output", "step": "p.py", "output": "out"})]
    assert c.outputs == []


def test_plain_dataset_in_inputs_and_named_consumption_in_arguments_are_one_input() -> None:
    ds = raw_dataset()
    step = PythonScriptStep("prep.py", arguments=["--in", ds.as_named_input("raw").as_download()], inputs=[ds])
    s = spec_of(step).step("prep.py")
    assert s.inputs == [InputSpec("raw", "download", RAW_SOURCE)]
    assert s.arguments == [{"value": "--in"}, {"input": "raw"}]


def test_named_consumption_in_inputs_and_plain_dataset_in_arguments_are_one_input() -> None:
    ds = raw_dataset()
    step = PythonScriptStep("prep.py", arguments=["--in", ds], inputs=[ds.as_named_input("raw").as_download()])
    s = spec_of(step).step("prep.py")
    assert s.inputs == [InputSpec("raw", "download", RAW_SOURCE)]
    assert s.arguments == [{"value": "--in"}, {"input": "raw"}]


def test_plain_dataset_alone_is_an_input_under_its_own_name() -> None:
    ds = raw_dataset()
    s = spec_of(PythonScriptStep("prep.py", arguments=[ds])).step("prep.py")
    assert s.inputs == [InputSpec(ds.name, "mount", RAW_SOURCE)]
    assert s.arguments == [{"input": ds.name}]
    assert s.upstream == []


def test_command_step_with_a_string_keeps_the_string() -> None:
    data = PipelineData("data")
    step = CommandStep("wc -l $DUTO_INPUT_data", name="count", inputs=[data])
    producer = PythonScriptStep("p.py", outputs=[data])
    s = spec_of(producer, step).step("count")
    assert (s.kind, s.command, s.arguments, s.script_name) == ("command", "wc -l $DUTO_INPUT_data", [], None)
    assert [i.name for i in s.inputs] == ["data"]


def test_command_step_with_a_list_resolves_items() -> None:
    out = PipelineData("out")
    n = PipelineParameter("n", 3)
    step = CommandStep(["python", "gen.py", "--n", n, "--out", out, 7], name="gen", outputs=[out])
    s = spec_of(step).step("gen")
    assert s.command == [
        {"value": "python"},
        {"value": "gen.py"},
        {"value": "--n"},
        {"parameter": "n"},
        {"value": "--out"},
        {"output": "out"},
        {"value": "7"},
    ]
    assert s.arguments == []


def test_step_settings_reach_the_spec() -> None:
    from duto.graph.runconfig import RunConfiguration

    step = PythonScriptStep(
        "a.py",
        runconfig=RunConfiguration(target="cpu", environment_variables={"B": "2", "A": "1"}),
        allow_reuse=False,
        version="v2",
    )
    s = PipelineGraph([step], description="demo").to_spec({"a.py": ("src", "snap")})
    a = s.step("a.py")
    assert (a.compute_target, a.allow_reuse, a.version, a.kind_version) == ("cpu", False, "v2", 1)
    assert list(a.environment_variables.items()) == [("A", "1"), ("B", "2")]
    assert s.description == "demo"


# --- properties -------------------------------------------------------------------------------


@st.composite
def dags(draw: st.DrawFn) -> tuple[list[set[int]], list[set[int]], list[int]]:
    """Data dependencies and run_after dependencies on earlier steps, and an order to pass the steps in."""
    n = draw(st.integers(min_value=1, max_value=8))
    data = [draw(st.sets(st.integers(0, i - 1), max_size=3)) if i else set() for i in range(n)]
    after = [draw(st.sets(st.integers(0, i - 1), max_size=2)) if i else set() for i in range(n)]
    order = draw(st.permutations(range(n)))
    return data, after, list(order)


def build(data: list[set[int]], after: list[set[int]]) -> list[Step]:
    outputs = [PipelineData(f"d{i}") for i in range(len(data))]
    steps: list[Step] = []
    for i, deps in enumerate(data):
        args: list[Any] = ["--out", outputs[i]]
        for j in sorted(deps):
            args += [f"--in{j}", outputs[j]]
        step = PythonScriptStep(f"s{i}.py", name=f"s{i}", arguments=args, outputs=[outputs[i]])
        for j in sorted(after[i]):
            step.run_after(steps[j])
        steps.append(step)
    return steps


@FAST
@given(dags())
def test_random_dags_validate_clean_and_order_steps_after_their_upstream(dag: Any) -> None:
    data, after, order = dag
    steps = build(data, after)
    graph = PipelineGraph([steps[i] for i in order])
    assert graph.validate(known_targets={"local"}) == []
    spec = graph.to_spec({})

    position = {s.name: k for k, s in enumerate(spec.steps)}
    assert sorted(position) == sorted(f"s{i}" for i in range(len(data)))
    for i in range(len(data)):
        s = spec.step(f"s{i}")
        assert s.upstream == sorted(f"s{j}" for j in data[i] | after[i])
        assert all(position[u] < position[s.name] for u in s.upstream)
        assert [i.name for i in s.inputs] == [f"d{j}" for j in sorted(data[i])]
    data_edges = {(e.source, e.target) for e in spec.edges if e.output is not None}
    assert data_edges == {(f"s{j}", f"s{i}") for i in range(len(data)) for j in data[i]}
    assert all(e.output == e.input == f"d{e.source[1:]}" for e in spec.edges if e.output is not None)


@FAST
@given(dags())
def test_closure_of_the_last_step_is_its_ancestors(dag: Any) -> None:
    data, after, _ = dag
    steps = build(data, after)
    last = len(steps) - 1
    ancestors = {last}
    for i in range(last, -1, -1):
        if i in ancestors:
            ancestors |= data[i] | after[i]
    assert names(PipelineGraph([steps[last]]).steps) == {f"s{i}" for i in ancestors}


identifiers = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
override_values = st.one_of(st.integers(), st.floats(allow_nan=False), st.text(max_size=5), st.booleans())


@FAST
@given(st.dictionaries(identifiers.filter(lambda k: k not in {"lr", "epochs"}), override_values, min_size=1))
def test_unknown_overrides_are_always_reported(overrides: dict[str, Any]) -> None:
    step = PythonScriptStep(
        "a.py", arguments=[PipelineParameter("lr", 0.1)], params={"e": PipelineParameter("epochs", 3)}
    )
    problems = PipelineGraph([step]).validate(parameter_overrides={"lr": 0.5, **overrides})
    reported = [p for p in problems if "unknown pipeline parameter" in p.message]
    assert len(reported) == len(problems) == len(overrides)
    for name, problem in zip(overrides, reported, strict=True):
        assert f"unknown pipeline parameter {name!r}" in problem.message
        assert "epochs, lr" in problem.message
        assert problem.step_name is None


@FAST
@given(override_values)
def test_float_override_accepted_iff_a_number(value: Any) -> None:
    step = PythonScriptStep("a.py", arguments=[PipelineParameter("lr", 0.1)])
    problems = PipelineGraph([step]).validate(parameter_overrides={"lr": value})
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    assert (problems == []) == is_number


# --- pipeline outputs and training outputs ---------------------------------------------------------


def test_a_pipeline_output_and_a_training_output_are_in_the_spec() -> None:
    model = PipelineData("model", pipeline_output_name="best_model", training_output=TrainingOutput("Model", "m.pkl"))
    metrics = PipelineData("metrics", training_output=TrainingOutput("Metrics"))
    spec = spec_of(PythonScriptStep("train.py", arguments=[model, metrics], outputs=[model, metrics]))
    assert spec.step("train.py").outputs == [
        OutputSpec(
            "model",
            "pipeline_data",
            pipeline_output_name="best_model",
            training_output={"type": "Model", "model_file": "m.pkl"},
        ),
        OutputSpec("metrics", "pipeline_data", training_output={"type": "Metrics", "model_file": None}),
    ]


def test_two_outputs_with_one_pipeline_output_name() -> None:
    first = PythonScriptStep("a.py", outputs=[PipelineData("x", pipeline_output_name="result")])
    second = PythonScriptStep("b.py", outputs=[PipelineData("y", pipeline_output_name="result")])
    problems = PipelineGraph([first, second]).validate()
    assert [(p.step_name, bool(find([p], "'y'", "pipeline_output_name 'result'"))) for p in problems] == [
        ("b.py", True)
    ]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: TrainingOutput("Weights"), "must be 'Metrics' or 'Model'"),
        (lambda: TrainingOutput("Metrics", model_file="m.pkl"), "model_file goes with type 'Model' only"),
        (lambda: PipelineData("x", training_output="Model"), "training_output must be a TrainingOutput"),
        (lambda: PipelineData("x", pipeline_output_name="not a name"), "pipeline output name 'not a name'"),
    ],
)
def test_training_and_pipeline_outputs_are_checked_when_made(make: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        make()


def test_a_data_transfer_output_registered_on_complete_is_a_validation_problem() -> None:
    from duto.graph.data_transfer import DataTransferStep

    copied = OutputFileDatasetConfig("copied", destination=("lake", "copies/{run-id}")).register_on_complete("copies")
    step = DataTransferStep(
        "copy", source_data_reference=DataPath("workspaceblobstore", "raw"), destination_data_reference=copied
    )
    (problem,) = PipelineGraph([step]).validate()
    assert problem.step_name == "copy" and "of a data transfer cannot be registered" in problem.message
