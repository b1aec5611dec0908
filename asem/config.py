"""Typed configuration. Nothing here reads the environment (the CLI does that).

Defaults are SPEC section 1, stage 4: k1 = 20, k2 = 5, k = 5, δ = 0.30, λ = 0.40,
α = 0.10, q0 = 0.50.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class WriteConfig:
    """Write-path settings."""

    k_links: int = 5
    """k: how many nearest notes a new note is linked to."""
    min_link_similarity: float = 0.30
    """Neighbours below this cosine similarity are not linked."""
    manager: str = "learned-attribute"
    """The write policy when Memory is given none: ``learned-attribute`` (the GRPO
    checkpoint trained with the same-attribute feature, shipped with the package, see
    docs/manager.md), ``learned`` (the checkpoint before it), ``rule`` (NOOP for
    near-duplicates, else ADD), ``always-add``, ``llm``, or the path of a retrained
    ``.npz``."""
    duplicate_similarity: float = 0.97
    """Cosine similarity of raw contents at or above which the rule manager says NOOP."""
    max_content_chars: int = 20_000
    """Longer inputs are refused with an error (split them first)."""
    embed_terms: bool = False
    """Also embed keywords and tags into e (useful when an LLM writes them; extractive
    keywords repeat the content, and embedding them lowered recall)."""
    batch_size: int = 256
    """Inputs enriched, embedded and committed together during bulk ingestion."""
    conflict_retries: int = 3
    """How many times a write is decided again, without locking, when another writer changed
    the notes it was decided on before it committed; the next try is decided holding the
    store's write lock, where nothing changes under it (see asem.write.pipeline)."""


