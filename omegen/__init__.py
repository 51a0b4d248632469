"""omegen: compile OME model-serving sources into plain Kubernetes YAML."""

__version__ = "0.1.0"
