"""Output size limits: one rendered object, and the whole output.

Template amplification (one large annotation or env value that every component, pod template and
Service repeats, across hundreds of services) can turn a small repository into a huge output.
Sizes are measured as compact JSON, what the API server stores:

- one object over MAX_OBJECT_BYTES (1.5 MiB, etcd's default request limit) would be refused on
  apply;
- the whole output over MAX_OUTPUT_BYTES (64 MiB) is refused as a runaway build.

Both are `output-too-large` errors; the README's "Limits" section lists them.
"""

from __future__ import annotations

import json

from omegen.api import Rendered
from omegen.errors import Diagnostic, error
from omegen.validate.wording import object_diagnostic

TOO_LARGE = "output-too-large"
MAX_OBJECT_BYTES = 1536 * 1024
MAX_OUTPUT_BYTES = 64 * 1024 * 1024


def json_size(obj) -> int:
    return len(json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8", "surrogatepass"))


def check_sizes(objects: list[Rendered]) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    total = 0
    by_service: dict = {}
    for rendered in objects:
        try:
            size = json_size(rendered.obj)
        except (TypeError, ValueError):
            continue  # the schema check reports a value JSON cannot hold
        total += size
        by_service[rendered.service] = by_service.get(rendered.service, 0) + size
        if size > MAX_OBJECT_BYTES:
            out.append(
                object_diagnostic(
                    TOO_LARGE, rendered, (), f"is {size} bytes as JSON; the API server stores objects of at most {MAX_OBJECT_BYTES} bytes (1.5 MiB)"
                )
            )
    if total > MAX_OUTPUT_BYTES:
        largest = sorted(by_service.items(), key=lambda item: (-item[1], item[0]))[:3]
        named = ", ".join(f"{namespace}/{name} ({size} bytes)" for (namespace, name), size in largest)
        out.append(
            error(
                TOO_LARGE,
                f"the output would be {total} bytes, over the limit of {MAX_OUTPUT_BYTES}: a value repeated "
                f"in every object (a large annotation, label or env value?); the largest services: {named}",
            )
        )
    return out
