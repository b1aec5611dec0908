"""Templates of facts about a person and the things in their life.

Every phrasing list ends with phrasings kept for held-out evaluation (``HELD_OUT_PHRASINGS``
from the end of each list), and two slots are never used in training at all
(``HELD_OUT_SLOTS``). ``{v}`` is the value, ``{old}`` the value it replaces.
"""

from __future__ import annotations

from dataclasses import dataclass

from asem.eval import correctness_data as correctness

HELD_OUT_PHRASINGS = 1
HELD_OUT_SLOTS = ("instrument", "employer")
HELD_OUT_EPISODES = 3
"""The last this many episode frames are for held-out evaluation only."""


@dataclass(frozen=True)
class Slot:
    name: str
    kind: str
    """``list`` (values accumulate), ``single`` (a new value replaces the old) or
    ``activity`` (single, and may be retracted)."""
    values: tuple[str, ...]
    probes: tuple[str, ...]
    novel: tuple[str, ...]
    more: tuple[str, ...] = ()
    """Complementary facts (list slots)."""
    change: tuple[str, ...] = ()
    """Changed facts (single slots)."""
    retract: tuple[str, ...] = ()
    """Retractions (activity slots)."""
    para: tuple[str, ...] = ()
    """Restatements of a known value (nothing new: NOOP); news about it is an episode."""
    about: str = "{v}"
    """How an episode names the slot's value ("my dog {v}"); empty: no episode names it."""


NAMES_DOG = ("Buddy", "Scout", "Max", "Luna", "Daisy", "Rocky", "Biscuit", "Pepper", "Milo")
NAMES_CAT = ("Whiskers", "Oliver", "Cleo", "Simba", "Nala", "Tiger", "Mochi", "Salem")
NAMES_KID = ("Emma", "Noah", "Olivia", "Liam", "Ava", "Lucas", "Mia", "Ethan")
NAMES_PARTNER = ("Jordan", "Taylor", "Alex", "Morgan", "Casey", "Jamie", "Riley", "Sam")

