"""The maintainers' tools: measuring, benchmarking and training scripts, run from the project's
root as `python -m tools.NAME`. Not installed with digitlab: students never import them."""