@dataclass(frozen=True)
class ReadConfig:
    """Read-path settings (two-phase retrieval)."""

    k_candidates: int = 20
    """k1: size of the Phase A candidate pool from each recall channel."""
    k_final: int = 5
    """k2: how many hits a search returns by default."""
    min_similarity: float = 0.10
    """δ: dense candidates must have cosine similarity above this. SPEC stage 4 suggests
    0.30; with all-MiniLM-L6-v2 the evidence of an abstract, paraphrased question often has
    cosine 0.15–0.3 ("How many different doctors did I visit?" vs "diagnosed with chronic
    sinusitis by an ENT specialist"), and at 0.30 such a search's pool can hold no dense
    candidate at all. Together with ``lexical_confidence``, 0.10 raises LongMemEval_S
    session recall_all@5 from 0.885 to 0.914 and leaves LoCoMo recall@5 at 0.61
    (docs/results.md)."""
    lexical_weight: float = 0.60
    """Weight of the BM25 channel when fusing it with dense similarity in Phase A; 0 switches
    the channel off (it then adds no candidates either)."""
    lexical_confidence: float = 0.5
    """σ: when above 0, the BM25 weight of a search is scaled by min(1, c / σ), c being the
    share of the query's IDF mass that the best BM25 match holds (see
    asem.read.lexical). A pool of matches on one generic word ("life", "tips") then no
    longer outvotes the dense channel, while a match on the rare words a question names
    keeps the full weight. It costs each search two FTS5 lookups per query term; 0 leaves
    the weight as it is and skips them."""
    lexical_confidence_floor: float = 0.5
    """The scale of the BM25 weight never falls below this (with ``lexical_confidence``)."""
    lexical_postings: int | None = 40_000
    """The most postings (notes holding a query term, summed over the terms) the BM25
    ranking reads. BM25 scores every note that holds any query term, so its cost grows with
    the terms' document frequencies: a question of 20 words, several of them common, read
    150,000 postings in a tenant of 100,000 notes (130–170 ms). Over this budget the most
    common terms, whose IDF weighs least, are left out of the ranking (not of
    ``lexical_confidence``), the commonest first, while the rest hold more; the rarest term
    the tenant holds always stays. A tenant with fewer notes than this divided by the
    query's terms is never cut. None: no budget."""
    utility_weight: float = 0.40
    """λ: weight of z-scored utility against z-scored similarity in Phase B."""
    timeliness_weight: float = 0.05
    """Weight of recency of last use (or creation) in Phase B."""
    usage_weight: float = 0.05
    """Weight of log usage frequency in Phase B."""
    intent_utility: bool = True
    """Condition utility (and usage) on the query: replay each note's feedback with every
    update scaled by how similar its query was to this one, so what was learned for one
    question does not push the note up (or down) for unrelated ones (see asem.read.intent).
    Off: one global utility per note (q), as in SPEC stage 4. Without feedback both rank
    the same."""
    intent_similarity: float = 0.90
    """Query cosine similarity at or below which feedback does not transfer at all; it
    transfers fully at 1 and linearly in between (used with ``intent_utility``). On LoCoMo,
    questions closer than 0.9 share an evidence turn in about two pairs in five, at 0.8–0.85
    in one in five; lower thresholds let feedback on "When did Caroline go to the adoption
    meeting?" displace the answer to "When did Caroline apply to adoption agencies?"."""
    timeliness_half_life_days: float = 30.0
    """Recency halves every this many days."""
    context_weight: float = 0.50
    """β: how much a note's relevance rises with its best conversational neighbour's (the
    turns just before and after it in the same conversation, when said by someone else;
    SPEC stage 1's context). A reply rarely repeats the words of the question it answers;
    the turn it replies to often does. 0 switches it off (and leaves the neighbours out of
    the candidate pool)."""
    query_expansion: float = 0.60
    """Dense pseudo-relevance feedback for questions that count or sum ("How many doctors did
    I visit?", see ``asem.read.terms.asks_for_total``): the dense channel searches with
    q + this · (mean embedding of the ``expansion_notes`` nearest notes), renormalised. The
    evidence of such a question is spread over many notes on one topic, often worded far
    from the question ("my ENT specialist", "a follow-up with Dr. Lee"); the first hits name
    the topic in the haystack's own words and pull the others up. On LongMemEval_S it raises
    multi-session session recall_all@5 from 0.835 to 0.893 and leaves LoCoMo recall@5 at
    0.610 (docs/results.md). 0 searches with q alone."""
    expansion_notes: int = 3
    """How many of the nearest notes the expanded query averages (with ``query_expansion``)."""
    expand_all_queries: bool = False
    """Expand every query, not only those that count or sum. On LoCoMo this costs recall@5
    (0.610 → 0.602 at 0.6) and gains nothing on LongMemEval multi-session."""
    answer_share: float = 1.5
    """ρ: among the top 2k hits, a note whose text ends by asking (its last sentence ends
    with a question mark) hands the reply that follows it in the conversation (said by
    someone else) ρ·a of the score gap between them, a being the share of its words that
    ask, when the reply scores lower (see asem.read.answers). A question rarely holds its
    own answer; the reply does, often in other words. Chosen on LoCoMo conv-26/30/41 (with
    ``question_discount``); on all 10 conversations it raises turn recall@5 from 0.611 to
    0.643 and halves how often an asking turn ranks above the evidence that replies to it
    (0.48 → 0.25); LongMemEval (user turns only) and the multi-hop sets have no replies
    and are unchanged (docs/results.md). 0 switches it off."""
    question_discount: float = 0.6
    """γ: the asking note loses γ·a of that gap (with ``answer_share``)."""
    resolve_names: bool = True
    """Replace a name the question uses for a speaker ("Mel") by the label their turns carry
    ("Melanie"), as learned from how the speakers address each other (asem.read.aliases).
    On LoCoMo it learns Mel, Caro, Jo, Deb, Ev and Cal and no other name; 11 questions use
    one (docs/results.md)."""
    alias_min_uses: int = 2
    """A name must have addressed a speaker at least this often to stand for them."""
    alias_max_share: float = 0.25
    """... and the speaker said it, and it addressed anyone else, each at most this share as
    often (a nickname is said to someone, not by them, and not to everyone)."""
    date_weight: float = 1.0
    """How much a note rises in Phase B when its event time falls in a date or period the
    query names ("on 14.02.2024", "in March", "last winter"; see asem.read.when); the
    notes of that period also join the candidate pool (the ``k_candidates`` most similar).
    0 switches it off."""
    speaker_weight: float = 1.25
    """How much a note rises when a speaker the query names (a word of the query that is a
    speaker's label, "What are Marta's hobbies?") said it (see asem.read.speakers). A query
    that names no speaker of the tenant, or every one, is left as it is. Chosen on LoCoMo
    conv-26/30/41 with ``speaker_after_answers`` and ``speaker_asking_discount``: turn
    recall@5 0.701 at the earlier (0.5, neither); 0.5 0.721, 0.75 0.723, 1.0 0.728, 1.25
    0.734, 1.5 0.725 (temporal lower there); figures on every set in docs/results.md.
    0 switches it off."""
    speaker_after_answers: bool = True
    """Lift the named speaker's notes after answers over questions (``answer_share``), not
    in Phase B before it. Lifted first, the named speaker's reply already outranks the other
    speaker's question that asked for it, so the question hands it nothing, and keeps its
    place above the speaker's other notes; lifted after, the reply takes its share and then
    rises. On LoCoMo conv-26/30/41 at weight 0.5: turn recall@5 0.701 → 0.715, no category
    lower. False: the order before (Phase B)."""
    speaker_asking_discount: bool = True
    """A named speaker's note rises by ``speaker_weight`` · (1 − a), a being the share of
    its words that ask (``asem.read.answers.asking_share``): what a person asks ("What type
    of guitar do you play?") is about the one they ask, not about them. Needs
    ``speaker_after_answers`` (the shares are those of the notes answers over questions
    reads, the first 2k). On LoCoMo conv-26/30/41 at weight 1.0: turn recall@5 0.720 →
    0.728, multi-hop 0.371 → 0.382."""
    speaker_pool: int = 0
    """How many of the named speaker's notes most similar to the query join the candidate
    pool (with a query that names a speaker, see ``speaker_weight``); 0: none beyond those
    the channels find."""
    diversity_weight: float = 0.25
    """μ: each hit loses μ times how far its closest note among the hits above it lies past
    ``diversity_threshold`` in cosine (scaled to [0, 1]), so the top k cover distinct
    evidence rather than repeat one match (maximal marginal relevance, see
    asem.read.diverse). Chosen on LoCoMo conv-26/30/41 with ``speaker_weight`` 0.5: turn
    recall@5 / @10 0.700 / 0.789 off, 0.704 / 0.791 at (μ, τ) = (0.25, 0.7), no category
    lower; (0.5, 0.5) and above cost R@10, 2.0 costs R@5 too. 0 switches it off."""
    diversity_threshold: float = 0.7
    """τ: cosine similarity to a hit above it at or below which a note loses nothing (with
    ``diversity_weight``)."""
    thread_penalty: float = 0.0
    """π: each hit loses π for every hit above it from the same conversation (the thread of
    its turns), so evidence from other conversations gets places. 0 switches it off."""
    expand_links: bool = False
    """Add the 1-hop link neighbours of the top hits (for multi-hop questions)."""
    link_discount: float = 0.5
    """Score of an expanded neighbour relative to the hit it was reached from."""
    bridge_hops: bool = False
    """Search a second time from each of the first hits (for multi-hop questions): the
    query plus the hit's entities that the query does not name, so a note that answers the
    question's second step ("the country where the Bubye River is found" → Zimbabwe →
    Victoria Falls) is found through the entity that links it to the first (see
    asem.read.bridge)."""
    bridge_seeds: int = 3
    """How many of the first hits start a second search."""
    bridge_entities: int = 4
    """At most this many of a hit's entities (in the order the enricher found them) are added
    to the query for its second search."""


