"""Templates of facts about a person and the things in their life.

Every phrasing list ends with phrasings kept for held-out evaluation (``HELD_OUT_PHRASINGS``
from the end of each list), and two slots are never used in training at all
(``HELD_OUT_SLOTS``). ``{v}`` is the value, ``{old}`` the value it replaces.
"""

from __future__ import annotations

from dataclasses import dataclass

HELD_OUT_PHRASINGS = 1
HELD_OUT_SLOTS = ("instrument", "employer")


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
    """Paraphrases of a known value."""


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
               "There is one more dog at home now: {v}.", "I added another pup, {v}, too."),
         para=("My dog {v} loves the beach.", "{v} is such a good dog.",
               "{v}, my dog, had a bath today.", "Walked {v} the dog this morning.")),
    Slot("cat", "list", NAMES_CAT,
         ("What are the names of my cats?", "What are my cats called?"),
         ("I have a cat named {v}.", "We adopted a kitten called {v}.",
          "My cat {v} sleeps all day.", "I rescued a cat, {v}."),
         more=("We adopted another cat named {v}.", "I also have a second cat, {v}.",
               "One more cat joined us: {v}.", "Another kitten, {v}, moved in too."),
         para=("{v} the cat knocked over a glass.", "My cat {v} is purring.",
               "{v}, my cat, is at the vet.", "Fed my cat {v} early today.")),
    Slot("kid", "list", NAMES_KID,
         ("What are the names of my children?", "What are my kids called?"),
         ("My daughter {v} just started school.", "I have a son named {v}.",
          "Our first child, {v}, was born in spring.", "My kid {v} loves dinosaurs."),
         more=("We had another baby, named {v}.", "I also have a younger child, {v}.",
               "Our second child {v} arrived last week.", "Another little one, {v}, joined us."),
         para=("{v} drew me a picture today.", "My child {v} lost a tooth.",
               "{v} had a school play.", "Took {v} to the park.")),
    Slot("language", "list", ("Spanish", "French", "German", "Italian", "Japanese", "Portuguese",
                              "Korean", "Mandarin"),
         ("Which languages do I speak?", "What languages can I speak?"),
         ("I speak {v}.", "I am fluent in {v}.", "I learned {v} as a child.",
          "I can hold a conversation in {v}."),
         more=("I also speak {v} now.", "I learned another language, {v}.",
               "I picked up {v} as well.", "{v} is another language I speak."),
         para=("I practised my {v} today.", "Spoke {v} with a neighbour.",
               "My {v} is getting better.", "Watched a film in {v}.")),
    Slot("city", "single", ("Boston", "Denver", "Seattle", "Austin", "Chicago", "Portland",
                            "Atlanta", "Phoenix"),
         ("Which city do I live in?", "Where do I live?"),
         ("I live in {v}.", "My home is in {v}.", "I have lived in {v} for years.",
          "Home for me is {v}."),
         change=("I moved from {old} to {v}.", "We relocated to {v} last month.",
                 "I live in {v} now.", "These days my home is {v}, not {old}."),
         para=("{v} is a great city to live in.", "The weather in {v} is nice at home.",
               "I love my neighbourhood in {v}.", "Living in {v} suits me.")),
    Slot("job", "single", ("nurse", "teacher", "chef", "architect", "pharmacist",
                           "photographer", "accountant", "electrician"),
         ("What is my job?", "What do I do for work?"),
         ("I work as a {v}.", "My job is being a {v}.", "I am a {v} by profession.",
          "I earn my living as a {v}."),
         change=("I changed careers and now work as a {v}.", "I switched jobs; I am a {v} now.",
                 "I became a {v} this year instead of a {old}.", "New job: I'm a {v} now."),
         para=("Work as a {v} was busy today.", "Being a {v} is tiring.",
               "Another long shift as a {v}.", "I like my work as a {v}.")),
    Slot("car", "single", ("Honda Civic", "Toyota Corolla", "Ford Focus", "Tesla Model 3",
                           "Subaru Outback", "Mazda CX-5", "Volkswagen Golf"),
         ("What car do I drive?", "Which car do I have?"),
         ("I drive a {v}.", "My car is a {v}.", "I bought a {v} a while ago.",
          "I get around in my {v}."),
         change=("I sold my {old} and bought a {v}.", "I drive a {v} now.",
                 "I switched to a {v} instead.", "My new car is a {v}."),
         para=("My {v} needs an oil change.", "Washed the {v} today.",
               "The {v} is running well.", "Parked my {v} downtown.")),
    Slot("partner", "single", NAMES_PARTNER,
         ("What is my partner's name?", "Who am I dating?"),
         ("My partner's name is {v}.", "I am dating {v}.", "I have been seeing {v}.",
          "{v} is my partner."),
         change=("{old} and I split; I am dating {v} now.", "My new partner is {v}.",
                 "I am with {v} now, not {old}.", "These days I am seeing {v}."),
         para=("{v} and I went to dinner.", "My partner {v} cooked tonight.",
               "{v} surprised me with flowers.", "Watched a film with {v}.")),
    Slot("group", "activity", ("support group", "book club", "choir", "pottery class",
                               "chess club", "running club"),
         ("What group do I go to every week?", "Which weekly group do I attend?"),
         ("I go to a {v} every week.", "Every Tuesday I attend my {v}.",
          "I joined a {v} that meets weekly.", "I never miss my weekly {v}."),
         retract=("I stopped going to the {old}.", "I quit the {old}.",
                  "I no longer attend the {old}.", "I gave up on the {old}."),
         para=("The {v} was fun this week.", "Met new people at the {v}.",
               "Had a good session at my {v}.", "My {v} met again today.")),
    Slot("sport", "activity", ("tennis", "soccer", "basketball", "volleyball", "badminton",
                               "golf"),
         ("What sport do I play?", "Which sport do I play?"),
         ("I play {v} on weekends.", "I am on a {v} team.", "I play {v} twice a week.",
          "{v} is my sport; I play it a lot."),
         retract=("I stopped playing {old}.", "I quit {old} after my injury.",
                  "I don't play {old} anymore.", "I gave up {old} this year."),
         para=("Played {v} with friends.", "Our {v} game went well.",
               "I won at {v} today.", "Practised {v} after work.")),
    Slot("instrument", "list", ("piano", "guitar", "violin", "cello", "drums", "flute"),
         ("Which instruments do I play?", "What instruments do I play?"),
         ("I play the {v}.", "I have played the {v} since school.",
          "I am learning the {v}."),
         more=("I also started learning the {v}.", "I picked up the {v} as well.",
               "Another instrument I play is the {v}."),
         para=("Practised the {v} for an hour.", "My {v} needs tuning.",
               "Played the {v} at a party.")),
    Slot("employer", "single", ("Acme Corp", "Globex", "Initech", "Umbrella Labs", "Vandelay",
                                "Stark Industries"),
         ("Which company do I work for?", "Where am I employed?"),
         ("I work at {v}.", "My employer is {v}.", "I have a job at {v}."),
         change=("I left {old} and joined {v}.", "I work for {v} now.",
                 "I started working at {v} instead of {old}."),
         para=("Busy day at {v}.", "{v} had a team lunch.", "Long meeting at {v} today.")),
)

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
