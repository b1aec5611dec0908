"""``/v1/search``, ``/v1/answer``, ``/v1/feedback`` and ``/v1/stats``: the read and feedback
paths."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from asem.errors import NotConfiguredError
from asem.memory import Memory
from asem.server.auth import Principal
from asem.server.rest.models import (
    AnswerRequest,
    AnswerResponse,
    FeedbackRequest,
    FeedbackResponse,
    SearchRequest,
    SearchResponse,
    UtilityOut,
)
from asem.server.state import memory_of, principal

router = APIRouter(tags=["memory"])

Mem = Annotated[Memory, Depends(memory_of)]
Caller = Annotated[Principal, Depends(principal)]


@router.post("/search", response_model=SearchResponse)
def search(body: SearchRequest, memory: Mem, caller: Caller) -> SearchResponse:
    """The notes most useful for a query in the tenant's scope, with a retrieval id to give
    feedback on. Facts that changed come as they are now; ``as_of`` gives what held at a
    time, ``include_superseded`` past facts too (``superseded`` marks them). Quarantined
    notes come only with ``include_quarantined``; ``min_trust`` / ``trust`` keep to trusted
    sources."""
    result = memory.search(body.query, user_id=caller.tenant(body.user_id),
                           agent_id=body.agent_id, session_id=body.session_id, k=body.k,
                           filters=body.filters.to_filters() if body.filters else None,
                           expand_links=body.expand_links, as_of=body.as_of,
                           include_superseded=body.include_superseded,
                           min_trust=body.min_trust, trust=body.trust,
                           include_quarantined=body.include_quarantined)
    return SearchResponse.of(result)


@router.post("/answer", response_model=AnswerResponse,
             responses={409: {"description": "The server has no language model."}})
def answer(body: AnswerRequest, memory: Mem, caller: Caller) -> AnswerResponse:
    """Answer a question from memory with the server's language model (409 without one)."""
    tenant = caller.tenant(body.user_id)
    if memory.llm is None:
        raise NotConfiguredError("this server has no language model to answer with; start "
                                 "it with --llm, or search and answer on the client")
    found = memory.answer(body.question, user_id=tenant, agent_id=body.agent_id,
                          session_id=body.session_id, k=body.k,
                          filters=body.filters.to_filters() if body.filters else None)
    return AnswerResponse.of(found)


@router.post("/feedback", response_model=FeedbackResponse)
def feedback(body: FeedbackRequest, memory: Mem, caller: Caller) -> FeedbackResponse:
    """Report how useful a retrieval was (reward in [-1, 1]): its notes' utilities move
    towards the reward."""
    result = memory.feedback(body.retrieval_id, body.reward, body.note_ids,
                             user_id=caller.tenant(body.user_id), episode=body.episode)
    return FeedbackResponse(retrieval_id=result.retrieval_id, reward=result.reward,
                            utilities={i: UtilityOut(old=old, new=new)
                                       for i, (old, new) in result.utilities.items()},
                            experience_id=result.experience_id, promoted=list(result.promoted))


@router.get("/stats")
def stats(memory: Mem, caller: Caller,
          user_id: Annotated[str | None, Query(description="The tenant (the key's own when "
                                               "omitted).")] = None) -> dict[str, Any]:
    """Counts of the tenant's notes, links, retrievals and feedback; under ``lifecycle``
    its short-term, expired, archived and forgotten notes, the latest maintenance, and the
    notes' age and utility distributions."""
    found = memory.stats(caller.tenant(user_id))
    found.pop("path", None)  # where the server keeps its file is none of a tenant's business
    return found
