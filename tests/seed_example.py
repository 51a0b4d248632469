"""The seed document's own examples (its `vllm-text-generation` runtime and `llama-3-1-70b`
service), verbatim: the files of the golden case tests/cases/seed-example, read once for every test."""

from __future__ import annotations

from pathlib import Path

SRC = Path(__file__).resolve().parent / "cases" / "seed-example" / "src"
SEED_RUNTIME = (SRC / "vllm-text-generation.yaml").read_text(encoding="utf-8")
SEED_SERVICE = (SRC / "llama-3-1-70b-isvc.yaml").read_text(encoding="utf-8")
SEED_MODEL = (SRC / "model.yaml").read_text(encoding="utf-8")
