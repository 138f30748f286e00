"""Contract-suite cases for the tagged-sequence augmenters (multiaug.text.tagged): a small batch of
tagged sentences (BIO), several mentions per type so that mention replacement has others to draw."""

TAGGED = [
    (["John", "Smith", "lives", "in", "New", "York", "with", "his", "happy", "family", "."],
     ["B-PER", "I-PER", "O", "O", "B-LOC", "I-LOC", "O", "O", "O", "O", "O"]),
    (["Mary", "visited", "the", "beautiful", "old", "museum", "in", "Paris", "yesterday", "morning"],
     ["B-PER", "O", "O", "O", "O", "O", "O", "B-LOC", "O", "O"]),
    (["The", "company", "Acme", "Corporation", "quickly", "hired", "Bob", "Jones", "last", "week"],
     ["O", "O", "B-ORG", "I-ORG", "O", "O", "B-PER", "I-PER", "O", "O"]),
    (["Researchers", "at", "Globex", "measured", "the", "cold", "lake", "near", "Berlin", "daily"],
     ["O", "O", "B-ORG", "O", "O", "O", "O", "O", "B-LOC", "O"]),
    (["Anna", "Lee", "bought", "fresh", "bread", "at", "the", "Rome", "market", "early"],
     ["B-PER", "I-PER", "O", "O", "O", "O", "O", "B-LOC", "O", "O"]),
    (["Heavy", "rain", "delayed", "the", "Initech", "train", "to", "Madrid", "for", "hours"],
     ["O", "O", "O", "O", "B-ORG", "O", "O", "B-LOC", "O", "O"]),
]


def tagged_batch():
    return [(list(a), list(b)) for a, b in TAGGED]


_X = dict(x=tagged_batch)
CASES = {
    "label_wise_replacement": dict(params={"rate": 0.5}, **_X),
    "tagged_synonym_replacement": dict(params={"rate": 0.5}, **_X),
    "mention_replacement": dict(params={"rate": 0.9}, **_X),
    "segment_shuffle": dict(params={"rate": 0.8}, **_X),
    "tagged_random_swap": dict(params={"alpha": 0.2}, **_X),
    "tagged_random_deletion": dict(params={"alpha": 0.2}, **_X),
    "tagged_random_insertion": dict(params={"alpha": 0.2}, **_X),
    "tagged_char_noise": dict(params={"word_p": 0.5}, **_X),
}