SLOTS: tuple[Slot, ...] = (
    Slot("dog", "list", NAMES_DOG,
         ("What are the names of my dogs?", "What are my dogs called?"),
         ("I adopted a dog named {v}.", "We got a puppy and named her {v}.",
          "I have a dog called {v}.", "My family took in a rescue dog, {v}."),
         more=("I adopted another dog named {v}.", "We also got a second dog, {v}.",
               "There is one more dog at home now: {v}.",
               "{v} is the newest dog in our family.", "I added another pup, {v}, too."),
         para=("{v} is my dog.", "My dog is called {v}.", "I have a dog, {v}.",
               "Yes, {v} is our dog."),
         about="my dog {v}"),
    Slot("cat", "list", NAMES_CAT,
         ("What are the names of my cats?", "What are my cats called?"),
         ("I have a cat named {v}.", "We adopted a kitten called {v}.",
          "My cat {v} sleeps all day.", "I rescued a cat, {v}."),
         more=("We adopted another cat named {v}.", "I also have a second cat, {v}.",
               "One more cat joined us: {v}.", "{v} is our second cat.",
               "Another kitten, {v}, moved in too."),
         para=("{v} is my cat.", "My cat is called {v}.", "I do have a cat named {v}.",
               "Yes, {v} is our cat."),
         about="my cat {v}"),
    Slot("kid", "list", NAMES_KID,
         ("What are the names of my children?", "What are my kids called?"),
         ("My daughter {v} just started school.", "I have a son named {v}.",
          "Our first child, {v}, was born in spring.", "My kid {v} loves dinosaurs."),
         more=("We had another baby, named {v}.", "I also have a younger child, {v}.",
               "Our second child {v} arrived last week.", "{v} is our youngest child.",
               "Another little one, {v}, joined us."),
         para=("{v} is my child.", "My kid's name is {v}.", "I am the parent of {v}.",
               "Yes, {v} is my kid."),
         about="my kid {v}"),
    Slot("language", "list", ("Spanish", "French", "German", "Italian", "Japanese", "Portuguese",
                              "Korean", "Mandarin"),
         ("Which languages do I speak?", "What languages can I speak?"),
         ("I speak {v}.", "I am fluent in {v}.", "I learned {v} as a child.",
          "I can hold a conversation in {v}."),
         more=("I also speak {v} now.", "I learned another language, {v}.",
               "I picked up {v} as well.", "{v} is a language I learned too.",
               "{v} is another language I speak."),
         para=("I can speak {v}.", "{v} is a language I know.", "I know how to speak {v}.",
               "Yes, I speak {v}."),
         about="my {v} tutor"),
    Slot("city", "single", ("Boston", "Denver", "Seattle", "Austin", "Chicago", "Portland",
                            "Atlanta", "Phoenix"),
         ("Which city do I live in?", "Where do I live?"),
         ("I live in {v}.", "My home is in {v}.", "I have lived in {v} for years.",
          "Home for me is {v}."),
         change=("I moved from {old} to {v}.", "We relocated to {v} last month.",
                 "I live in {v} now.", "{v} is home now; I left {old}.",
                 "These days my home is {v}, not {old}."),
         para=("I am based in {v}.", "{v} is where I live.", "I reside in {v}.",
               "Yes, I live in {v}."),
         about="old friends from {v}"),
    Slot("job", "single", ("nurse", "teacher", "chef", "architect", "pharmacist",
                           "photographer", "accountant", "electrician"),
         ("What is my job?", "What do I do for work?"),
         ("I work as a {v}.", "My job is being a {v}.", "I am a {v} by profession.",
          "I earn my living as a {v}."),
         change=("I changed careers and now work as a {v}.", "I switched jobs; I am a {v} now.",
                 "I became a {v} this year instead of a {old}.",
                 "Now I'm working as a {v}.", "New job: I'm a {v} now."),
         para=("I'm a {v}.", "My work is as a {v}.", "By trade I am a {v}.",
               "Yes, I work as a {v}."),
         about="two other {v}s"),
    Slot("car", "single", ("Honda Civic", "Toyota Corolla", "Ford Focus", "Tesla Model 3",
                           "Subaru Outback", "Mazda CX-5", "Volkswagen Golf"),
         ("What car do I drive?", "Which car do I have?"),
         ("I drive a {v}.", "My car is a {v}.", "I bought a {v} a while ago.",
          "I get around in my {v}."),
         change=("I sold my {old} and bought a {v}.", "I drive a {v} now.",
                 "I switched to a {v} instead.", "{v} is what I drive now.",
                 "My new car is a {v}."),
         para=("My car is a {v}.", "The car I drive is a {v}.", "I own a {v}.",
               "Yes, I drive a {v}."),
         about="my {v}"),
    Slot("partner", "single", NAMES_PARTNER,
         ("What is my partner's name?", "Who am I dating?"),
         ("My partner's name is {v}.", "I am dating {v}.", "I have been seeing {v}.",
          "{v} is my partner."),
         change=("{old} and I split; I am dating {v} now.", "My new partner is {v}.",
                 "I am with {v} now, not {old}.", "{v} is my partner now; {old} and I broke up.",
                 "These days I am seeing {v}."),
         para=("I'm with {v}.", "{v} and I are together.", "My partner is {v}.",
               "Yes, {v} is my partner."),
         about="{v}"),
    Slot("group", "activity", ("support group", "book club", "choir", "pottery class",
                               "chess club", "running club"),
         ("What group do I go to every week?", "Which weekly group do I attend?"),
         ("I go to a {v} every week.", "Every Tuesday I attend my {v}.",
          "I joined a {v} that meets weekly.", "I never miss my weekly {v}."),
         retract=("I stopped going to the {old}.", "I quit the {old}.",
                  "I no longer attend the {old}.", "I gave up on the {old}."),
         para=("I attend a {v} weekly.", "Each week I go to my {v}.", "I am a member of a {v}.",
               "Yes, I still go to the {v}."),
         about="people from my {v}"),
    Slot("sport", "activity", ("tennis", "soccer", "basketball", "volleyball", "badminton",
                               "golf"),
         ("What sport do I play?", "Which sport do I play?"),
         ("I play {v} on weekends.", "I am on a {v} team.", "I play {v} twice a week.",
          "{v} is my sport; I play it a lot."),
         retract=("I stopped playing {old}.", "I quit {old} after my injury.",
                  "I don't play {old} anymore.", "I gave up {old} this year."),
         para=("I play {v}.", "{v} is the sport I play.", "I'm a {v} player.",
               "Yes, I still play {v}."),
         about="my {v} team"),
    Slot("class", "activity", ("yoga class", "dance class", "cooking class", "painting class",
                               "swimming lesson"),
         ("What class do I take?", "Which class am I taking?"),
         ("I take a {v} on Mondays.", "I signed up for a {v}.", "I go to a {v} after work.",
          "I am enrolled in a {v}."),
         retract=("I dropped out of the {old}.", "I am not taking the {old} any more.",
                  "I cancelled my {old}.", "I'm done with the {old}."),
         para=("I'm taking a {v}.", "I attend a {v}.", "My {v} is on Mondays.",
               "Yes, I still take the {v}."),
         about="people from my {v}"),
    Slot("volunteering", "activity", ("animal shelter", "food bank", "community garden",
                                      "homeless shelter", "hospital"),
         ("Where do I volunteer?", "Where do I do volunteer work?"),
         ("I volunteer at the {v}.", "I help out at the {v} every Sunday.",
          "I started volunteering at the {v}.", "Weekends I volunteer at a {v}."),
         retract=("I stopped volunteering at the {old}.", "I left the {old} for good.",
                  "I no longer help at the {old}.", "I walked away from the {old}."),
         para=("I do volunteer work at the {v}.", "The {v} is where I volunteer.",
               "I'm a volunteer at the {v}.", "Yes, I still volunteer at the {v}."),
         about="volunteers from the {v}"),
    Slot("instrument", "list", ("piano", "guitar", "violin", "cello", "drums", "flute"),
         ("Which instruments do I play?", "What instruments do I play?"),
         ("I play the {v}.", "I have played the {v} since school.",
          "I am learning the {v}."),
         more=("I also started learning the {v}.", "I picked up the {v} as well.",
               "Another instrument I play is the {v}."),
         para=("The {v} is my instrument.", "I know how to play the {v}.", "Yes, I play the {v}."),
         about="my {v} teacher"),
    Slot("employer", "single", ("Acme Corp", "Globex", "Initech", "Umbrella Labs", "Vandelay",
                                "Stark Industries"),
         ("Which company do I work for?", "Where am I employed?"),
         ("I work at {v}.", "My employer is {v}.", "I have a job at {v}."),
         change=("I left {old} and joined {v}.", "I work for {v} now.",
                 "I started working at {v} instead of {old}."),
         para=("{v} is my employer.", "I am employed at {v}.", "Yes, I work at {v}."),
         about="coworkers from {v}"),
)

