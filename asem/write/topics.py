"""The small topic vocabulary the extractive enricher tags notes with.

A note gets a tag when one of the tag's cue words (or its plural) occurs in the text.
"""

from __future__ import annotations

import re

TOPICS: dict[str, frozenset[str]] = {
    topic: frozenset(words.split())
    for topic, words in {
        "family": "family kid kids child children son daughter mom mum mother dad father "
                  "parent parents brother sister sibling husband wife grandma grandpa "
                  "grandmother grandfather baby aunt uncle cousin niece nephew adoption",
        "relationships": "friend friends friendship partner boyfriend girlfriend date dating "
                         "relationship love wedding married marriage breakup",
        "work": "work job career boss office coworker colleague company business project "
                "promotion interview client startup employer salary",
        "education": "school class course study studies studying university college degree "
                     "teacher student exam homework research learn learning certification",
        "health": "health doctor hospital sick illness injury therapy therapist medicine "
                  "diet sleep pain surgery mental anxiety stress recovery",
        "fitness": "run running marathon gym workout yoga exercise hike hiking swim swimming "
                   "cycling bike race training sport sports team football soccer basketball",
        "travel": "travel trip vacation holiday flight beach country city abroad visit "
                  "visited tour camping camp road",
        "pets": "pet pets dog dogs puppy cat cats kitten bird fish horse turtle",
        "food": "food cook cooking recipe dinner lunch breakfast restaurant bake baking "
                "cake meal coffee pizza",
        "music": "music song songs guitar piano violin concert band sing singing album "
                 "instrument",
        "art": "art paint painting painted drawing draw artist pottery sculpture photo "
               "photography gallery museum craft",
        "books": "book books read reading novel author library poem poetry writing write",
        "games": "game games gaming video board chess play playing",
        "home": "home house apartment garden gardening move moved moving neighborhood room",
        "money": "money budget savings invest investment buy bought price rent loan",
        "community": "community volunteer volunteering charity support group event events "
                     "activist activism rights pride lgbtq church",
        "identity": "identity transgender gay lesbian queer trans gender culture religion",
        "emotions": "happy sad excited proud grateful scared nervous lonely angry feel "
                    "feeling feelings",
        "nature": "nature outdoors park forest mountain mountains lake river ocean sunset "
                  "sunrise flowers",
        "technology": "computer software app code coding programming python phone tech "
                      "internet website robot ai",
    }.items()
}

_WORD = re.compile(r"[a-z]+")


def tags_for(text: str) -> tuple[str, ...]:
    """Topics whose cue words occur in ``text``, in vocabulary order."""
    words = set(_WORD.findall(text.lower()))
    words |= {w[:-1] for w in words if w.endswith("s")}
    return tuple(topic for topic, cues in TOPICS.items() if words & cues)
