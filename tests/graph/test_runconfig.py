"""RunConfiguration as v1 builds it: its default environment, conda_dependencies, Docker and MPI settings."""

from __future__ import annotations

import pytest

from duto.errors import ConfigError
from duto.graph.environment import CondaDependencies, Environment
from duto.runconfig import DEFAULT_CPU_IMAGE, DockerConfiguration, MpiConfiguration, RunConfiguration


def test_a_run_configuration_left_blank_runs_in_the_workspace_default_environment() -> None:
    run_config = RunConfiguration()

    assert isinstance(run_config.environment, Environment), "v1 code sets run_config.environment.python..."
    assert run_config.effective_environment() is None


def test_conda_dependencies_given_or_set_make_the_environment() -> None:
    given = RunConfiguration(conda_dependencies=CondaDependencies.create(pip_packages=["numpy"]))
    set_later = RunConfiguration()
    set_later.environment.python.conda_dependencies = CondaDependencies.create(conda_packages=["pytorch"])

    assert given.effective_environment() is not None
    assert given.effective_environment().to_spec()["pip_packages"] == ["numpy"]  # type: ignore[union-attr]
    assert set_later.effective_environment().to_spec()["conda_packages"] == ["pytorch"]  # type: ignore[union-attr]


def test_docker_configuration_decides_containers_over_the_environment() -> None:
    environment = Environment("img")
    environment.docker.base_image = DEFAULT_CPU_IMAGE

    off = RunConfiguration(environment=environment)
    on = RunConfiguration(environment=environment, docker=DockerConfiguration(use_docker=True))
    environment_on = RunConfiguration(environment=Environment("on"))
    environment_on.environment.docker.enabled = True  # type: ignore[union-attr]

    assert off.effective_environment().to_spec()["docker_image"] is None  # type: ignore[union-attr]
    assert on.effective_environment().to_spec()["docker_image"] == DEFAULT_CPU_IMAGE  # type: ignore[union-attr]
    assert environment.docker.enabled is False, "the user's environment is left as it was"
    assert environment_on.effective_environment().to_spec()["docker_image"] == DEFAULT_CPU_IMAGE  # type: ignore[union-attr]


def test_mpi_settings_are_recorded_and_one_process_is_counted() -> None:
    run_config = RunConfiguration(mpi=MpiConfiguration(process_count_per_node=2, node_count=3))

    assert run_config.process_count() == 6
    with pytest.raises(ConfigError, match="process_count_per_node"):
        MpiConfiguration(process_count_per_node=0)
    with pytest.raises(ConfigError, match="DockerConfiguration"):
        RunConfiguration(docker=True)  # type: ignore[arg-type]
