"""The order of the stages, and nothing else: load → source overlay → resolve → render → output
overlay → validate → emit.

Every front end (the CLI, the KRM function, the Argo CD plugin, the Kustomize plugin, `diff`)
turns its input into one frozen `Options`, calls `run`, and prints the `Build` it gets back:

    build = run(Options(src=Path("examples/quickstart")))
    build.objects      # rendered Kubernetes objects (api.Rendered), in emit order
    build.stream       # the YAML stream of them (when no output tree was asked for)
    build.diagnostics  # everything every stage reported, `--strict` applied, sorted

`run` never raises for a problem in the sources or the output tree; it reports it. `--strict` is
applied here, once, at the end (`_finish`): the stages report warnings, the pipeline escalates them.
"""

from __future__ import annotations

import difflib
import fnmatch
import gc
import tempfile
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Iterable, Mapping, Optional

from omegen.api import CLUSTER_SERVING_RUNTIME, EMIT_MODELS_ONLY, Config, INFERENCE_SERVICE, SERVING_RUNTIME, Model, Rendered, Resolution, Sources
from omegen.cache import key as cache_key
from omegen.cache import store as cache_store
from omegen.emit import tree as emit
from omegen.errors import Diagnostic, Severity, error, has_errors, promote_warnings, sort_diagnostics
from omegen.load import memory
from omegen.load.config import CONFIG_FILE
from omegen.load.slices import Membership, Slice, select_documents
from omegen.load.sources import build_sources, gather
from omegen.overlay import output as overlay_output
from omegen.overlay import source as overlay_source
from omegen.overlay.patches import read_patches
from omegen.render import models as render_models
from omegen.render import service as render
from omegen.render import syncwaves
from omegen.resolve import runtime_checks, select
from omegen import stagetimes
from omegen.validate import kubeconform
from omegen.validate import objects as validate


@dataclass(frozen=True)
class Options:
    """What a front end asks for. `None` means "as omegen.yaml says"."""

    src: Path
    out: Optional[Path] = None  # an output tree; None: one YAML stream
    check: bool = False  # with `out`: compare, write nothing
    write: bool = True  # False: validate only (no stream, no tree)
    strict: Optional[bool] = None
    builtin: Optional[bool] = None
    kubeconform: Optional[str] = None  # the kubeconform executable to run over the output, if any
    skip: tuple[Path, ...] = ()  # directories never read as sources (the output tree is added)
    allow_empty: bool = False  # a tree with no InferenceService is meant (a person's flag; plugins never set it)
    prune: bool = False  # with `out`: removing more than half of OUT's services is meant
    kubernetes_version: Optional[str] = None  # overrides omegen.yaml; must be a bundled version
    cluster_version: Optional[str] = None  # the target cluster's (Argo CD's KUBE_VERSION), when omegen.yaml sets none
    # In-memory sources (relative path → text, omegen.yaml included) instead of the tree at `src`:
    # a KRM function's items. Diagnostics name these paths.
    files: Optional[Mapping[str, str]] = field(default=None, compare=False)
    root: Optional[Path] = None  # the boundary overlay paths may not leave (default: the git work tree holding src)
    slice: Slice = Slice()  # only these services (--only-namespace, --only-selector); empty: every one
    cache: Optional[Path] = None  # the build cache's directory (--cache, omegen/cache/); None: no cache


