"""SOP search: typed words in, the SOP the user meant out."""

from __future__ import annotations

import random
from difflib import SequenceMatcher

import pytest

from bot.core.model import Sop, Step
from bot.core.search import (
    MAX_QUERY_WORDS,
    MIN_TYPO_LENGTH,
    TYPO_CUTOFF,
    Hit,
    SearchIndex,
    _at_least,
    _bits,
    _common_length,
    _letters,
    _positions,
    clear_winner,
    closest_titles,
    search,
)


def make_sop(slug: str, title: str, steps: list[tuple[str, str]], tags: tuple[str, ...] = ()):
    return Sop(
        slug=slug,
        title=title,
        tags=tags,
        steps=tuple(Step(number=n, title=t, body=b) for n, (t, b) in enumerate(steps, start=1)),
    )


SOPS = [
    make_sop(
        "refund-request",
        "Handle a refund request",
        [
            ("Find the order", "Look the order up in the admin panel."),
            ("Issue the refund", "Click Refund and confirm the amount."),
        ],
        tags=("billing", "support"),
    ),
    make_sop(
        "customer-inquiry",
        "Answer a customer inquiry",
        [
            ("Read the question", "Check the customer's history first."),
            ("Reply", "Answer within one business day."),
        ],
        tags=("support",),
    ),
    make_sop(
        "outsourced-work",
        "Hand off outsourced work",
        [
            ("Write the brief", "Describe the deliverable and the deadline."),
            ("Send the contract", "Use the freelancer template in Drive."),
        ],
        tags=("vendors", "contractor"),
    ),
    make_sop(
        "new-hire-onboarding",
        "Onboard a new hire",
        [
            ("Create accounts", "Set up email and a laptop before day one."),
            ("Schedule the welcome lunch", "Book a table for the team."),
        ],
        tags=("hr", "people"),
    ),
    make_sop(
        "password-reset",
        "Reset a customer's password",
        [
            ("Verify identity", "Ask for the last four digits of the card on file."),
            ("Send the reset link", "Never read a password out loud."),
        ],
        tags=("security", "support"),
    ),
]


@pytest.fixture(scope="module")
def index() -> SearchIndex:
    return SearchIndex(SOPS)


@pytest.mark.parametrize(
    ("query", "top", "winner"),
    [
        ("refund", "refund-request", True),
        ("refnud", "refund-request", True),
        ("Refund", "refund-request", True),
        ("request refund", "refund-request", True),
        ("how do I handle refunds?", "refund-request", True),
        ("refund-request", "refund-request", True),
        ("  Handle a refund request  ", "refund-request", True),
        ("pasword reset", "password-reset", True),
        ("reset password", "password-reset", True),
        ("onboarding", "new-hire-onboarding", True),
        ("new hire", "new-hire-onboarding", True),
        ("outsourcd work", "outsourced-work", True),
        ("inquiry", "customer-inquiry", True),
        ("contractor", "outsourced-work", True),
        ("freelancer", "outsourced-work", True),
        ("customer", None, False),
    ],
)
def test_query_finds_the_expected_sop(index, query, top, winner):
    hits = index.search(query)

    if top is not None:
        assert hits[0].slug == top
    assert (clear_winner(hits) is not None) is winner
    if winner:
        assert clear_winner(hits) == hits[0]


def test_customer_is_ambiguous_between_the_two_titles_that_mention_customers(index):
    hits = index.search("customer")

    assert {hit.slug for hit in hits[:2]} == {"customer-inquiry", "password-reset"}
    assert clear_winner(hits) is None


def test_search_function_is_the_index_search():
    assert search("refund", SOPS) == SearchIndex(SOPS).search("refund")


def test_tag_only_match_is_found(index):
    hits = index.search("billing")

    assert [hit.slug for hit in hits] == ["refund-request"]
    assert hits[0].score < 1.0


