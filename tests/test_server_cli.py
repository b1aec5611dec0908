"""``asem keys`` and ``asem serve``: keys on the command line, the refusals of serve, and
the real server as a subprocess (default embedder) that stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time

import httpx
import pytest

from asem import Memory
from asem.providers import HashEmbedder
from benchmarks.server_load import free_port, wait_ready
from tests.test_cli import ASEM_SCRIPT, CLEAN_ENV, assert_one_line_error, run


def keys_json(db, *args):
    result = run("--db", str(db), "--json", "keys", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_keys_create_list_revoke(tmp_path):
    db = tmp_path / "m.db"
    plain = run("--db", str(db), "keys", "create", "--user", "alice", "--name", "laptop")
    assert plain.exit_code == 0, plain.output
    raw = plain.stdout.strip()
    assert raw.startswith("asem_") and "shown once" in plain.stderr
    admin = keys_json(db, "create", "--admin")
    assert admin["admin"] and admin["user_id"] is None and admin["key"].startswith("asem_")
    listed = keys_json(db, "list")
    assert [(k["user_id"], k["name"], k["admin"]) for k in listed] == [
        ("alice", "laptop", False), (None, "", True)]
    assert raw not in run("--db", str(db), "keys", "list").stdout
    assert all("key" not in k for k in listed)  # the secret is never shown again
    revoked = keys_json(db, "revoke", listed[0]["id"])
    assert revoked["revoked_at"] is not None
    with Memory(db, embedder=HashEmbedder()) as memory:
        from asem.server.keys import StoreKeyRing

        ring = StoreKeyRing(memory.store)
        assert ring.principal(raw) is None and ring.principal(admin["key"]).admin


@pytest.mark.parametrize("name", ["create", "list", "revoke"])
def test_every_keys_command_and_option_has_help(name):
    import typer

    from asem.cli.app import app

    command = typer.main.get_command(app).commands["keys"].commands[name]  # type: ignore[attr-defined]
    assert command.help and run("keys", name, "--help").exit_code == 0
    assert all(getattr(p, "help", None) for p in command.params)


@pytest.mark.parametrize(("args", "fragment"), [
    (["keys", "create"], "either for one user"),
    (["keys", "create", "--user", "a", "--admin"], "not both"),
    (["keys", "revoke", "nope"], "no API key with id 'nope'"),
    (["serve", "--no-auth", "--host", "0.0.0.0"], "loopback only"),
])
def test_refusals_are_one_line_errors(tmp_path, args, fragment):
    assert_one_line_error(run("--db", str(tmp_path / "m.db"), *args), fragment)


def test_serve_without_the_server_extra_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # import uvicorn raises ImportError
    assert_one_line_error(run("--db", str(tmp_path / "m.db"), "serve"), "asem[server]")


def test_the_real_server_serves_http_and_stops_cleanly_on_sigterm(tmp_path):
    db = tmp_path / "served.db"
    env = {k: v for k, v in {**os.environ, **CLEAN_ENV}.items() if v is not None}
    made = subprocess.run([str(ASEM_SCRIPT), "--db", str(db), "--json", "keys", "create",
                           "--user", "alice"], capture_output=True, text=True, env=env,
                          timeout=120, check=True)
    key = json.loads(made.stdout)["key"]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([str(ASEM_SCRIPT), "--db", str(db), "serve", "--port", str(port),
                               "--log-level", "warning"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        wait_ready(url, server)
        headers = {"Authorization": f"Token {key}"}
        with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
            assert client.get("/v1/stats", headers={"Authorization": "Token x"}
                              ).status_code == 401
            added = client.post("/v1/notes", json={"text": "I adopted a dog named Buddy"})
            assert added.status_code == 201 and added.json()["results"][0]["op"] == "ADD"
            found = client.post("/v1/search", json={"query": "What is my dog called?"}).json()
            assert found["hits"][0]["note"]["content"] == "I adopted a dog named Buddy"
            assert client.get("/openapi.json").json()["info"]["title"] == "ASEM"
            page = client.get("/", headers={"Authorization": ""})  # the console, from the wheel
            assert page.status_code == 200 and "/console/console.js" in page.text
            assert client.get("/console/console.js").status_code == 200

        acknowledged: list[str] = []

        def write(n: int) -> None:
            try:
                r = httpx.post(f"{url}/v1/notes", headers=headers, timeout=60,
                               json={"text": f"Fact number {n}: my locker code is {n * 7}"})
            except httpx.TransportError:
                return  # not accepted before the shutdown: never acknowledged
            if r.status_code == 201:
                acknowledged.append(r.json()["results"][0]["note_id"])

        writers = [threading.Thread(target=write, args=(n,)) for n in range(6)]
        for w in writers:
            w.start()
        time.sleep(0.3)
        server.send_signal(signal.SIGTERM)
        for w in writers:
            w.join(90)
        assert server.wait(60) == 0, server.stderr.read() if server.stderr else ""
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    stderr = server.stderr.read() if server.stderr else ""
    assert "Traceback" not in stderr, stderr
    with Memory(db, embedder=HashEmbedder()) as memory:
        # every write the server acknowledged was committed before it closed the file
        assert {memory.get(i, user_id="alice").id for i in acknowledged} == set(acknowledged)
