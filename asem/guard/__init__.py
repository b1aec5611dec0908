"""Poisoning defence (SPEC §2): the trust of each note's source, and a learned detector that
quarantines notes carrying instructions aimed at the agent.

- ``trust``: ``Trust`` levels, derived from an input's writer and channel;
- ``features``: what the detector reads of a note (its content embedding and the shape of
  its text, which do not depend on one language's words);
- ``detector``: the shipped logistic classifier and its verdict;
- ``train``: retraining it on ``asem.eval.poison_data`` (``python -m asem.guard.train``).
"""

from asem.guard.detector import Detector, Verdict, load_detector
from asem.guard.trust import Trust, trust_of

__all__ = ["Detector", "Trust", "Verdict", "load_detector", "trust_of"]