def test_step_text_only_match_ranks_below_a_title_match(index):
    # "refund" is in the refund SOP's title; "amount" only in its step body.
    title_hit = index.search("refund")[0]
    body_hit = index.search("amount")[0]

    assert body_hit.slug == "refund-request"
    assert body_hit.score < title_hit.score
    assert body_hit.score < 0.6


def test_step_text_ranks_below_step_title_below_tag_below_title():
    def one(slug, title="Unrelated", tags=(), step_title="Other", body="Nothing here."):
        return make_sop(slug, title, [(step_title, body)], tags=tags)

    sops = [
        one("in-body", body="Escalate to a lead."),
        one("in-step-title", step_title="Escalate"),
        one("in-tag", tags=("escalate",)),
        one("in-title", title="Escalate a ticket"),
    ]

    hits = search("escalate", sops)

    assert [hit.slug for hit in hits] == ["in-title", "in-tag", "in-step-title", "in-body"]


def test_exact_title_beats_a_longer_title_with_the_same_words():
    sops = [
        make_sop("escalation", "Refund request escalation", [("Call", "Call the lead.")]),
        make_sop("plain", "Refund request", [("Do it", "Refund it.")]),
    ]

    hits = search("refund request", sops)

    assert [hit.slug for hit in hits] == ["plain", "escalation"]
    assert hits[0].score == 1.0
    assert clear_winner(hits) == hits[0]


def test_results_are_limited_and_sorted(index):
    hits = index.search("support", limit=2)

    assert len(hits) == 2
    assert hits[0].score >= hits[1].score


def test_stopwords_alone_find_nothing(index):
    assert index.search("how do I do the") == []


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   \n\t ",
        "<!channel>",
        "<@U12345> <#C999|general>",
        "🎉🔥💯",
        ":tada: :fire:",
        "x" * 5000,
        "zq " * 2000,
        "\x00\x01\x02",
        "日本語のテキスト",
    ],
)
def test_garbage_returns_nothing(index, query):
    assert index.search(query) == []


def test_long_pasted_text_is_cut_to_its_first_words(index):
    head = "please help with a refund request for a customer order lorem ipsum dolor sit"
    assert len(set(head.split())) > MAX_QUERY_WORDS
    text = head + " lorem ipsum dolor sit amet adipiscing elit" * 1000

    hits = index.search(text)
    # Every query word counts, so the pasted noise weakens the match but cannot make search
    # slow: only the first MAX_QUERY_WORDS words are looked up (how fast: bench/, not here).
    assert hits == index.search(head)
    assert hits[0].slug == "refund-request"
    assert clear_winner(hits) == hits[0]


def test_every_query_word_counts(index):
    assert index.search("refund")[0].score > index.search("refund dinosaur")[0].score


# --- clear winner -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scores", "winner"),
    [
        ([], None),
        ([0.35], 0),  # the only hit, however weak
        ([0.9, 0.5], 0),  # ahead by 1.8x
        ([0.9, 0.7], None),  # ahead by less than 1.5x
        ([0.5, 0.3], None),  # ahead, but too weak
        ([1.0, 0.97], 0),  # exact title or slug
        ([1.0, 1.0], None),  # two exact titles
    ],
)
def test_clear_winner_rule(scores, winner):
    hits = [Hit(slug=f"s{i}", title=f"S{i}", score=s) for i, s in enumerate(scores)]

    assert clear_winner(hits) == (hits[winner] if winner is not None else None)


# --- closest titles -----------------------------------------------------------------------


def test_closest_titles_suggest_something_for_a_near_miss():
    titles = closest_titles("paswordreset", SOPS)

    assert titles[0] == "Reset a customer's password"


def test_closest_titles_include_weak_matches_below_the_threshold():
    assert search("laptop dinosaur", SOPS) == []

    assert closest_titles("laptop dinosaur", SOPS) == ["Onboard a new hire"]