TRAINING_ONLY_SLOTS = ("allergy", "collection")
"""List slots with lower-case values, in training streams only (test streams stay as they
were): values are not always capitalised names, nor always inside the sentence."""
SLOTS += (
    Slot("allergy", "list", ("peanuts", "shellfish", "pollen", "gluten", "penicillin", "latex",
                             "dust mites", "bee stings"),
         ("What am I allergic to?", "Which allergies do I have?"),
         ("I am allergic to {v}.", "I have an allergy to {v}.", "{v} gives me a rash.",
          "My doctor found out I react to {v}.", "I can't be near {v}."),
         more=("I am also allergic to {v}.", "{v} is another thing I react to.",
               "Turns out {v} sets off my allergies too.", "one more allergy: {v}.",
               "I found a second allergy, {v}."),
         para=("I'm allergic to {v}.", "{v} is one of my allergies.", "I react badly to {v}.",
               "Right, {v} is something I can't have.", "I do have the {v} allergy."),
         about="a friend who is also allergic to {v}"),
    Slot("collection", "list", ("stamps", "coins", "vinyl records", "comic books", "seashells",
                                "postcards", "trading cards"),
         ("What do I collect?", "Which things do I collect?"),
         ("I collect {v}.", "I have a big collection of {v}.", "{v} are what I collect.",
          "I started collecting {v} years ago.", "my hobby is collecting {v}."),
         more=("I also collect {v} now.", "{v} are my newest collection.",
               "I started another collection: {v}.", "Lately I collect {v} as well.",
               "my second collection is {v}."),
         para=("I am a collector of {v}.", "{v} are my collection.", "I keep collecting {v}.",
               "Indeed, I collect {v}.", "My {v} collection is still growing."),
         about="friends who also collect {v}"),
)

AFFIRMATIONS = ("Right, ", "True, ", "Indeed, ", "Exactly, ", "Sure, ", "Yep, ", "Yeah, ")
"""Openers of a restatement in training streams ("Right, I live in Boston."); the held-out
paraphrases open with "Yes, ", which training never uses."""

CORRECTIVES = ("Actually, ", "Oh wait, ", "Sorry, ", "No, ", "To be precise, ", "Correction: ")
"""Openers of a training correction said with no change word ("Actually, I work as a
paramedic." of "I work as a nurse."), and of some training restatements too ("Actually, I
live in Boston." of "I live in Boston."): the opener alone says nothing, the value does."""

CHITCHAT = (
    "Haha, that's so funny!", "Thanks for asking!", "Good morning!", "That sounds lovely.",
    "Oh wow, really?", "Talk to you later!", "Cool, thanks.", "Yeah, I guess so.",
    "Have a great weekend!", "Hmm, let me think.", "Okay, sounds good.", "That's awesome!",
    "Lol, totally.", "Nice, I agree.", "Hey, how are you?", "Sure, no problem.",
    "Bye for now!", "That's interesting.", "Great, thank you so much!", "Hope you're well!",
    "Sounds fun!", "Oh nice, congrats!", "Yep, exactly.", "Wow, amazing!",
)
CHITCHAT_HELD_OUT = 6
"""The last this many chit-chat lines are for held-out evaluation only."""