@dataclass(frozen=True)
class FeedbackConfig:
    """Feedback-path settings (non-parametric utility update)."""

    learning_rate: float = 0.10
    """α in q ← q + α(r − q)."""
    initial_utility: float = 0.50
    """q0: utility of a new note."""


@dataclass(frozen=True)
class GuardConfig:
    """Poisoning defence (``asem.guard``)."""

    quarantine: bool = True
    """Judge every new note with the injection detector and quarantine those it flags."""
    threshold: float | None = None
    """Calibrated score at or above which a note is quarantined (None: ``FLAG_BAR``, 0.5,
    the bar chosen in training). Trusted-only searches leave out notes at or above 0.5
    whatever this is."""
    quarantine_sources: tuple[str, ...] | None = (
        "assistant_said", "imported", "document", "tool_output")
    """The sources (``asem.guard.trust.Trust`` values) whose flagged notes are quarantined;
    None: every source. By default what the user said is judged (its score is kept) but not
    held back: a tenant's memory holds one user's words, so a planted instruction reaches it
    through what the agent reads (tool output, documents, web pages, imports) or repeats,
    while the user's own imperatives ("always answer in French") are preferences. On real
    conversations, quarantining the user's words too held back 2 % of LoCoMo's turns."""
    weights: str | None = None
    """A retrained detector's ``.npz`` (None: the one shipped with the package)."""