def test_closest_titles_are_limited():
    assert len(closest_titles("support customer refund", SOPS, limit=2)) == 2


@pytest.mark.parametrize("query", ["", "<!channel>", "🎉", "the"])
def test_closest_titles_of_nothing_is_nothing(query):
    assert closest_titles(query, SOPS) == []


# --- speed --------------------------------------------------------------------------------


def _big_library(count: int = 300, steps: int = 10) -> list[Sop]:
    rng = random.Random(7)
    syllables = ["ka", "lo", "mi", "ner", "sto", "pa", "rin", "de", "vu", "tor", "al", "bek"]
    vocabulary = sorted({"".join(rng.choices(syllables, k=rng.randint(2, 4))) for _ in range(3000)})

    def sentence(n: int) -> str:
        return " ".join(rng.choices(vocabulary, k=n)) + "."

    return [
        make_sop(
            f"sop-{i}",
            sentence(4),
            [(sentence(4), sentence(30)) for _ in range(steps)],
            tags=tuple(rng.choices(vocabulary, k=3)),
        )
        for i in range(count)
    ] + SOPS


@pytest.mark.parametrize("query", ["refund", "refnud", "request refund", "customer reset pasword"])
def test_a_300_sop_library_still_finds_the_right_sop(query):
    # Speed is measured by bench/ (never asserted here: a busy machine must not fail tests).
    hits = SearchIndex(_big_library()).search(query)
    assert hits and hits[0].slug in {"refund-request", "password-reset"}
    assert search(query, _big_library())[0].slug == hits[0].slug


def test_the_early_skip_drops_no_term_difflib_would_accept_as_a_typo():
    rng = random.Random(7)
    letters = "abcdeeiilnorsstu"
    words = ["".join(rng.choice(letters) for _ in range(rng.randint(4, 9))) for _ in range(400)]
    index = SearchIndex([make_sop("s", "Words", [("Step", " ".join(words))])])
    vocabulary = [term for terms in index._by_length.values() for term, _ in terms]
    for word in words[:150]:
        accepted = {
            term
            for term in vocabulary
            if abs(len(term) - len(word)) <= 1
            and SequenceMatcher(a=term, b=word, autojunk=False).ratio() >= TYPO_CUTOFF
        }
        assert accepted <= set(index._similar(word)), word


def test_the_best_few_are_the_head_of_the_whole_ranking():
    # search and closest_titles stop early once nothing left can reach the best `limit`;
    # with a limit as large as the library nothing is skipped, so the two must agree.
    library = _big_library(count=120, steps=3)
    index = SearchIndex(library)
    rng = random.Random(11)
    titles = [sop.title.rstrip(".") for sop in library]
    queries = [
        *(rng.choice(titles) for _ in range(15)),
        *("".join(rng.choice(titles).split()[:2]) for _ in range(15)),  # words run together
        *(rng.choice(titles).split()[0][:-1] for _ in range(10)),  # a word with a letter off
        "refund",
        "pasword reset",
    ]
    whole = len(library)
    for query in queries:
        assert index.search(query, limit=3) == index.search(query, limit=whole)[:3], query
        assert index.closest_titles(query) == index.closest_titles(query, limit=whole)[:3], query


def _longest_common_subsequence(a: str, b: str) -> int:
    row = [0] * (len(b) + 1)
    for char in a:
        diagonal = 0
        for j, other in enumerate(b, start=1):
            diagonal, row[j] = row[j], diagonal + 1 if char == other else max(row[j], row[j - 1])
    return row[-1]


def test_common_length_is_the_longest_common_subsequence_and_bounds_difflib():
    rng = random.Random(5)
    for _ in range(3000):
        a = "".join(rng.choices("abcdeeilnorst0", k=rng.randint(0, 30)))
        b = "".join(rng.choices("abcdeeilnorst0", k=rng.randint(1, 70)))
        common = _common_length(a, _positions(b), len(b))
        assert common == _longest_common_subsequence(a, b), (a, b)
        blocks = SequenceMatcher(a=a, b=b, autojunk=False).get_matching_blocks()
        assert sum(block.size for block in blocks) <= common, (a, b)


