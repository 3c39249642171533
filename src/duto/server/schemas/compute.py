"""Compute targets over the wire: their capacity and what holds them now."""

from __future__ import annotations

from pydantic import BaseModel, Field


class HeldStep(BaseModel):
    """A step run holding part of a target now (Preparing or Running)."""

    step_run_id: str
    step: str
    status: str
    cores: int
    started: str | None
    run_id: str
    experiment: str


class ComputeTargetInfo(BaseModel):
    name: str
    type: str = Field(description='"local", "dask", "AmlCompute", or "unregistered" for a target since removed')
    capacity: int = Field(description="how many cores of steps it runs at once, across the workspace")
    in_use: int = Field(description="the cores its running steps hold now")
    running: list[HeldStep] = Field(description="its steps running now, oldest start first")
