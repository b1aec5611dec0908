"""What the injection detector reads of a text: its content embedding (z, computed by the
write path anyway) and features of the text's shape that hold in any language.

The embedding carries meaning but the default MiniLM embedder knows English best, so the
shape features carry the rest:

- hashed character n-grams (3 and 4), a bag the classifier learns weights for (names,
  verbs and markers in any script, without a list of words);
- who the text speaks to and of: the share of second- and first-person pronouns, whether
  it names an AI addressee, and whether it speaks of "the user" in the third person, as a
  text written *to* an agent does and a person speaking of themselves never does (closed
  classes, in English, German, Spanish, French, Italian and Portuguese);
- how far it reaches: the share of universal quantifiers and frequency adverbs ("always",
  "every", "never"), the mark of a standing rule rather than a one-off event;
- how a planted rule is built: conditional conjunctions (a trigger: "when asked ...", "if
  the phrase appears ..."), substitution adverbs (a redirection: "instead", "actually",
  "from now on"), nouns of the agent's own dialogue (answers, questions, messages,
  sessions, instructions: a text that regulates a conversation speaks of them), claims of
  authority (rule, policy, override, operator, verified) and secrecy ("quietly", "do not
  reveal"), each a closed class in the six languages;
- the marks of a tool or chat protocol: a role label opening a line ("SYSTEM:",
  "[tool]"), special tokens (``<|...|>``, ``[INST]``), braces, arrows, links;
- quotation (a person quoting what they were told), shouting (capitals, "!"), length.
"""

from __future__ import annotations

import math
import re
import zlib

import numpy as np

NGRAM_BUCKETS = 1024
SHAPE_NAMES = (
    "second_person", "first_person", "addressee", "role_label", "special_token", "braces",
    "arrow", "link", "quoted", "capitals", "exclaim", "colon", "lines", "length",
    "names_user", "universal", "conditional", "substitution", "dialogue", "names_dialogue",
    "authority", "secrecy",
)
SHAPE_DIM = len(SHAPE_NAMES)

_WORD = re.compile(r"\w+", re.UNICODE)
_SECOND = frozenset(
    "you your yours yourself du dich dir dein deine deinen deiner ihr euch euer sie ihnen "
    "tú tu te ti tus usted ustedes vosotros os vuestro vous toi ton ta tes votre vos "
    "tuo tua tuoi tue voi vostro você vocês teu tua teus".split())
"""Second-person pronouns and possessives (a closed class). "Sie"/"sie" and "tu" are
ambiguous; the classifier weighs the share, not any one word."""
_FIRST = frozenset(
    "i me my mine myself we us our ich mich mir mein meine meinen wir uns unser yo mí mi mis "
    "me nosotros nos nuestro je j moi mon ma mes nous notre nos io mio mia miei noi "
    "nostro eu meu minha nós".split())
_ADDRESSEE = frozenset(
    "assistant assistants ai bot chatbot model llm agent system gpt ki assistent modell "
    "asistente ia modelo agente sistema modèle agent système assistente modello "
    "sistema".split())
"""Names for the AI a text may address (a closed class of addressees, not instructions)."""
_USER = frozenset(
    "user users nutzer nutzerin nutzers benutzer benutzerin usuario usuaria usuarios "
    "utilisateur utilisatrice utilisateurs utente utenti utilizador utilizadora usuário "
    "usuária".split())
"""Names for the person an agent serves, as a text written to the agent speaks of them."""
_UNIVERSAL = frozenset(
    "always never every each whenever forever anyone anything immer nie niemals stets jede "
    "jeder jedes jedem jeden jedesmal siempre nunca jamás cada cualquier cualquiera toujours "
    "jamais chaque quiconque sempre mai ogni qualsiasi qualunque nunca cada qualquer".split())
"""Universal quantifiers and frequency adverbs (a closed class)."""
_CONDITIONAL = frozenset(
    "if when whenever once after unless should wenn falls sobald sollte nachdem si cuando "
    "siempre quand lorsque dès lorsqu se quando qualora caso".split())
"""Conditional and temporal conjunctions (a closed class): the trigger of a standing rule."""
_SUBSTITUTION = frozenset(
    "instead actually now rather henceforth stattdessen eigentlich jetzt künftig ab ahora "
    "realmente vez lugar désormais maintenant plutôt fait invece ora adesso poi agora "
    "verdade".split())
