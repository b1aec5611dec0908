"""Evaluation: dataset loaders, metrics, baselines and benchmark harnesses."""