EPISODES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("I went hiking at {d} with {a} last weekend.", "Where did I go hiking last weekend?",
     ("Mount Hood", "Bear Lake", "Pine Ridge", "Eagle Peak", "Cedar Falls")),
    ("I bought a {d} yesterday, mostly because of {a}.", "What did I buy yesterday?",
     ("bicycle", "camera", "telescope", "sewing machine", "kayak")),
    ("We had a picnic at {d} with {a}.", "Where did we have a picnic?",
     ("Riverside Park", "the botanical garden", "the old harbour", "Maple Hill")),
    ("For my birthday {a} gave me a {d}.", "What did I get for my birthday?",
     ("watch", "scarf", "record player", "board game", "plant")),
    ("I baked a {d} cake to celebrate with {a}.", "What cake did I bake to celebrate?",
     ("lemon", "carrot", "chocolate", "banana", "cheese")),
    ("I took {a} to a {d} concert on Friday.", "What concert did I go to on Friday?",
     ("jazz", "reggae", "opera", "country", "punk")),
    ("I painted a {d} and showed it to {a}.", "What did I paint?",
     ("sunset", "lighthouse", "sailboat", "forest", "portrait")),
    ("I went to a {d} workshop and told {a} all about it.", "What workshop did I go to?",
     ("pottery", "photography", "woodworking", "calligraphy", "beekeeping")),
    ("I ran into {a} at the {d} this morning.", "Where was I this morning?",
     ("farmers market", "library", "train station", "dentist", "gym")),
    ("I am planning a trip to {d} with {a} next month.", "Where am I travelling next month?",
     ("Lisbon", "Kyoto", "Oslo", "Nairobi", "Montreal")),
)
"""Episodes: something that happened, mentioning a known value ({a}) and a detail ({d}).

The canonical decision is ADD: a new event deserves its own note even though it names a
thing another note is about (merging it would bury it in that note). Each episode gets a
detail question, asked until the stream ends."""

CHATTY = ("Oh, by the way, ", "Haha yes! ", "Thanks! Also, ", "Guess what: ", "Well, ",
          "Funny you ask. ", "Hey! ", "Honestly, ", "Oh nice! ", "You know what? ")
"""Openers that make a fact turn sound like conversation (the last two: held out)."""
CHATTY_HELD_OUT = 2


def _from_correctness() -> tuple[tuple[Slot, ...], tuple[tuple[str, str, tuple[str, ...]], ...]]:
    """Training-only slots and dated events made from the correctness benchmark's training
    split (``asem.eval.correctness_data``): its families held out there, its held-out
    wordings and the slots held out here (``HELD_OUT_SLOTS``) are never used.

    Slots: one's favourite food (it changes), the places one visited (a list), and facts of
    another person named in the stream (``{p}``: a PIN, an allergy, a birthday, a drink, a
    job), which never change: unrelated facts of one person, each a note of its own. Dated
    events: (said, question, values), ``{v}`` a value and ``{d}`` (``{D}`` capitalised) a
    date of ``DATES`` to fill ("I read {v} {d}.", "When did I read {v}?"); two of one
    frame are two events, not one."""
    c = correctness

    def said(a: c.Attribute, options: tuple[str, ...], kind: str) -> tuple[str, ...]:
        return c.train_wordings(options) if kind not in a.held_out else ()

    slots = []
    for a in c.SELF + c.OTHERS:
        if a.name in HELD_OUT_SLOTS or not said(a, a.state, "atomic"):
            continue
        change = said(a, a.change, "change")
        if a.name == "food" and change:
            kind = "single"
        elif a.name == "visit":
            kind = "list"
        elif a.name.startswith("person-") and "unrelated-same-person" not in a.held_out:
            kind, change = "single", ()
        else:
            continue
        state = said(a, a.state, "atomic")
        slots.append(Slot(a.name, kind, a.values, (a.probe, a.probe), state,
                          more=said(a, a.more, "same-list"), change=change, para=state,
                          about=""))
    events = tuple((w, a.probe, a.values) for a in c.EVENTS if "event" not in a.held_out
                   for w in c.train_wordings(a.state))
    return tuple(slots), events


CORRECTNESS_SLOTS, DATED_EVENTS = _from_correctness()
DATES = correctness.DATES
"""The dates a dated event is said with ("last month", "two days ago")."""
PEOPLE = ("Bob", "Alice", "Priya", "Marco", "Chen", "Fatima", "Jonas", "Lena")
"""Who ``{p}`` is in a training stream (one person a stream)."""
SLOTS += CORRECTNESS_SLOTS
TRAINING_ONLY_SLOTS += tuple(s.name for s in CORRECTNESS_SLOTS)