"""Adverbs of substitution and change (a closed class): "X is actually Y", "instead",
"from now on"."""
_DIALOGUE = frozenset(
    "answer answers answered reply replies response responses respond question questions "
    "query queries request requests conversation conversations chat chats session sessions "
    "message messages prompt prompts instruction instructions output input "
    "antwort antworten antwortest frage fragen anfrage anfragen gespräch gespräche sitzung "
    "sitzungen nachricht nachrichten anweisung anweisungen ausgabe eingabe "
    "respuesta respuestas responde responder pregunta preguntas consulta consultas petición "
    "peticiones conversación conversaciones sesión sesiones mensaje mensajes instrucción "
    "instrucciones salida entrada "
    "réponse réponses réponds répondre requête requêtes demande demandes discussion "
    "consigne consignes sortie entrée "
    "risposta risposte rispondi rispondere domanda domande richiesta richieste "
    "conversazione conversazioni sessione sessioni messaggio messaggi istruzione istruzioni "
    "uscita "
    "resposta respostas pergunta perguntas pedido pedidos conversa conversas sessão sessões "
    "mensagem mensagens instrução instruções saída".split())
"""Nouns and verbs of an agent's own dialogue: a text that regulates the conversation
speaks of its answers, questions and messages."""
_AUTHORITY = frozenset(
    "rule rules policy override overrides priority mandatory official authorised authorized "
    "authoritative administrator admin operator developer developers directive verified "
    "permanent permanently "
    "regel regeln richtlinie vorrang pflicht offiziell autorisiert betreiber entwickler "
    "geprüft dauerhaft "
    "regla reglas política prioridad obligatoria oficial autorizado administrador operador "
    "desarrolladores directiva verificado permanente "
    "règle règles politique priorité obligatoire officiel autorisé administrateur opérateur "
    "développeurs vérifié "
    "regola regole priorità obbligatoria ufficiale autorizzato amministratore operatore "
    "sviluppatori direttiva verificato "
    "regra regras prioridade obrigatória programadores diretiva".split())
"""Words that claim authority over the reader (a closed class of rule and role nouns)."""
_SECRECY = frozenset(
    "quietly secretly silently hidden hide reveal admit unnoticed heimlich unauffällig "
    "verrate verstecken verschweige silencio secreto oculta ocultas revela reveles admitas "
    "discrètement secrètement cacher révèle silenzio nascosto nascondi rivelare segredo "
    "escondido silêncio".split())
"""Words that ask for concealment (a closed class)."""
_ROLE_LABEL = re.compile(r"(?m)^\s*[\[<(#*]*\s*[A-Za-z_]{2,16}\s*[\]>)]*\s*:")
_SPECIAL = re.compile(r"<\|[^|>]{1,20}\|>|\[/?INST\]|<</?SYS>>|</?(system|tool|assistant)>",
                      re.IGNORECASE)
_QUOTE = re.compile("[\"“”„«»‘’‚]")


def ngram_vector(text: str) -> np.ndarray:
    """Hashed character 3- and 4-grams of the text folded to lower case, L2-normalised."""
    folded = " " + " ".join(text.lower().split()) + " "
    vector = np.zeros(NGRAM_BUCKETS, dtype=np.float32)
    for n in (3, 4):
        for i in range(len(folded) - n + 1):
            vector[zlib.crc32(folded[i:i + n].encode("utf-8")) % NGRAM_BUCKETS] += 1.0
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


def shape_vector(text: str) -> np.ndarray:
    """The shape features in ``SHAPE_NAMES`` order (each roughly in [0, 1])."""
    words = _WORD.findall(text.lower())
    n = max(len(words), 1)
    letters = [c for c in text if c.isalpha()]

    def share(words_of: frozenset[str]) -> float:
        return sum(w in words_of for w in words) / n * 5

    return np.array([
        share(_SECOND),
        share(_FIRST),
        float(any(w in _ADDRESSEE for w in words)),
        float(bool(_ROLE_LABEL.search(text))),
        float(bool(_SPECIAL.search(text))),
        min(text.count("{") + text.count("}"), 4) / 4,
        float("->" in text or "→" in text or "=>" in text),
        float("http://" in text or "https://" in text or "www." in text),
        min(len(_QUOTE.findall(text)), 2) / 2,
        sum(c.isupper() for c in letters) / max(len(letters), 1),
        min(text.count("!"), 3) / 3,
        min(text.count(":"), 4) / 4,
        min(text.count("\n"), 4) / 4,
        math.log1p(len(text)) / 8,
        float(any(w in _USER for w in words)),
        share(_UNIVERSAL),
        share(_CONDITIONAL),
        share(_SUBSTITUTION),
        share(_DIALOGUE),
        float(any(w in _DIALOGUE for w in words)),
        share(_AUTHORITY),
        float(any(w in _SECRECY for w in words)),
    ], dtype=np.float32)


def features(text: str, intent: np.ndarray) -> np.ndarray:
    """The detector's input: [z embedding, n-gram bag, shape features]."""
    return np.concatenate([np.asarray(intent, dtype=np.float32), ngram_vector(text),
                           shape_vector(text)])
