"""Compute targets: the v1 names of `azureml.core.compute`."""

from __future__ import annotations

from duto._lazy import lazy_exports

_EXPORTS = {
    "AmlCompute": "duto.facade.compute_targets",
    "ComputeTarget": "duto.facade.compute_targets",
    "LocalCompute": "duto.graph.compute",
    "DaskCompute": "duto.graph.compute",
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
TYPE_CHECKING = False  # the idiom type checkers honour, without importing typing at run time

if TYPE_CHECKING:
    from duto.facade.compute_targets import AmlCompute as AmlCompute
    from duto.facade.compute_targets import ComputeTarget as ComputeTarget
    from duto.graph.compute import DaskCompute as DaskCompute
    from duto.graph.compute import LocalCompute as LocalCompute
