"""Serving a memory over the network: REST (native and mem0-compatible), MCP and a web page.

Thin adapters over the ``Memory`` facade: routes check the caller's key, resolve the tenant
and call the facade; no memory logic lives here. Nothing in this package is imported by
``import asem``: FastAPI and uvicorn come with ``pip install 'asem[server]'``.
"""
