"""The long-running commands (training, benchmarks, ingest): an output that cannot be written
fails before the run, and Ctrl-C says what was kept."""

from __future__ import annotations

import json

import pytest

from asem import Memory
from asem.errors import InvalidInputError
from asem.providers import HashEmbedder
from tests.test_cli import assert_one_line_error, run


# -- outputs of long runs are checked before the run ----------------------------------------
@pytest.mark.parametrize("args", [
    ["train", "manager", "--out", "{blocked}/m.npz"],
    ["train", "manager", "--log", "{blocked}/log.jsonl"],
    ["bench", "manager", "--json", "{blocked}/r.json"],
    ["bench", "locomo", "--json", "{blocked}/r.json"],
    ["bench", "locomo", "--report", "{blocked}/report"],
    ["bench", "learn", "--plot", "{blocked}/curve.png"],
    ["bench", "longmemeval", "--json", "{blocked}/r.json"],
    ["bench", "multihop", "--report", "{blocked}/report"],
], ids=lambda a: "-".join(a[:2] + [a[2].lstrip("-")]))
def test_an_unwritable_output_fails_before_the_run(tmp_path, monkeypatch, args):
    # A file where a folder must be: the output can never be written. The run itself must not
    # start (it would take minutes): anything that loads the embedder or the data fails loudly.
    blocked = tmp_path / "blocked"
    blocked.write_text("a file, not a folder")
    import asem.providers.onnx_minilm as onnx

    monkeypatch.setattr(onnx, "MiniLMEmbedder", lambda *a, **k: pytest.fail("the run started"))
    result = run(*[a.format(blocked=blocked) for a in args])
    assert_one_line_error(result, f"{args[2]}: cannot create the folder")


def test_an_output_without_write_permission_is_refused(tmp_path, monkeypatch):
    from asem.cli.output import check_writable

    monkeypatch.setattr("os.access", lambda path, mode: False)
    with pytest.raises(InvalidInputError, match="--json: cannot write to .*permission denied"):
        check_writable("--json", tmp_path / "out" / "r.json")
    assert (tmp_path / "out").is_dir()  # the folder is made; only the file is refused
    monkeypatch.undo()
    check_writable("--json", tmp_path / "out" / "r.json")
    assert not (tmp_path / "out" / "r.json").exists()  # checking writes nothing


def _interrupt(*args, **kwargs):
    raise KeyboardInterrupt


@pytest.mark.parametrize(("args", "said"), [
    (["bench", "locomo", "--json", "{tmp}/r.json"],
     "finished results are kept in {tmp}/r.cache.jsonl; run the same command again"),
    (["bench", "locomo"], "nothing was kept (with --json OUT"),
    (["bench", "multihop", "--json", "{tmp}/m.json"],
     "finished results are kept in {tmp}/m.cache.jsonl"),
    (["bench", "learn"], "interrupted: nothing was written"),
    (["bench", "manager", "--data", "none"], "interrupted: nothing was written"),
], ids=lambda a: "-".join(a) if isinstance(a, list) else "")
def test_ctrl_c_in_a_benchmark_says_what_was_kept(tmp_path, monkeypatch, args, said):
    import asem.providers.onnx_minilm as onnx
    from asem.eval import bench_locomo, bench_multihop
    from asem.eval import learn as experiment
    from asem.manager import bench as manager_bench

    for module, name in ((bench_locomo, "run"), (bench_multihop, "run"), (experiment, "run"),
                         (manager_bench, "compare")):
        monkeypatch.setattr(module, name, _interrupt)
    monkeypatch.setattr(onnx, "MiniLMEmbedder", HashEmbedder)
    data = tmp_path / "multihop_hipporag.json"
    data.write_text("[]")
    data.with_name("multihop_hipporag_corpus.json").write_text("[]")
    extra = ["--data", str(data)] if args[1] == "multihop" else []
    result = run(*[a.format(tmp=tmp_path) for a in args], *extra)
    assert result.exit_code == 130, result.output
    assert "Traceback" not in result.output
    assert said.format(tmp=tmp_path) in " ".join(result.stderr.split())


def test_ctrl_c_during_ingest_says_how_many_turns_are_stored(db_path, tmp_path, monkeypatch):
    chat = tmp_path / "chat.jsonl"
    chat.write_text("".join(json.dumps({"content": f"fact number {i}"}) + "\n"
                            for i in range(200)))

    def stop_after_one_batch(self, turns, *, progress=None, **kwargs):
        if progress:
            progress(64, len(turns))
        raise KeyboardInterrupt

    monkeypatch.setattr(Memory, "ingest", stop_after_one_batch)
    result = run("--db", str(db_path), "ingest", str(chat))
    assert result.exit_code == 130, result.output
    said = " ".join(result.stderr.split())
    assert "interrupted: the first 64 of 200 turns are stored" in said
    assert "Traceback" not in result.output
