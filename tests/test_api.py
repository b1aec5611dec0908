"""The public surface: exported names, the docstring example, and a light import."""

from __future__ import annotations

import doctest
import json
import subprocess
import sys

import pytest

import asem
import asem.memory


def test_every_name_in_all_exists():
    assert len(asem.__all__) == len(set(asem.__all__))
    missing = [name for name in asem.__all__ if not hasattr(asem, name)]
    assert missing == []
    for name in ("Memory", "MemoryConfig", "Filters", "SearchResult", "ASEMError", "Scope"):
        assert name in asem.__all__


def test_the_memory_module_docstring_example_runs():
    result = doctest.testmod(asem.memory, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 6
    assert result.failed == 0


def test_import_asem_is_light_and_has_no_side_effects(tmp_path):
    code = (
        "import json, os, sys\n"
        "before = set(os.listdir('.'))\n"
        "import asem, asem.memory, asem.providers, asem.stores\n"
        "heavy = ['onnxruntime', 'yake', 'dateparser', 'tokenizers', 'torch', 'fastapi',"
        " 'psycopg']\n"
        "print(json.dumps({'loaded': [m for m in heavy if m in sys.modules],"
        " 'created': sorted(set(os.listdir('.')) - before)}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, check=True, env={"PATH": "/usr/bin:/bin"})
    report = json.loads(out.stdout)
    assert report == {"loaded": [], "created": []}


def test_the_version_is_a_string():
    assert isinstance(asem.__version__, str) and asem.__version__.count(".") == 2


def test_async_memory_mirrors_the_sync_facade():
    import asyncio
    import doctest

    import asem.aio
    from asem.aio import METHODS, AsyncMemory
    from asem.memory import Memory
    from asem.providers import HashEmbedder

    assert doctest.testmod(asem.aio).failed == 0
    for name in METHODS:
        assert getattr(AsyncMemory, name).__doc__ == getattr(Memory, name).__doc__

    async def round_trip(path):
        async with AsyncMemory(path, embedder=HashEmbedder()) as memory:
            (written,) = await memory.add("Ben ran the Berlin marathon", user_id="ben")
            result = await memory.search("marathon", user_id="ben")
            feedback = await memory.feedback(result.retrieval_id, -1.0, user_id="ben")
            return written.note_id, result, feedback

    note_id, result, feedback = asyncio.run(round_trip(":memory:"))
    assert result[0].note.id == note_id
    assert feedback.utilities[note_id] == pytest.approx((0.5, 0.35))  # 0.5 + 0.1 * (-1 - 0.5)
