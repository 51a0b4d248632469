"""A service's fine-tuned weights: found by name, one at most, as OME's `ReconcileFineTunedWeights`
(pkg/controller/v1beta1/inferenceservice/components/base.go) finds them."""

from __future__ import annotations

from omegen.api import FINE_TUNED_WEIGHT, SEED, FineTunedWeight, InferenceService, Sources
from omegen.errors import Diagnostic, at, error


def fine_tuned_weights(service: InferenceService, sources: Sources) -> tuple[tuple[FineTunedWeight, ...], list[Diagnostic]]:
    """The weights the service names (None of them missing), and what is wrong: a name with no
    FineTunedWeight, more than one name (OME: "stacked fine-tuned serving is not supported yet"),
    a weight without `hyperParameters.strategy` (OME's ProcessBaseLabels/Annotations need it)."""
    names = service.fine_tuned_weights
    if not names:
        return (), []
    field = "spec.predictor.model.fineTunedWeights" if service.dialect == SEED else "spec.model.fineTunedWeights"
    if len(names) > 1:
        return (), [
            at(
                error,
                "stacked-fine-tuned-weights",
                f"{field} names {len(names)} fine-tuned weights: stacked fine-tuned serving is not supported, as in OME (one weight at most)",
                service.where(f"{field}[1]"),
            )
        ]
    weight = sources.fine_tuned_weights.get((FINE_TUNED_WEIGHT, None, names[0]))
    if weight is None:
        why = "could not be loaded: its definition has errors (reported there)" if sources.rejected_at(FINE_TUNED_WEIGHT, names[0]) else "not found"
        return (), [at(error, "fine-tuned-weight-not-found", f"FineTunedWeight {names[0]} {why}", service.where(f"{field}[0]"))]
    if weight.strategy is None:
        return (), [
            at(
                error,
                "fine-tuned-weight-strategy",
                f"FineTunedWeight {weight.name} has no spec.hyperParameters.strategy: OME labels and annotates the pods with it",
                weight.where("spec.hyperParameters"),
            )
        ]
    return (weight,), []
