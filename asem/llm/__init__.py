"""Language-model providers behind one small protocol, and structured calls over them.

>>> from asem.llm import ScriptedLLM, UsageMeter, ask, ChatMessage
>>> from pydantic import BaseModel
>>> class Reply(BaseModel):
...     answer: str
>>> llm = ScriptedLLM(['```json\\n{"answer": "Buddy"}\\n```'])
>>> ask(llm, [ChatMessage("user", "dog's name?")], Reply, meter=UsageMeter(), max_tokens=20)
Reply(answer='Buddy')
"""

from asem.llm.base import (
    LLM,
    ChatMessage,
    Completion,
    LLMError,
    LLMOutputError,
    TransientLLMError,
)
from asem.llm.fake import ScriptedLLM
from asem.llm.registry import resolve_llm
from asem.llm.retry import RetryPolicy
from asem.llm.structured import ask
from asem.llm.usage import Usage, UsageMeter

__all__ = ["LLM", "ChatMessage", "Completion", "LLMError", "LLMOutputError", "RetryPolicy",
           "ScriptedLLM", "TransientLLMError", "Usage", "UsageMeter", "ask", "resolve_llm"]