@dataclass(frozen=True)
class TenantSettings:
    """One tenant's own lifecycle and ranking settings; None keeps the memory-wide value."""

    max_notes: int | None = None
    """Capacity: live notes this tenant keeps; maintenance archives the rest."""
    max_tokens: int | None = None
    """Token budget: words of content this tenant's live notes hold at most."""
    short_term_days: float | None = None
    """How long a short-term note of this tenant lives unless used, restated or confirmed."""
    timeliness_weight: float | None = None
    """How strongly recency counts in this tenant's ranking (``ReadConfig.timeliness_weight``)."""


@dataclass(frozen=True)
class LifecycleConfig:
    """Memory over months (SPEC section 2, bounded memory; see ``asem.lifecycle``).

    Expiry and budgets are applied by maintenance (``Memory.maintain``, ``asem maintain``,
    the server's background loop), never on the ``add`` path; a search never returns an
    expired note even before maintenance has archived it.
    """

    short_term_days: float = 7.0
    """A short-term note expires this long after it was written, unless it is rewarded
    (positive feedback), restated or confirmed first, which makes it long-term."""
    max_notes: int | None = None
    """Capacity of every tenant in live notes (None: unbounded)."""
    max_tokens: int | None = None
    """Token budget of every tenant: words of content of its live notes (None: unbounded)."""
    information_weight: float = 1.0
    """Keep score: weight of how specific a note is among the tenant's notes (a percentile
    rank in [0, 1] of the rare words it holds; see ``asem.lifecycle.keep``)."""
    salience_weight: float = 1.0
    """Keep score: weight of salience, how likely the note is to be a later question's
    evidence as a model fitted on LongMemEval reads its z embedding and shape (a percentile
    rank in [0, 1]; ``asem.lifecycle.salience``); 0 leaves it out (and skips the model)."""
    utility_weight: float = 0.10
    """Keep score: weight of learned utility above q0, tanh((q − q0) / α): about 0.46 of it
    per rewarded use."""
    penalty_weight: float = 0.05
    """Keep score: weight of learned utility below q0. Small: a punished retrieval says its
    notes did not help that query, not that they help none."""
    usage_weight: float = 0.05
    """Keep score: weight of log(1 + feedback uses), against the tenant's most used note."""
    retrieval_weight: float = 0.20
    """Keep score: weight of log(1 + times a search returned the note, whatever the reward),
    against the most: what people ask about is asked about again."""
    recency_weight: float = 0.05
    """Keep score: weight of recency of last use (or writing), halving every
    ``recency_half_life_days``."""
    recency_half_life_days: float = 30.0
    fold_similarity: float | None = None
    """Consolidation: a note over the note count folds into its nearest kept note when their
    cosine (on e) is at least this, instead of leaving search (None, the default: archive
    only; see ``asem.lifecycle.consolidate``: on LoCoMo, folding at 0.5 kept more words but
    not more recall, the merged notes' embeddings being blurred)."""
    fold_exchanges: bool = True
    """Consolidation: a note over the note count that asks, or replies to a note that asked,
    folds into the other note of that exchange when it is kept (whatever their cosine), so
    the question a search finds and the answer it needs stay one note (see
    ``asem.lifecycle.consolidate``). Off: such a note is archived (or folded by
    ``fold_similarity``)."""
    fold_credit: float = 1.0
    """Consolidation: a note that took folded notes goes only when its keep score plus this
    times theirs is the lowest left (then with them): by default a merged note is worth the
    sum of the notes it holds (see ``asem.lifecycle.maintain``)."""
    fold_max_words: int = 150
    """Consolidation: a note that takes folded notes holds at most this many words."""
    background_interval_s: float | None = None
    """Run maintenance for every tenant in a background thread this often (None: only when
    asked: ``Memory.maintain``, ``asem maintain``, ``POST /v1/maintain``)."""
    tenants: Mapping[str, TenantSettings] = field(default_factory=dict)
    """Per-tenant settings, by user id."""

    def for_tenant(self, user_id: str) -> TenantSettings:
        """``user_id``'s settings with the memory-wide values filled in."""
        own = self.tenants.get(user_id, TenantSettings())
        return TenantSettings(
            max_notes=own.max_notes if own.max_notes is not None else self.max_notes,
            max_tokens=own.max_tokens if own.max_tokens is not None else self.max_tokens,
            short_term_days=(own.short_term_days if own.short_term_days is not None
                             else self.short_term_days),
            timeliness_weight=own.timeliness_weight)


