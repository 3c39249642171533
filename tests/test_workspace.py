"""Workspace's v1 face: the Azure coordinates notebooks print first, holding local values."""

from __future__ import annotations

import duto
from duto import Workspace


def test_version_is_the_package_version() -> None:
    assert duto.__version__ == duto.VERSION


def test_azure_coordinates_are_local(ws: Workspace) -> None:
    assert (ws.subscription_id, ws.resource_group, ws.location) == ("local", "local", "local")


def test_get_details_has_azure_keys_with_local_values(ws: Workspace) -> None:
    details = ws.get_details()
    assert {
        "id": f"/subscriptions/local/resourceGroups/local/providers/duto/workspaces/{ws.name}",
        "name": ws.name,
        "friendlyName": ws.name,
        "location": "local",
        "subscriptionId": "local",
        "resourceGroup": "local",
        "workspaceid": ws.workspace_id,
        "type": "Microsoft.MachineLearningServices/workspaces",
        "provisioningState": "Succeeded",
        "storageAccount": str(ws.get_default_datastore().root),
        "containerRegistry": None,
        "keyVault": None,
        "applicationInsights": None,
        "root": str(ws.root),
    } == details


def test_workspace_id_is_stable_for_a_folder(ws: Workspace) -> None:
    assert Workspace.from_config(ws.root).workspace_id == ws.workspace_id
    assert len(ws.workspace_id) == 36
