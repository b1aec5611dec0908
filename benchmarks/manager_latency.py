"""Decision latency of a write policy: wall-clock and CPU time per ``decide`` call.

The proposals are those the write path would show the policy on held-out streams (real
embedder, k = 5 nearest notes). Each proposal is decided ``--repeat`` times after a warm-up;
wall-clock percentiles include whatever the scheduler does on a shared machine, CPU-time
percentiles (``time.thread_time``) count only this thread's own work, so on a loaded
machine the two differ and both are reported, with the load average.

    .venv/bin/python benchmarks/manager_latency.py --policy learned --json bench-out/latency.json
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from asem.config import MemoryConfig
from asem.manager.bench import TEST_SEED
from asem.manager.env.sim import EmbeddingCache, SimMemory
from asem.manager.env.streams import generate
from asem.manager.features import K
from asem.manager.registry import resolve
from asem.providers.onnx_minilm import MiniLMEmbedder
from asem.write.manager import Proposal


def proposals(n_streams: int, embed: EmbeddingCache) -> list[Proposal]:
    """Every event of ``n_streams`` held-out streams as the write path would propose it
    (memory built by always adding, so later proposals have a full candidate list)."""
    from asem.types import Decision, Op

    found = []
    for seed in range(TEST_SEED, TEST_SEED + n_streams):
        stream = generate(seed, "test")
        embed.warm([e.text for e in stream.events])
        memory = SimMemory()
        for day, event in enumerate(stream.events):
            found.append(memory.proposal(event.text, embed(event.text), day, K))
            memory = memory.apply(Decision(Op.ADD), event.text, event.slot, day, embed)
    return found


def measure(policy_name: str, items: list[Proposal], repeat: int) -> dict:
    manager = resolve(policy_name, MemoryConfig())
    for p in items[:50]:  # warm-up: caches, first numpy calls
        manager.decide(p)
    wall, cpu = [], []
    for _ in range(repeat):
        for p in items:
            w0, c0 = time.perf_counter_ns(), time.thread_time_ns()
            manager.decide(p)
            cpu.append(time.thread_time_ns() - c0)
            wall.append(time.perf_counter_ns() - w0)
    ms = {name: np.array(v) / 1e6 for name, v in (("wall", wall), ("cpu", cpu))}
    return {f"{name}_ms_p{q}": round(float(np.percentile(v, q)), 4)
            for name, v in ms.items() for q in (50, 95, 99)} | {"decisions": len(wall)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policy", default="learned", help="manager name or .npz path")
    parser.add_argument("--streams", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    items = proposals(args.streams, EmbeddingCache(MiniLMEmbedder()))
    load_before = os.getloadavg()[0]
    result = {"policy": args.policy, **measure(args.policy, items, args.repeat),
              "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
              "cpus": os.cpu_count()}
    print(json.dumps(result, indent=1))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
