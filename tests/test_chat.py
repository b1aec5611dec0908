"""Chat input: message dicts and chat files (JSON list, messages, sessions; JSONL)."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from asem import InvalidInputError, Message
from asem.chat import ChatTurn, load_chat_file, parse_timestamp, to_message


def test_message_fields_and_their_aliases():
    assert to_message({"speaker": "A", "content": "hi", "timestamp": "2023-05-08T13:56:00",
                       "turn_id": "D1:1"}) == Message("hi", "A", datetime(2023, 5, 8, 13, 56),
                                                      "D1:1")
    assert to_message({"role": "user", "text": "hi", "id": 3}) == Message("hi", "user", None,
                                                                          "3")
    assert to_message({"name": "Bo", "content": "hi", "dia_id": "D2:4", "time": None}) \
        == Message("hi", "Bo", None, "D2:4")
    message = Message("as is")
    assert to_message(message) is message


@pytest.mark.parametrize(("text", "expected"), [
    ("2023-05-08T13:56:00", datetime(2023, 5, 8, 13, 56)),
    ("2023-05-08 13:56", datetime(2023, 5, 8, 13, 56)),
    ("1:56 pm on 8 May, 2023", datetime(2023, 5, 8, 13, 56)),
    ("", None),
    (None, None),
])
def test_timestamps_in_iso_or_plain_english(text, expected):
    assert parse_timestamp(text) == expected


@pytest.mark.parametrize("bad", ["not a date at all, really", 12345, ["2023"]])
def test_a_bad_timestamp_is_refused(bad):
    with pytest.raises(InvalidInputError):
        parse_timestamp(bad)


def test_a_json_list_of_messages(tmp_path):
    path = tmp_path / "chat.json"
    path.write_text(json.dumps([{"speaker": "A", "content": "one"},
                                {"speaker": "B", "content": "two", "turn_id": "t2"}]))
    # A message without an id gets its place in the file.
    assert load_chat_file(path) == [ChatTurn(Message("one", "A", None, "chat.json#1")),
                                    ChatTurn(Message("two", "B", None, "t2"))]


def test_a_json_object_with_messages(tmp_path):
    path = tmp_path / "chat.json"
    path.write_text(json.dumps({"messages": [{"role": "user", "content": "hello"}]}))
    assert load_chat_file(path) == [ChatTurn(Message("hello", "user", None, "chat.json#1"))]


def test_sessions_give_their_id_and_default_timestamp(tmp_path):
    path = tmp_path / "chat.json"
    path.write_text(json.dumps({"sessions": [
        {"id": "s1", "timestamp": "1:56 pm on 8 May, 2023", "messages": [
            {"speaker": "A", "content": "one"},
            {"speaker": "B", "content": "two", "timestamp": "2023-06-01T10:00:00"}]},
        {"messages": [{"speaker": "A", "content": "three"}]},
    ]}))
    turns = load_chat_file(path)
    assert [(t.session_id, t.message.content, t.message.timestamp) for t in turns] == [
        ("s1", "one", datetime(2023, 5, 8, 13, 56)),
        ("s1", "two", datetime(2023, 6, 1, 10, 0)),
        ("session_2", "three", None),
    ]


def test_jsonl_one_message_per_line_with_blank_lines(tmp_path):
    path = tmp_path / "chat.jsonl"
    path.write_text('{"speaker": "A", "content": "one", "session_id": "s9"}\n\n'
                    '{"speaker": "B", "content": "two"}\n', encoding="utf-8")
    assert load_chat_file(path) == [ChatTurn(Message("one", "A", None, "chat.jsonl#1"), "s9"),
                                    ChatTurn(Message("two", "B", None, "chat.jsonl#2"))]


def test_a_utf8_bom_is_accepted(tmp_path):
    path = tmp_path / "chat.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps([{"content": "caf\u00e9"}]).encode())
    assert load_chat_file(path)[0].message.content == "café"


@pytest.mark.parametrize(("name", "data", "message"), [
    ("chat.json", b"[{\"content\": \"ok\"},", "not valid JSON (line 1"),
    ("chat.jsonl", b"{\"content\": \"ok\"}\n{oops}\n", "line 2 is not valid JSON"),
    ("chat.json", b"\xff\xfe\x00garbage", "not UTF-8"),
    ("chat.json", b"[]", "holds no messages"),
    ("chat.jsonl", b"\n\n", "holds no messages"),
    ("chat.json", b"{\"sessions\": [{\"id\": \"s1\"}]}", "session 1 needs a 'messages' list"),
    ("chat.json", b"{\"turns\": []}", "must hold a list of messages"),
    ("chat.json", b"[{\"speaker\": \"A\"}]", "message 1 has no 'content'"),
    ("chat.jsonl", b"[1, 2]\n", "line 1 must be an object"),
])
def test_a_bad_file_names_the_bad_spot(tmp_path, name, data, message):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(InvalidInputError, match=message.replace("(", r"\(")):
        load_chat_file(path)


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(InvalidInputError, match="cannot read"):
        load_chat_file(tmp_path / "nope.json")


def test_a_chat_file_ingests_with_sessions_as_provenance(memory, tmp_path):
    path = tmp_path / "chat.json"
    path.write_text(json.dumps({"sessions": [
        {"id": "s1", "timestamp": "2023-05-08T13:56:00", "messages": [
            {"speaker": "Caroline", "content": "I went to a support group yesterday",
             "dia_id": "D1:1"}]}]}))
    (result,) = memory.ingest(load_chat_file(path), user_id="u")
    note = memory.get(result.note_id, user_id="u")
    assert note.provenance.source_id == "s1" and note.provenance.turn_ids == ("D1:1",)
    assert note.speaker == "Caroline" and note.event_time == datetime(2023, 5, 7)


def test_an_aware_iso_timestamp_is_stored_as_utc(memory):
    message = {"content": "Dinner at the harbour", "timestamp": "2023-05-08T13:56:00+02:00"}
    (r,) = memory.add([message], user_id="u")
    assert memory.get(r.note_id, user_id="u").observed_at == datetime(2023, 5, 8, 11, 56)
