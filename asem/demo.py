"""`make demo` / `python -m asem.demo`: the main job on the embedded default, end to end.

Remembers a short conversation in a fresh SQLite file, searches it, gives feedback, and
shows how the feedback moved the note's utility. No API key, no server, no download.
"""
