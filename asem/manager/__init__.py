"""The learned write policy (SPEC stage 2): features, a compact numpy policy, its GRPO
training environment and the checkpoint that ships with the package.

``LearnedManager`` is the embedded default's manager; ``asem train manager`` retrains it.
"""

from asem.manager.learned import DEFAULT_CHECKPOINT, LearnedManager

__all__ = ["DEFAULT_CHECKPOINT", "LearnedManager"]