def test_the_common_length_bound_changes_no_result(monkeypatch):
    # With the bound made as loose as it can be (the shorter length), every candidate gets
    # difflib's ratio: the brute-force answer, which the bounded search must equal.
    library = _big_library(count=200, steps=3)
    bounded, brute = SearchIndex(library), SearchIndex(library)
    rng = random.Random(13)
    titles = [sop.title.rstrip(".") for sop in library]
    queries = [
        *(rng.choice(titles) for _ in range(20)),
        *("".join(rng.choice(titles).split()[:2]) for _ in range(20)),  # words run together
        *("".join(rng.choice(titles).split()[1:3])[1:] for _ in range(20)),  # and cut
        *(rng.choice(titles).split()[0][:-1] + "x" for _ in range(20)),  # a letter off
        *(" ".join(rng.choice(titles).split()[0][::-1] for _ in range(2)) for _ in range(20)),
        "refnud",
        "pasword reset",
        "paswordreset",
        "nothing like any of these",
    ]
    found = [(bounded.search(q, limit=8), bounded.closest_titles(q)) for q in queries]
    monkeypatch.setattr(
        "bot.core.search._common_length", lambda word, positions, size: min(len(word), size)
    )
    assert [(brute.search(q, limit=8), brute.closest_titles(q)) for q in queries] == found


def test_a_miss_scores_its_words_once_for_search_and_did_you_mean(monkeypatch):
    index, fresh = SearchIndex(_big_library(count=50)), SearchIndex(_big_library(count=50))
    scored = []
    real = SearchIndex._score_words
    monkeypatch.setattr(
        SearchIndex, "_score_words", lambda self, terms: scored.append(terms) or real(self, terms)
    )
    assert index.search("paswordreset") == []
    assert index.closest_titles("paswordreset") == ["Reset a customer's password"]
    assert len(scored) == 1
    # Remembered for the last words only, and never in place of other words' scores.
    for query in ("refund", "paswordreset", "customer refund", "refund", "laptop dinosaur"):
        assert index.closest_titles(query) == fresh.closest_titles(query)
        assert index.search(query) == SearchIndex(_big_library(count=50)).search(query)


def test_at_least_counts_every_bit_as_one_by_one_counting_would():
    rng = random.Random(3)
    for _ in range(2000):
        size, count = rng.randint(1, 200), rng.randint(0, 14)
        masks = [rng.getrandbits(size) & rng.getrandbits(size) for _ in range(count)]
        need = rng.randint(-1, count + 1)
        expected = sum(1 << bit for bit in range(size) if sum(m >> bit & 1 for m in masks) >= need)
        assert _at_least(masks, need, (1 << size) - 1) == expected, (size, masks, need)
    assert _bits(0b1010010) == [1, 4, 6] and _bits(0) == []


def test_typo_candidates_are_the_terms_the_letter_bound_lets_through():
    index = SearchIndex(_big_library(count=120, steps=3))
    rng = random.Random(17)
    vocabulary = [term for terms in index._by_length.values() for term, _ in terms]
    words = [
        *rng.sample(vocabulary, 80),
        *("".join(rng.sample(w, len(w))) for w in vocabulary[:80]),
    ]
    for word in (w for w in words if len(w) >= MIN_TYPO_LENGTH):
        mine = _letters(word)
        for length in range(len(word) - 1, len(word) + 2):
            most = TYPO_CUTOFF * (len(word) + length) / 2
            expected = [
                at
                for at, (_, letters) in enumerate(index._by_length.get(length, []))
                if len(word) - (mine & ~letters).bit_count() >= most
            ]
            assert index._typo_candidates(word, mine, length, most) == expected, word
