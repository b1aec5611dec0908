"""``asem mcp``: serve the memory to an MCP host (Claude Desktop, Cursor, ...) over stdio."""

from __future__ import annotations

import typer

from asem.cli.context import opened, settings
from asem.errors import ASEMError
from asem.types import Scope


def mcp(ctx: typer.Context) -> None:
    """Serve this memory to an MCP host over stdin and stdout, for one user (--user, --agent).

    The host starts the command itself: add {"command": "asem", "args": ["--db", "PATH",
    "--user", "ID", "mcp"]} under "mcpServers" in its configuration. The agent gets the tools
    search_memory, add_memory, get_memory, update_memory, delete_memory, memory_history and
    give_feedback, and answer with --llm. Stdout carries only the protocol; logs go to stderr.
    The command ends when the host closes stdin. Needs the MCP SDK, which comes with the
    'server' extra of asem.
    """
    try:
        from asem.server.mcp import serve_stdio
    except ImportError as e:
        raise ASEMError("asem mcp needs the MCP SDK: pip install 'asem[server]'") from e
    options = settings(ctx)
    scope = Scope(options.user, options.agent)
    with opened(ctx) as memory:
        if memory.llm is not None:
            # A server runs as long as the host: LLM jobs run in the background meanwhile.
            memory.use_llm(memory.llm, background=True)
        serve_stdio(memory, scope)
