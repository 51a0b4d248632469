"""Stage 4, overlay: Kustomize-style patches and transforms (on sources before resolution, on output objects after rendering)."""