@dataclass(frozen=True)
class MemoryConfig:
    """All settings of a memory."""

    write: WriteConfig = field(default_factory=WriteConfig)
    read: ReadConfig = field(default_factory=ReadConfig)
    feedback: FeedbackConfig = field(default_factory=FeedbackConfig)
    guard: GuardConfig = field(default_factory=GuardConfig)
    lifecycle: LifecycleConfig = field(default_factory=LifecycleConfig)
    busy_timeout_s: float = 5.0
    """How long a write waits for another process's lock before StoreLockedError."""
    index_cache_mb: float = 1024
    """Memory for users' vector indexes kept between searches (SQLite store); beyond it the
    least recently searched user's index is dropped (loaded again on its next search)."""


@dataclass(frozen=True)
class LLMConfig:
    """How the memory uses a language model, when one is given (SPEC stages 1, 3 and 4)."""

    batch_turns: int = 6
    """New notes enriched, linked and evolved by one call (consecutive notes of one user)."""
    max_neighbours: int = 6
    """Existing notes shown with a batch (the union of the new notes' k nearest, best first)."""
    max_attempts: int = 3
    """Calls that gave no usable reply before a job is marked failed (its note keeps the
    extractive enrichment); outages do not count: they leave the job pending."""
    lease_s: float = 900.0
    """A job claimed this long ago and never finished (its worker died) is claimed again."""
    answer_max_tokens: int = 160
    """Room for the answer agent's reply (cited note numbers and a short answer)."""
    max_outage_backoff_s: float = 60.0
    """Longest pause of the background worker while the provider is unreachable."""
    retry_attempts: int = 4
    """Requests per call on transient failures (timeouts, 429, 5xx), the first included."""
    retry_base_delay_s: float = 1.0
    """First backoff pause; it doubles per retry (a 429's Retry-After wins)."""
    worker_niceness: int = 10
    """CPU priority the background worker's thread lowers itself by (Linux ``nice``; threads
    an in-process model starts from it inherit it): ``add`` must not wait for a core while
    a local model computes on the same machine. 0 leaves it as it is."""
