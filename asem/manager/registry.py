"""Managers by name, so configs, the CLI and benchmarks can choose one with a string.

Built in: ``learned-attribute`` (the default: the shipped GRPO checkpoint trained with the
same-attribute feature, docs/manager.md), ``learned`` (the checkpoint before it), ``rule``,
``always-add`` and ``llm`` (the LLM-prompted manager, which needs a language model). A path
to a ``.npz`` checkpoint loads a retrained policy. Other policies join with ``register``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from asem.config import MemoryConfig
from asem.errors import InvalidInputError
from asem.llm.base import LLM
from asem.write.manager import AlwaysAdd, ManagerPolicy, RuleManager

Factory = Callable[[MemoryConfig], ManagerPolicy]


def _learned(config: MemoryConfig) -> ManagerPolicy:
    from asem.manager.learned import LearnedManager

    return LearnedManager.load()


def _learned_attribute(config: MemoryConfig) -> ManagerPolicy:
    from asem.manager.learned import ATTRIBUTE_CHECKPOINT, LearnedManager, asset

    return LearnedManager.load(asset(ATTRIBUTE_CHECKPOINT))


MANAGERS: dict[str, Factory] = {
    "learned": _learned,
    "learned-attribute": _learned_attribute,
    "rule": lambda config: RuleManager(config.write.duplicate_similarity),
    "always-add": lambda config: AlwaysAdd(),
}


def register(name: str, factory: Factory) -> None:
    """Make ``factory`` available as manager ``name``."""
    MANAGERS[name] = factory


def resolve(spec: ManagerPolicy | str | Path, config: MemoryConfig,
            llm: LLM | None = None) -> ManagerPolicy:
    """A manager object as given, or the one a name or checkpoint path stands for.

    ``llm`` is the model the ``llm`` manager asks (one call per input).
    """
    if not isinstance(spec, str | Path):
        return spec
    if spec == "llm":
        if llm is None:
            raise InvalidInputError("manager 'llm' asks a language model: pass llm=... "
                                    "(CLI: --llm local or --llm openai:MODEL@URL)")
        from asem.write.llm_manager import LLMManager

        return LLMManager(llm)
    if isinstance(spec, str) and spec in MANAGERS:
        return MANAGERS[spec](config)
    if str(spec).endswith(".npz"):
        from asem.manager.learned import LearnedManager

        if not Path(spec).is_file():
            raise InvalidInputError(f"no manager checkpoint at {spec}; train one with "
                                    "'asem train manager --out FILE'")
        return LearnedManager.load(spec)
    raise InvalidInputError(f"unknown manager {str(spec)!r}: choose {', '.join(MANAGERS)}, llm or "
                            "give the path of a .npz checkpoint")
