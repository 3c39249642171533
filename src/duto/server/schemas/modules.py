"""Modules over the wire: their versions, each with its script, its typed ports and its params."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class InputPortInfo(BaseModel):
    name: str
    data_types: list[str] = Field(description="the data types it accepts")
    is_optional: bool


class OutputPortInfo(BaseModel):
    name: str
    data_type: str
    is_directory: bool | None


class ModuleVersionInfo(BaseModel):
    id: str
    version: str
    description: str | None
    status: str = Field(description='"Active", "Deprecated" or "Disabled"')
    script_name: str
    snapshot: str = Field(description="the digest of its code's snapshot in the content store")
    inputs: list[InputPortInfo]
    outputs: list[OutputPortInfo]
    params: dict[str, Any] = Field(description="its params and their defaults")
    created_at: str


class ModuleInfo(BaseModel):
    id: str
    name: str
    description: str | None
    status: str = Field(description='"Active", "Deprecated" or "Disabled"')
    default_version: str | None
    versions: int = Field(description="how many versions it has")
    created_at: str


class ModuleDetail(ModuleInfo):
    version_list: list[ModuleVersionInfo] = Field(description="its versions, in the order they were published")
