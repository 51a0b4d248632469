"""Every diagnostic code omegen reports: the severity it is normally reported with, what it means,
and how to fix it. docs/diagnostics.md is generated from this table (`python -m omegen.codes`), and
tests/test_codes.py fails when a code used anywhere in the package is missing here or in the docs, or
when a code here is used nowhere.

`--strict` (or `strict: true` in omegen.yaml) turns every warning into an error; info stays info.
"""

from __future__ import annotations

from dataclasses import dataclass

from omegen.errors import Severity

ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO


@dataclass(frozen=True)
class Code:
    severity: Severity  # the one it is normally reported with
    meaning: str
    fix: str


# Grouped by the stage that reports them (the order of docs/diagnostics.md).
STAGES: dict[str, dict[str, Code]] = {
    "load: reading the source tree": {
        "yaml-syntax": Code(ERROR, "A file is not valid YAML, or a mapping key is not a scalar.", "Fix the YAML at the line given."),
        "duplicate-key": Code(ERROR, "A mapping has the same key twice; YAML parsers disagree on which one wins.", "Remove one of the two keys."),
        "yaml-value": Code(
            ERROR,
            "A YAML value has no JSON equivalent (a set, an ordered map, NaN or infinity, binary data) or its tag cannot read it (!!int x, 2024-02-30).",
            "Write the value as plain JSON-compatible YAML (quote it to make it a string).",
        ),
        "yaml-limit": Code(
            ERROR,
            "A file or document is too large, too deeply nested, or expands to too many nodes (an alias bomb).",
            "Split the file, or remove the aliases that multiply it.",
        ),
        "unreadable-file": Code(ERROR, "A source file (or omegen.yaml) cannot be read or is not UTF-8.", "Check the file's permissions and encoding."),
        "unreadable-directory": Code(ERROR, "A directory under SRC cannot be listed; its sources would be lost (and, with -o, their services' files deleted).", "Check the directory's permissions; nothing was written."),
        "output-in-sources": Code(
            ERROR,
            "The -o directory is inside the source tree and holds files omegen did not write (or is the source tree itself); they would not be read. As info: the output directory inside the tree is not read as sources.",
            "Write the output to a directory of its own.",
        ),
        "annotations-too-large": Code(ERROR, "An annotations map of a source is over the API server's 256 KiB total.", "Move the large value to a ConfigMap or a file the container reads."),
        "symlink-outside": Code(
            WARNING,
            "A symlink under SRC points outside the source tree; it is not followed, so what it points to is not compiled.",
            "Copy the file into the tree, or remove the link.",
        ),
        "ignored-document": Code(
            INFO,
            "A document is not an ome.io/v1beta1 object (another apiVersion, or no apiVersion/kind); it is not compiled.",
            "Nothing, if that is intended; otherwise correct its apiVersion and kind.",
        ),
        "unknown-kind": Code(
            ERROR, "An ome.io/v1beta1 document has a kind omegen does not know.", "Use one of ClusterServingRuntime, ServingRuntime, ClusterBaseModel, BaseModel, InferenceService."
        ),
        "unknown-api-version": Code(
            ERROR, "A document's apiVersion is in the ome.io group but not a version OME serves; ignoring it would drop the object.", "Use apiVersion: ome.io/v1beta1."
        ),
        "wrong-api-group": Code(
            ERROR, "A document has an OME kind under another API group; ignoring it would drop the object.", "Use apiVersion: ome.io/v1beta1, or move the document out of the source tree."
        ),
        "missing-field": Code(ERROR, "A required field (kind, metadata.name) is missing.", "Add the field."),
        "unknown-field": Code(
            ERROR,
            "A field the schema does not define (in a source object or omegen.yaml): usually a typo, which OME would drop silently.",
            "Correct the name (the message suggests the closest known field) or remove it.",
        ),
        "invalid-field": Code(
            ERROR, "A field has the wrong type or a value its schema does not allow (in a source object or omegen.yaml).", "Give the value the message asks for."
        ),
        "plain-config": Code(
            WARNING, "omegen.yaml has no apiVersion/kind: it is read as the plain form of omegen 0.1.", "Add the header the message gives (the KRM form, omegen.io/v1alpha1 Omegen)."
        ),
        "invalid-kubernetes-version": Code(ERROR, "kubernetesVersion (omegen.yaml or the command line) is not a supported Kubernetes version.", "Give a bundled version such as \"1.33\"."),
        "unknown-kubernetes-version": Code(
            WARNING, "The cluster's version (as Argo CD reports it) is not a version; the configured one is used.", "Set kubernetesVersion in omegen.yaml."
        ),
        "nearest-kubernetes-version": Code(
            WARNING, "No schemas are bundled for the cluster's Kubernetes version; the nearest bundled one is used.", "Set kubernetesVersion in omegen.yaml to choose."
        ),
        "invalid-config": Code(ERROR, "omegen.yaml is not a single YAML mapping.", "Make omegen.yaml one document holding a mapping."),
        "unused-setting": Code(
            WARNING, "An omegen.yaml setting that the other settings make unused (webhookConfig with `webhooks: cluster`).", "Remove the setting, or change the one that makes it unused."
        ),
        "invalid-name": Code(
            ERROR, "metadata.name or metadata.namespace breaks the Kubernetes naming rules for its kind.", "Rename the object (lower case, digits and '-', within the length limit)."
        ),
        "ignored-field": Code(
            WARNING,
            "A field is accepted but has no effect on the output (a namespace on a cluster-scoped object, a Knative-only field, leader/worker on a router, ...).",
            "Remove the field, or change what makes it ineffective (the message says which).",
        ),
        "invalid-size": Code(ERROR, "A model size or a runtime's modelSizeRange is not a size such as 7B, 1.5T or 500M, or its min exceeds its max.", "Write a number with an optional K, M, B or T suffix, min no larger than max."),
        "mixed-dialect": Code(
            ERROR, "An InferenceService combines the seed form (spec.predictor) with OME's (spec.model/runtime/engine).", "Use one form: predictor, or model + runtime + engine."
        ),
        "ignored-container": Code(
            WARNING,
            "A seed runtime lists a container other than ome-container; only ome-container serves the model and the others are not rendered.",
            "Remove the extra container, or move it into OME's engineConfig form as a sidecar.",
        ),
        "missing-serving-container": Code(ERROR, "A seed runtime has spec.containers but none named ome-container.", "Name the serving container ome-container."),
        "multinode-containers": Code(
            ERROR,
            "A multi-node seed runtime (spec.workers) lists more than one container; leader and workers run the same single container.",
            "Keep exactly one container, named ome-container.",
        ),
        "unrendered-field": Code(
            WARNING,
            "A source field OME acts on that omegen does not render (Knative, KEDA, ...), or one OME's controller does not read (an accelerator requirement other than acceleratorClasses); an error when it changes what is served, else a warning.",
            "Remove the field, or provide what it asks for some other way.",
        ),
        "unrendered-kind": Code(WARNING, "An OME kind omegen does not compile (BenchmarkJob, ...).", "Apply it separately, or remove it from the source tree."),
        "duplicate-object": Code(ERROR, "Two source objects have the same kind, namespace and name.", "Rename or remove one of them (the message names both files)."),
        "builtin-replaced": Code(
            INFO, "A source object has the identity of a built-in runtime or model and replaces it.", "Nothing, if that is intended; otherwise rename your object."
        ),
    },
    "front ends: a KRM function's input, a plugin's parameters": {
        "invalid-resource-list": Code(ERROR, "The KRM function's stdin is not one ResourceList (config.kubernetes.io/v1) with a list of objects.", "Run omegen as kpt or kustomize run a function."),
        "invalid-function-config": Code(ERROR, "The KRM function's functionConfig is not an omegen.io/v1alpha1 Omegen object.", "Pass an omegen.yaml (the KRM form) as the functionConfig."),
        "invalid-item-path": Code(ERROR, "A ResourceList item's path annotation is one omegen will not read or write (absolute, outside the tree, or omegen.yaml).", "Give the item a relative path inside the tree."),
        "unknown-parameter": Code(ERROR, "An Argo CD application parameter omegen does not know.", "Use one of the parameters the message lists."),
        "invalid-parameter": Code(ERROR, "An Argo CD application parameter has a value omegen cannot use.", "Give the value the message asks for."),
    },
    "resolve: which runtime and model serve a service": {
        "priority-ignored": Code(WARNING, "A priority is set on a format entry without autoSelect: true; priorities only rank auto-selection.", "Set autoSelect: true on the entry, or remove the priority."),
        "priority-version-mismatch": Code(
            ERROR, "Two autoSelect entries of one runtime for the same format with different versions have different priorities (OME's webhook refuses this).", "Give them the same priority."
        ),
        "priority-clash": Code(
            ERROR,
            "Two auto-selectable runtimes support the same format, framework, architecture, quantization and size range with the same priority, so neither wins (OME's webhook refuses this).",
            "Give one of them a different priority, or disable one.",
        ),
        "fine-tuned-weights": Code(
            ERROR,
            "With `webhooks: emulate` (the default) and no `webhookConfig.fineTunedAdapter` in omegen.yaml, a service's fine-tuned weight cannot be served (OME's adapter webhook takes its settings from OME's ConfigMap), or the weight is Cohere T-Few unmerged serving, which is not rendered.",
            "Add the `fineTunedAdapter` entry of OME's inferenceservice-config ConfigMap to omegen.yaml as `webhookConfig.fineTunedAdapter`, or set `webhooks: cluster` when OME's webhooks run in the cluster.",
        ),
        "stacked-fine-tuned-weights": Code(ERROR, "The service names more than one fine-tuned weight; OME does not serve stacked weights.", "Name one FineTunedWeight."),
        "fine-tuned-weight-not-found": Code(ERROR, "No FineTunedWeight of the name the service gives exists (or its definition has errors).", "Define the FineTunedWeight, or correct the name."),
        "fine-tuned-weight-strategy": Code(ERROR, "A FineTunedWeight has no spec.hyperParameters.strategy, which OME copies into the pods' labels and annotations.", "Add spec.hyperParameters.strategy."),
        "accelerator-class-not-found": Code(
            ERROR,
            "An AcceleratorClass the service names (acceleratorSelector or acceleratorOverride), or one its runtime lists for a policy to choose from, is not in the sources (or its definition has errors); OME's controller fails the reconcile.",
            "Add the AcceleratorClass to the sources, or correct the name (the message suggests close ones).",
        ),
        "no-accelerator-class": Code(
            ERROR,
            "No class the runtime lists meets spec.acceleratorSelector.constraints (or, for Cheapest, none states a cost); OME would run the pods with no class at all.",
            "Relax the constraints, add a class to the runtime's acceleratorRequirements.acceleratorClasses, or name a class.",
        ),
        "accelerator-availability-unknown": Code(
            WARNING,
            "Policy FirstAvailable: offline there is no cluster state, so the first class in the runtime's list that meets the constraints is used, available or not.",
            "Name the class in spec.acceleratorSelector.acceleratorClass, or use BestFit, Cheapest or MostCapable.",
        ),
        "accelerator-ignored": Code(
            WARNING,
            "An acceleratorSelector/acceleratorOverride policy or constraints has no effect: the runtime lists no acceleratorRequirements.acceleratorClasses, and OME chooses classes only from that list.",
            "List the classes in the runtime, or remove the selector.",
        ),
        "accelerator-memory-unit": Code(
            WARNING,
            "An AcceleratorClass's capabilities.memoryGB is a plain number below 1Gi: OME reads it as a quantity in bytes and divides by 1Gi, so `80` is 0 GB to the memory constraints and scores.",
            "Write the memory with its unit, `80Gi`.",
        ),
        "accelerator-config-unused": Code(
            WARNING,
            "A format entry's acceleratorConfig for the chosen class is not applied: OME applies only the acceleratorConfig of the entry its GetSupportedModelFormat picks (the highest score by modelFormat and modelFramework; none for entries without modelFormat).",
            "Move the acceleratorConfig to the entry the message names, or give the entry a modelFormat.",
        ),
        "accelerator-annotation-only": Code(
            WARNING,
            "The ome.io/accelerator-class annotation only filters runtimes; OME applies no AcceleratorClass to the pods for it.",
            "Name the class in spec.acceleratorSelector.acceleratorClass (it filters runtimes the same way and is applied).",
        ),
        "model-not-found": Code(ERROR, "The service names no model, or no BaseModel/ClusterBaseModel of that name exists (or its definition has errors).", "Add spec.model.name, or define the model."),
        "model-disabled": Code(ERROR, "The service's model is disabled.", "Enable the model, or serve another one."),
        "model-incomplete": Code(
            ERROR, "The model lacks a fact runtime selection needs (its format name, or what the named runtime requires).", "Add the field the message names to the model."
        ),
        "runtime-not-found": Code(ERROR, "spec.runtime.name names no ServingRuntime in the service's namespace and no ClusterServingRuntime.", "Correct the name, or define the runtime."),
        "runtime-disabled": Code(ERROR, "The runtime the service names is disabled.", "Enable it, or name another runtime."),
        "runtime-unsupported": Code(ERROR, "The runtime the service names does not support its model; the message says which rule fails.", "Name a runtime that supports the model, or correct the model's facts."),
        "no-runtime": Code(
            ERROR, "No runtime can be auto-selected for the service's model.", "Run the `omegen explain` command in the message: it shows why each runtime was refused."
        ),
        "ambiguous-runtime": Code(
            WARNING,
            "Several runtimes tie on scope, priority and size fit; the winner was picked by creationTimestamp or name, which a new runtime can change.",
            "Give one runtime a higher priority, or name the runtime in spec.runtime.name.",
        ),
        "no-services": Code(
            ERROR,
            "The source tree has no InferenceService: the output would be empty, and applied with pruning it would delete every workload.",
            "Check SRC, or pass --allow-empty if an empty output is meant.",
        ),
        "empty-slice": Code(
            ERROR,
            "No InferenceService matches the slice (--only-namespace, --only-selector, or the Argo CD parameters onlyNamespace, onlySelector): the output would be empty, and applied with pruning it would delete every workload of the slice.",
            "Check the namespaces and labels as written in the sources (before overlays); a service without a namespace is in defaultNamespace.",
        ),
        "slice-models": Code(
            ERROR,
            "A slice was asked of a build with emitModels: only; the models are shared by every slice, so a slice never emits them.",
            "Build the models (emitModels: only) without a slice, and each slice with emitModels true or false.",
        ),
        "service-not-found": Code(ERROR, "`omegen explain` was asked about a service that does not exist, or about a name several namespaces use.", "Check the name, or give -n NAMESPACE."),
    },
    "render: a resolved service into Kubernetes objects": {
        "knative-required": Code(
            ERROR, "ome.io/deploymentMode is Serverless, which needs Knative Serving; omegen renders Deployments and LeaderWorkerSets only.", "Use RawDeployment (the default) or MultiNode."
        ),
        "virtual-deployment": Code(INFO, "The service is a VirtualDeployment: OME runs no workloads for it, and omegen renders none.", "Nothing."),
        "unknown-deployment-mode": Code(WARNING, "ome.io/deploymentMode has a value OME does not know; it is ignored.", "Use RawDeployment, MultiNode or MultiNodeRayVLLM."),
        "multinode": Code(
            ERROR,
            "A leader/worker group cannot be rendered: worker.size is not a whole number ≥ 1, or a multi-node mode was asked for without a worker group.",
            "Set worker.size (worker pods per replica, besides the leader) where the group is written.",
        ),
        "no-runner": Code(ERROR, "A pod has no container: the runtime defines none for the component and the service gives none.", "Add a runner (name, image) to the component, or use a runtime that has one."),
        "no-image": Code(ERROR, "The serving container has no image.", "Set runner.image in the runtime or the service."),
        "runner-args": Code(
            WARNING, "Both the runner and the pod container of the same name set args; the runner's are used, where OME would concatenate them.", "Set args in one place."
        ),
        "runner-args-replaced": Code(
            WARNING,
            "A service's runner args (or command) replace the runtime's; the message lists the flags that are dropped.",
            "Repeat the runtime's flags that are still needed (often --port and --model) in the service's args.",
        ),
        "template-error": Code(
            ERROR, "A built-in template could not render one of the service's objects (reported at the template and the service).", "This is a bug in omegen: please report it with the sources."
        ),
        "template-variable": Code(ERROR, "A {{.Name}}-style placeholder in a serving container is unknown or malformed.", "Use one of the placeholders OME substitutes (the message lists them)."),
        "invalid-label-value": Code(
            ERROR, "A runtime, model or vendor name that OME copies into a label value is not a valid label value.", "Shorten or rename it (63 characters, alphanumerics, '-', '_', '.')."
        ),
        "webhook-emulation": Code(
            ERROR,
            "With `webhooks: emulate` (the default), an OME pod webhook cannot be emulated: model-init without `webhookConfig.modelInit` in omegen.yaml, a pod OME's model-init or fine-tuned adapter webhook would refuse (no ome-container, OkeWorkloadIdentity without a service account, a storageUri that is not OCI, TensorRT-LLM without a GPU limit), a hand-written adapter trigger, an unknown RDMA profile; or (a warning) the RDMA injector finds no container to inject into; or (an info) a trigger dropped from router pods.",
            "Add the ConfigMap entry the message names to omegen.yaml's `webhookConfig`, correct the pod or the annotation, or set `webhooks: cluster` in omegen.yaml when OME's webhooks run in the cluster.",
        ),
        "replicas": Code(ERROR, "maxReplicas is less than minReplicas (after the runtime and the service are merged).", "Correct the replica bounds."),
        "autoscaler": Code(ERROR, "ome.io/autoscalerClass asks for an autoscaler omegen does not render (KEDA).", "Use 'hpa' or 'external'."),
        "scale-metric": Code(
            ERROR, "scaleMetric is a Knative metric, or the HPA's resource metric has no request to measure against.", "Scale on cpu or memory and set that resource's request."
        ),
        "scale-target": Code(ERROR, "The target utilization is not a whole percentage from 1 to 100.", "Give a percentage from 1 to 100."),
        "disruption-budget": Code(ERROR, "minAvailable and maxUnavailable are both set; a PodDisruptionBudget takes one.", "Remove one of them."),
        "resources": Code(ERROR, "Container requests and limits the API server would refuse (not a quantity, a request above its limit, ...).", "Correct the resources named in the message."),
        "missing-volume": Code(ERROR, "A container mounts a volume its pod does not declare.", "Add the volume to the pod's volumes."),
    },
    "overlay: omegen.yaml layers, patches and transforms": {
        "invalid-resource": Code(ERROR, "An entry of resources: is a directory without an omegen.yaml (kind Omegen) to be a component.", "Point it at a directory with an omegen.yaml, or at source files."),
        "missing-resource": Code(ERROR, "An entry of resources: (or a patch path) does not exist.", "Correct the path."),
        "path-outside": Code(ERROR, "An entry of resources: leaves the repository.", "Keep paths inside the repository; on the command line `--root DIR` widens the boundary (the Argo CD plugin's boundary is the repository)."),
        "overlay-cycle": Code(ERROR, "An overlay's resources: lead back to itself.", "Remove the entry that closes the cycle (the message shows the chain)."),
        "invalid-patch": Code(ERROR, "A patch entry is malformed (neither or both of path and patch, no target, an unreadable patch).", "Give either path or patch, and a target."),
        "patch-target-missing": Code(ERROR, "A patch's target matches no object, so the patch would silently do nothing.", "Correct the target (kind, name, namespace, labels)."),
        "patch-failed": Code(ERROR, "A patch cannot be applied to the object it targets.", "Correct the patch for the object's shape."),
        "invalid-transform": Code(ERROR, "A transform (replicas, images, namespace, ...) cannot be applied as written.", "Give the value the message asks for."),
        "unused-transform": Code(WARNING, "A transform (an images: entry) matches nothing in the output.", "Correct or remove the entry."),
    },
    "validate: the objects omegen would write": {
        "kubernetes-version": Code(ERROR, "The configured Kubernetes version has no bundled schemas.", "Set kubernetesVersion in omegen.yaml to a supported version."),
        "output-schema": Code(
            ERROR, "A rendered object breaks its kind's JSON Schema for the configured Kubernetes version.", "Fix the source field the message points at (it names the runtime or service that wrote it)."
        ),
        "output-selector": Code(ERROR, "A Service or PodDisruptionBudget selects no pod, or a workload's selector does not match its pod template.", "Correct the labels or selector in the source."),
        "output-port": Code(ERROR, "A Service's target port or a probe's port is not a port of the pods it refers to.", "Declare the port on the serving container, or correct the reference."),
        "output-target": Code(
            ERROR,
            "An HPA scales a workload that is not in the output, or (a warning) one that also sets spec.replicas, which the HPA and every sync would fight over.",
            "Let the HPA own the replicas: remove the fixed replica count, or the autoscaling.",
        ),
        "output-name": Code(ERROR, "A rendered object's name, label or annotation breaks the API server's naming rules.", "Shorten or rename the source value the message names."),
        "output-duplicate": Code(ERROR, "Two rendered objects have the same kind, namespace and name.", "Rename one of the services (or components) that produce them."),
        "output-too-large": Code(
            ERROR,
            "A rendered object is over 1.5 MiB as JSON, or the whole output over 64 MiB (a large value repeated in every object).",
            "Shrink the value every object repeats (an annotation, label or env value); README.md, Limits.",
        ),
        "kubeconform": Code(ERROR, "kubeconform (when asked for) rejected an object, or could not be run.", "Fix the finding, or check the kubeconform executable."),
    },
    "emit: the output tree": {
        "output-conflict": Code(ERROR, "A file in OUT that omegen did not write is in the way.", "Move it away, or choose another -o."),
        "output-error": Code(ERROR, "The output tree cannot be written; nothing was changed.", "Check the directory's permissions and free space."),
        "output-locked": Code(ERROR, "Another omegen build is writing the same OUT (it holds the lock on the directory); nothing was done.", "Run the build again when the other one has finished."),
        "output-recovered": Code(
            WARNING,
            "OUT held what an interrupted build left: its journal was completed, or its temporary files removed, before this build.",
            "Nothing to do; the tree is the old one or the new one again.",
        ),
        "prune-needed": Code(
            ERROR,
            "The build would remove more than half of the services in OUT; nothing was written.",
            "If that is meant, run the build again with --prune.",
        ),
        "slice-stale-file": Code(
            WARNING,
            "A slice by --only-selector found omegen files in OUT whose InferenceService no source defines any more; it cannot tell which slice they were in, so it left them.",
            "Run a build without --only-selector (the whole estate, or a namespace slice) to remove them.",
        ),
        "stale-output": Code(ERROR, "With --check: a file in OUT is out of date or belongs to no service any more, or an interrupted build left its journal or temporary files.", "Run omegen build -o OUT and commit the result."),
    },
}

CODES: dict[str, Code] = {code: entry for codes in STAGES.values() for code, entry in codes.items()}


def markdown() -> str:
    """docs/diagnostics.md."""
    lines = [
        "# Diagnostic codes",
        "",
        "Generated from `omegen/codes.py` by `python -m omegen.codes > docs/diagnostics.md`; do not edit by hand.",
        "",
        "Every diagnostic reads `FILE:LINE:COLUMN: SEVERITY[CODE]: MESSAGE`; with `--format json` it also",
        "names the object it is about (`subject`: apiVersion, kind, namespace, name) where that is known.",
        "The severity below is the one a code is normally reported with; `--strict` makes every warning an error.",
    ]
    for stage, codes in STAGES.items():
        lines += ["", f"## {stage}", "", "| code | severity | meaning | how to fix |", "|---|---|---|---|"]
        for code, entry in codes.items():
            lines.append(f"| `{code}` | {entry.severity.label} | {entry.meaning} | {entry.fix} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