@dataclass(frozen=True)
class Build:
    options: Options
    sources: Sources
    resolutions: tuple[Resolution, ...] = ()
    objects: tuple[Rendered, ...] = ()
    stream: str = ""  # the YAML stream, when `out` is None and the build succeeded
    files: tuple[str, ...] = ()  # the output tree's files (relative to OUT), when `out` is given
    changes: Optional[emit.Changes] = None  # what the build changed (or, with --check, would change) in OUT
    diagnostics: tuple[Diagnostic, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not has_errors(self.diagnostics)


# Kept for the tests and embedders that only want the objects: the same as run() without output.
BuildResult = Build


def run(options: Options) -> Build:
    """Every stage in order; the output (stream or tree) only when every stage before it succeeded."""
    if options.files is not None:  # `src` then only names them in messages
        with memory.materialize(options.files) as root:
            return _run(options, root)
    return _run(options, options.src)


def _run(options: Options, root: Path) -> Build:
    stagetimes.start()  # OMEGEN_STAGE_TIMES (bench/bench.py); otherwise nothing is measured
    # A build allocates millions of objects and frees them by reference counting; the cyclic
    # collector, run every 700 allocations by default, scanned the growing heap 2,900 times at
    # 10,000 services (16% of the CPU time). Every 50,000 it runs 37 times; restored afterwards.
    threshold = gc.get_threshold()
    gc.set_threshold(max(threshold[0], GC_THRESHOLD), *threshold[1:])
    try:
        return _run_stages(options, root)
    finally:
        gc.set_threshold(*threshold)
        stagetimes.save()


GC_THRESHOLD = 50_000


def _run_stages(options: Options, root: Path) -> Build:
    key = cache_key.build_key(options, root) if options.cache is not None else None
    entry = cache_store.read(options.cache, key) if key is not None else None
    if entry is not None:  # every input as before: what the earlier build made, then the output afresh
        sources = Sources(config=Config(**{**entry.config, "silence": tuple(entry.config["silence"])}))
        membership = Membership(options.slice, entry.inside, entry.outside) if options.slice else None
        built = Build(options, sources, (), entry.objects)
        return _output(options, built, list(entry.diagnostics), membership, entry.stream, entry.texts)
    build, diagnostics, membership = _compile(options, root)
    if key is not None and not has_errors(diagnostics):
        return _output(options, build, diagnostics, membership, key=key)
    return _output(options, build, diagnostics, membership)


def _compile(options: Options, root: Path) -> tuple[Build, list[Diagnostic], Optional[Membership]]:
    """Every stage before the output; the diagnostics finished (`--strict` applied)."""
    skip = options.skip + ((options.out,) if options.out is not None else ())
    sources, diagnostics, patches, membership = _load(
        root,
        builtin=options.builtin,
        skip=skip,
        output=options.out,
        boundary=options.root,
        kubernetes_version=options.kubernetes_version,
        cluster_version=options.cluster_version,
        slice=options.slice,
    )
    stagetimes.lap("load")
    if membership is not None:
        diagnostics.extend(_slice_problems(membership, sources))
    elif options.write and not options.allow_empty and not has_errors(diagnostics):
        # Validating a catalog without services is meant. After an error the build fails anyway, and
        # "no services" is then that error's consequence (a refused base held them), not news.
        diagnostics.extend(_nothing_to_build(options.src, sources))
    resolutions, objects, used_models = [], [], []
    for key in sorted(sources.services):
        resolution = select.resolve(sources.services[key], sources)
        resolutions.append(resolution)
        diagnostics.extend(resolution.diagnostics)
        stagetimes.lap("resolve")
        if resolution.runtime is None or has_errors(resolution.diagnostics):
            continue
        rendered, problems = render.render_service(
            resolution, webhooks=sources.config.webhooks, webhook_config=sources.config.webhook_config
        )
        stagetimes.lap("render")
        diagnostics.extend(problems)
        if not has_errors(problems):
            objects.extend(rendered)
            if rendered:
                used_models.append(resolution.model)
                used_models.extend(resolution.fine_tuned)
    # Output transforms act on what rendering made; the emitted models are sources, as written.
    objects, problems = overlay_output.apply_output(objects, sources, patches)
    diagnostics.extend(problems)
    # A slice emits no models: every slice may use one, so they belong to the estate's build.
    objects = emit.order(_with_models(objects, used_models, False if membership is not None else sources.config.emit_models))
    if sources.config.sync_waves:
        objects = syncwaves.annotate(objects)
    stagetimes.lap("overlay+order")
    if objects:
        diagnostics.extend(validate.validate_objects(objects, sources.config.kubernetes_version))
        if options.kubeconform is not None:
            diagnostics.extend(kubeconform.check_objects(objects, options.kubeconform, sources.config.kubernetes_version))
    stagetimes.lap("validate")
    build = Build(options, sources, tuple(resolutions), tuple(objects))
    return build, _finish(diagnostics, _strict(options, sources), sources.config.silence), membership


def _output(options: Options, build: Build, diagnostics: list, membership, stream=None, texts=None, key: Optional[str] = None) -> Build:
    """The stream, or OUT brought up to date, when nothing before failed. `stream`/`texts`: the YAML
    a cached build made; `key`: store this build in the cache under it."""
    objects = list(build.objects)
    if has_errors(diagnostics) or not options.write:
        _store(options, key, build, diagnostics, membership)
        return replace(build, diagnostics=tuple(diagnostics))
    if options.out is None:
        stream = emit.stream(objects) if stream is None else stream
        stagetimes.lap("emit")
        _store(options, key, build, diagnostics, membership, stream=stream)
        return replace(build, stream=stream, diagnostics=tuple(diagnostics))
    if texts is None:
        texts = emit.file_texts(objects)
        _store(options, key, build, diagnostics, membership, texts=texts)
    owner = emit.slice_owner(membership.owns_service_file) if membership is not None else None
    changes, problems = emit.update_tree(options.out, objects, check=options.check, prune=options.prune, owner=owner, texts=texts)
    stagetimes.lap("emit")
    return replace(build, files=changes.planned, changes=changes, diagnostics=tuple(sort_diagnostics(diagnostics + problems)))


def _store(options: Options, key: Optional[str], build: Build, diagnostics: list, membership, **output) -> None:
    if key is None:
        return
    inside, outside = (membership.inside, membership.outside) if membership is not None else (frozenset(), frozenset())
    config = {f.name: getattr(build.sources.config, f.name) for f in fields(Config)}
    entry = cache_store.Entry(build.objects, tuple(diagnostics), inside=inside, outside=outside, config=config, **output)
    cache_store.write(options.cache, key, entry)


def build(src: Path, **options) -> Build:
    """`run` without output: load, resolve, render and validate `src`."""
    return run(Options(src=Path(src), write=False, **options))


def load(src: Optional[Path], *, builtin: Optional[bool] = None, strict: Optional[bool] = None, skip: Iterable[Path] = (), **options):
    """Sources (source patches applied) plus the load-time and runtime-validation diagnostics
    (`strict` applied when given). `options`: `kubernetes_version`, `cluster_version` and `boundary`
    (`Options.root`). `src` None: the built-in catalog alone, never the current directory."""
    if src is None:  # a private empty directory stands for "no sources"; removed on return
        with tempfile.TemporaryDirectory(prefix="omegen-empty-") as empty:
            return load(Path(empty), builtin=builtin, strict=strict, skip=skip, **options)
    sources, diagnostics, _, _ = _load(src, builtin=builtin, skip=skip, **options)
    if strict is not None:
        return sources, _finish(diagnostics, strict or sources.config.strict, sources.config.silence)
    return sources, diagnostics


def _load(
    src: Path, *, builtin: Optional[bool] = None, skip: Iterable[Path] = (), output: Optional[Path] = None, boundary: Optional[Path] = None, slice: Slice = Slice(), **versions
):
    """load → source overlay → the rest of load: the documents are gathered, the overlays' source
    patches applied to them as written, a slice's services chosen by their metadata as written,
    then checked and normalized. Also returns the overlays' parsed patches (the output ones apply
    after rendering) and, for a slice, which services are in it (None: no slice)."""
    gathered, diagnostics = gather(src, builtin=builtin, skip=skip, output=output, boundary=boundary, **versions)
    patches = []
    for index, layer in enumerate(gathered.plan.layers):
        patches.extend(read_patches(index, layer, gathered.plan.boundary, diagnostics))
    documents, problems = overlay_source.patch_documents(gathered.documents, patches, gathered.plan.order(), gathered.config.default_namespace)
    diagnostics.extend(problems)
    membership = None
    if slice:  # every patch has seen every document (a target outside the slice is no error)
        documents, membership = select_documents(list(gathered.documents), documents, slice, gathered.config.default_namespace)
    gathered = replace(gathered, documents=tuple(documents))
    built: list = []
    sources = build_sources(gathered, built)
    diagnostics.extend(overlay_source.annotate(built, documents))
    diagnostics.extend(overlay_source.annotate(list(runtime_checks.check_runtimes(sources)), documents))
    return sources, diagnostics, patches, membership


def resolve_one(src: Path, name: str, namespace: Optional[str], *, builtin: Optional[bool] = None, strict: Optional[bool] = None, boundary: Optional[Path] = None):
    """For `explain`: the Resolution of one service (None when no such service), the services that
    matched the name, the load diagnostics (source patches applied; `--strict` applied to both), and
    when none matched, the closest services (for a suggestion)."""
    sources, diagnostics = load(src, builtin=builtin, boundary=boundary)
    strict_mode = strict if strict is not None else sources.config.strict
    # Services rejected for errors count too: explaining a namesake instead would mislead.
    known = set(sources.services) | {(ns, n) for kind, ns, n in sources.rejected if kind == INFERENCE_SERVICE}
    candidates = sorted(key for key in known if key[1] == name and (namespace is None or key[0] == namespace))
    if len(candidates) != 1 or candidates[0] not in sources.services:
        closest = [] if candidates else _closest_services(known, name, namespace)
        return None, candidates, _finish(diagnostics, strict_mode, sources.config.silence), closest
    resolution = select.resolve(sources.services[candidates[0]], sources)
    resolution = replace(resolution, diagnostics=tuple(_finish(resolution.diagnostics, strict_mode, sources.config.silence)))
    return resolution, candidates, _finish(diagnostics, strict_mode, sources.config.silence), []


@dataclass(frozen=True)
class Explanation:
    """What `omegen explain` shows: the resolution of one service, or None when there is none to
    explain (the reason is then among the diagnostics)."""

    resolution: Optional[Resolution]
    diagnostics: tuple[Diagnostic, ...]  # the load's, then the resolution's (or why there is none)

    @property
    def ok(self) -> bool:
        # A load error elsewhere (a broken model file) is reported, but only the service's own decide.
        return self.resolution is not None and not has_errors(self.resolution.diagnostics)


def explain(options: Options, name: str, namespace: Optional[str] = None) -> Explanation:
    """Which runtime serves the InferenceService `name` (in `namespace`, needed when not unique)."""
    resolution, matches, diagnostics, closest = resolve_one(options.src, name, namespace, builtin=options.builtin, strict=options.strict, boundary=options.root)
    if resolution is not None:
        return Explanation(resolution, tuple(diagnostics) + resolution.diagnostics)
    if len(matches) > 1:
        listed = ", ".join(f"{ns}/{n}" for ns, n in matches)
        message = f"InferenceService {name!r} exists in several namespaces ({listed}); choose one with -n"
    elif matches:
        message = f"InferenceService {matches[0][0]}/{name} could not be loaded: its definition has errors (listed with it)"
    else:
        where = f" in namespace {namespace!r}" if namespace else ""
        message = f"no InferenceService named {name!r}{where} under {options.src}"
        if closest:
            message += f" (did you mean {_either(closest, namespace)}?)"
    return Explanation(None, (*diagnostics, error("service-not-found", message)))


def _closest_services(known, name: str, namespace: Optional[str]) -> list[tuple[str, str]]:
    """The services a mistyped `explain NAME [-n NS]` most likely meant: that name in another
    namespace first (a wrong -n), else the closest names (difflib), in the namespace when given."""
    elsewhere = sorted(key for key in known if key[1] == name)
    if elsewhere:
        return elsewhere[:3]
    in_scope = sorted(key for key in known if namespace is None or key[0] == namespace) or sorted(known)
    close = difflib.get_close_matches(name, sorted({n for _, n in in_scope}), n=3, cutoff=0.6)
    return [key for n in close for key in in_scope if key[1] == n][:3]


def _either(services, namespace: Optional[str]) -> str:
    """`chat -n team-a or chats -n team-b`: each as the command would name it (`-n` left out when
    it is the namespace given)."""
    return " or ".join(n if ns == namespace else f"{n} -n {ns}" for ns, n in services)


def _nothing_to_build(src: Path, sources: Sources) -> list[Diagnostic]:
    """An empty build is an error: its output, applied with pruning on, deletes every workload."""
    if sources.services or any(kind == INFERENCE_SERVICE for kind, _, _ in sources.rejected):
        return []  # a rejected service has its own error
    return [
        error(
            "no-services",
            f"no InferenceService found under {src}: the output would be empty, and applied with pruning "
            "it deletes every workload; check SRC, or pass --allow-empty if an empty output is meant",
        )
    ]


def _slice_problems(membership: Membership, sources: Sources) -> list[Diagnostic]:
    """An empty slice is an error (applied with pruning, its output deletes the slice's workloads);
    `emitModels: only` builds the models every slice shares, so it is never a slice's."""
    described = membership.slice.describe()
    problems = []
    if not membership.inside:
        total = len(membership.outside)
        problems.append(
            error(
                "empty-slice",
                f"no InferenceService matches {described} (the sources define {total}): the output would be empty, and applied "
                "with pruning it deletes every workload of the slice; check the namespaces and labels as written in the sources",
            )
        )
    if sources.config.emit_models == EMIT_MODELS_ONLY:
        problems.append(
            error(
                "slice-models",
                f"emitModels: only builds the models every slice shares, so it cannot be combined with {described}: "
                "build the models without a slice",
                CONFIG_FILE,
            )
        )
    return problems


def _with_models(objects: list[Rendered], used: list[Optional[Model]], emit_models) -> list[Rendered]:
    """`emitModels`: the services' objects and their models (true), the objects alone (false), or
    the models alone (only)."""
    if emit_models is False:
        return objects
    models = render_models.model_objects(used)
    return models if emit_models == EMIT_MODELS_ONLY else objects + models


def _strict(options: Options, sources: Sources) -> bool:
    return options.strict if options.strict is not None else sources.config.strict


def _finish(diagnostics: Iterable[Diagnostic], strict: bool, silence: Iterable = ()) -> list[Diagnostic]:
    """The one place `--strict` is applied: warnings omegen.yaml silences become infos (so they never
    escalate), the other warnings become errors; then the report order."""
    diagnostics = [_silenced(d, silence) for d in diagnostics]
    return sort_diagnostics(promote_warnings(diagnostics) if strict else diagnostics)


SILENCED = " (silenced in omegen.yaml)"


def _silenced(d: Diagnostic, silence: Iterable) -> Diagnostic:
    """omegen.yaml's `silence: [{codes: [...], runtimes: [...]}]`: a warning of a listed code about a
    listed runtime (fnmatch patterns; no `runtimes`: every runtime) is kept as an info, which -v,
    JSON and `omegen explain` still show."""
    subject = d.subject
    if d.severity is not Severity.WARNING or subject is None or subject.kind not in (CLUSTER_SERVING_RUNTIME, SERVING_RUNTIME):
        return d
    for rule in silence:
        names = rule.get("runtimes")
        if d.code in rule.get("codes", ()) and (not names or any(fnmatch.fnmatchcase(subject.name, n) for n in names)):
            return replace(d, severity=Severity.INFO, message=d.message + SILENCED)
    return d
