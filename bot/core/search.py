"""Find the SOP someone means from a few words they typed in Slack.

Stdlib only (difflib for typos): the ranking needs are small, and a fuzzy-matching
library such as rapidfuzz would be a new compiled dependency for a few hundred SOPs.
"""

from __future__ import annotations

import heapq
import re
from array import array
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import partial

from bot.core.model import Sop

# Where a word is found says how likely the SOP is the one meant.
TITLE_WEIGHT = 1.0  # title and slug
TAG_WEIGHT = 0.75
STEP_TITLE_WEIGHT = 0.55
STEP_TEXT_WEIGHT = 0.35  # step body, scripts and checklist

PREFIX_SIMILARITY = 0.9  # "pass" for "password", "onboard" for "onboarding"
TYPO_CUTOFF = 0.8  # difflib ratio; "refnud"/"refund" is 0.83, "cat"/"car" 0.67
MIN_TYPO_LENGTH = 4  # shorter words are too easy to confuse with each other
MIN_PREFIX_LENGTH = 3

# Most of a score is how well each query word is found; the rest is how much of the
# title the query covers, so "refund request" prefers "Refund request" over
# "Refund request escalation". A score of 1.0 means the query is exactly the title.
WORD_SHARE = 0.9
COVERAGE_SHARE = 0.1

MIN_SCORE = 0.3  # a single word found only in one step's text still counts (0.315)
WINNER_MIN_SCORE = 0.6  # a tag match (0.675) can win; a step-text-only match cannot
WINNER_LEAD = 1.5

NAME_LIKENESS_CUTOFF = 0.6  # whole title or slug against the whole query, for suggestions

# Only the first words of a pasted wall of text are searched, which bounds the
# work per query whatever someone sends.
MAX_QUERY_WORDS = 8
# Query words whose close terms an index remembers: people type the same few words again and
# again, and the typo scan over the vocabulary is most of a search's cost.
SIMILAR_CACHE = 4096

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "at",
        "be",
        "by",
        "can",
        "do",
        "does",
        "for",
        "from",
        "help",
        "how",
        "i",
        "in",
        "is",
        "it",
        "me",
        "my",
        "need",
        "of",
        "on",
        "or",
        "our",
        "please",
        "sop",
        "sops",
        "procedure",
        "the",
        "this",
        "to",
        "we",
        "what",
        "when",
        "where",
        "which",
        "who",
        "with",
        "you",
        "your",
    ]
)

# Slack markup (<!channel>, <@U123>, <#C1|general>, <https://…|link>) and emoji codes
# (:tada:) are not words the user is searching for.
_SLACK_MARKUP = re.compile(r"<[^>]*>|:[a-z0-9_+\-]+:")
_APOSTROPHE_S = re.compile(r"['\u2019]s\b")
_APOSTROPHES = re.compile(r"['\u2019]")
_WORD = re.compile(r"\w+")  # with "_" replaced by a space first: faster than [^\W_]+


@dataclass(frozen=True)
class Hit:
    """One SOP that matches a search, with a score between 0 and 1."""

    slug: str
    title: str
    score: float


def _stem(word: str) -> str:
    # Plural "s" only: enough for "refunds"/"refund" without a stemming library.
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _words(text: str) -> list[str]:
    text = text.casefold().replace("_", " ")
    # The apostrophe regexes cost as much as finding the words; most text has none.
    if "'" in text or "\u2019" in text:
        text = _APOSTROPHES.sub("", _APOSTROPHE_S.sub("", text))
    return _WORD.findall(text)


def _letters(word: str) -> int:
    """The set of a word's characters as bits (characters may share a bit: a looser bound)."""
    bits = 0
    for char in word:
        bits |= 1 << (ord(char) & 63)
    return bits


def _positions(word: str) -> dict[str, int]:
    """Each character of `word` and the bits of where it occurs, for _common_length."""
    positions: dict[str, int] = {}
    for at, char in enumerate(word):
        positions[char] = positions.get(char, 0) | 1 << at
    return positions


def _common_length(word: str, positions: dict[str, int], size: int) -> int:
    """The longest common subsequence of `word` and the `size`-character word of `positions`.

    Bit-parallel (Allison and Dix 1986, as Hyyro 2004 writes it): a few integer operations a
    character. difflib's matching blocks are one common subsequence, so 2 x this / (the two
    lengths) bounds its ratio from above, and closer than quick_ratio (the characters the two
    have in common, in any order): most names and terms quick_ratio lets through to the costly
    ratio() cannot reach the cutoff, and this rules them out first.
    """
    full = (1 << size) - 1
    row = full
    for char in word:
        matched = row & positions.get(char, 0)
        row = ((row + matched) | (row - matched)) & full
    return size - row.bit_count()


def _bits(mask: int) -> list[int]:
    """The positions of the bits set in `mask`, lowest first."""
    found = []
    while mask:
        low = mask & -mask
        found.append(low.bit_length() - 1)
        mask ^= low
    return found


def _at_least(masks: Sequence[int], need: int, everyone: int) -> int:
    """The bits set in at least `need` of `masks` (`everyone`: every bit there is).

    Counted for all bits at once, in bit planes (planes[b] holds bit b of every count), with
    a few integer operations a mask however many bits there are.
    """
    if need <= 0:
        return everyone
    planes: list[int] = []
    for mask in masks:
        carry = mask
        for b, plane in enumerate(planes):
            planes[b], carry = plane ^ carry, plane & carry
            if not carry:
                break
        if carry:
            planes.append(carry)
    # Then count >= need, plane by plane from the most significant.
    above, equal = 0, everyone
    for b in range(max(len(planes), need.bit_length()) - 1, -1, -1):
        plane = planes[b] if b < len(planes) else 0
        if need >> b & 1:
            equal &= plane
        else:
            above |= equal & plane
            equal &= ~plane
    return above | equal


def _terms(text: str) -> list[str]:
    return [_stem(w) for w in _words(text) if w not in STOPWORDS]


def _word_set(text: str) -> set[str]:
    return set(_words(text)) - STOPWORDS


# Per matching SOP (by index) its summed word score; per indexed term its best similarity.
WordScores = tuple[dict[int, float], dict[str, float]]


class SearchIndex:
    """An inverted index over a set of SOPs, built once and searched many times."""

    def __init__(self, sops: Sequence[Sop]) -> None:
        self._sops = tuple(sops)
        self._by_slug = {sop.slug.casefold(): i for i, sop in enumerate(self._sops)}
        self._title_terms = [frozenset(_terms(sop.title)) for sop in self._sops]
        # Titles and slugs as "did you mean" compares them, prepared once rather than per query.
        # Sorted by length, since a name much shorter or longer than the query cannot be like it.
        self._names = sorted(
            (len(name), name, _letters(name), index)
            for index, sop in enumerate(self._sops)
            for name in dict.fromkeys("".join(_terms(name)) for name in (sop.title, sop.slug))
        )
        self._name_lengths = [size for size, *_ in self._names]
        self._order = [(sop.title.casefold(), sop.slug) for sop in self._sops]  # ties: A-Z
        self._in_titles: dict[str, list[int]] = defaultdict(list)  # term -> SOPs titled with it
        for index, terms in enumerate(self._title_terms):
            for term in terms:
                self._in_titles[term].append(index)
        # Index unstemmed words first and stem each distinct word once afterwards:
        # stemming every word of every step is most of the cost of building an index.
        by_word: dict[str, dict[int, float]] = defaultdict(dict)
        for index, sop in enumerate(self._sops):
            fields = (
                (_word_set(f"{sop.title} {sop.slug}"), TITLE_WEIGHT),
                (_word_set(" ".join(sop.tags)), TAG_WEIGHT),
                (_word_set(" ".join(s.title for s in sop.steps)), STEP_TITLE_WEIGHT),
                (
                    _word_set(
                        " ".join(" ".join((s.body, *s.scripts, *s.checklist)) for s in sop.steps)
                    ),
                    STEP_TEXT_WEIGHT,
                ),
            )
            seen: set[str] = set()
            for words, weight in fields:  # heaviest first, so a word keeps its best field
                for word in words - seen:
                    by_word[word][index] = weight
                seen |= words
        # term -> {sop index: weight of the heaviest field containing the term}
        merged: dict[str, dict[int, float]] = defaultdict(dict)
        for word, postings in by_word.items():
            into = merged[_stem(word)]
            for index, weight in postings.items():
                if into.get(index, 0.0) < weight:
                    into[index] = weight
        # Kept as an array of SOP indexes beside their weights: a third of the memory of a
        # dict per term (the index lives as long as the process, ~7 MB less at 1,000 SOPs).
        self._postings: dict[str, tuple[array[int], tuple[float, ...]]] = {
            term: (array("I", postings), tuple(postings.values()))
            for term, postings in merged.items()
        }
        self._vocabulary = sorted(self._postings)
        self._by_length: dict[int, list[tuple[str, int]]] = defaultdict(list)
        for term in self._vocabulary:
            self._by_length[len(term)].append((term, _letters(term)))
        # Per length and letter bit (see _letters), which terms of that length have it: bit i
        # for the i-th term of _by_length[length]. The typo scan's first bound, for all terms
        # of a length at once (_typo_candidates).
        self._having: dict[int, dict[int, int]] = {}
        for length, terms in self._by_length.items():
            having: dict[int, bytearray] = defaultdict(partial(bytearray, len(terms) // 8 + 1))
            for at, (_, letters) in enumerate(terms):
                for bit in _bits(letters):
                    having[bit][at // 8] |= 1 << at % 8
            self._having[length] = {bit: int.from_bytes(b, "little") for bit, b in having.items()}
        self._similar_to: dict[str, dict[str, float]] = {}
        # The last query's word scores: /sop searches, and for a miss asks closest_titles of
        # the same words next, which would walk the same postings again. One tuple, replaced
        # whole, so threads sharing the index never see half of one.
        self._last_scores: tuple[tuple[str, ...], WordScores] | None = None

    def _similar(self, word: str) -> dict[str, float]:
        """Return indexed terms close to `word` (remembered; callers must not change it)."""
        found = self._similar_to.get(word)
        if found is None:
            if len(self._similar_to) >= SIMILAR_CACHE:
                self._similar_to.clear()  # a flood of new words only costs what it did before
            found = self._similar_to[word] = self._find_similar(word)
        return found

    def _find_similar(self, word: str) -> dict[str, float]:
        """Return indexed terms close to `word`: exact 1.0, prefix 0.9, typo by ratio."""
        found: dict[str, float] = {}
        if len(word) >= MIN_PREFIX_LENGTH:
            vocabulary = self._vocabulary
            at = bisect_left(vocabulary, word)
            while at < len(vocabulary) and vocabulary[at].startswith(word):
                found[vocabulary[at]] = PREFIX_SIMILARITY
                at += 1
            # A known word inside a longer query word ("onboard" in "onboarding"), but
            # not a short one that merely starts it ("ref" in "refunded").
            for end in range(max(MIN_PREFIX_LENGTH, len(word) - 4), len(word)):
                if word[:end] in self._postings:
                    found[word[:end]] = PREFIX_SIMILARITY
        if len(word) >= MIN_TYPO_LENGTH:
            matcher = SequenceMatcher(b=word, autojunk=False)
            mine, positions = _letters(word), _positions(word)
            for length in range(len(word) - 1, len(word) + 2):
                # Each letter one word has and the other lacks leaves at least one character
                # unmatched, so this bounds difflib's ratio from above at the cost of two
                # bit counts: terms it rules out could never reach TYPO_CUTOFF.
                most = TYPO_CUTOFF * (len(word) + length) / 2
                terms = self._by_length.get(length, [])
                for at in self._typo_candidates(word, mine, length, most):
                    term, letters = terms[at]
                    if (
                        len(word) - (mine & ~letters).bit_count() < most
                        or length - (letters & ~mine).bit_count() < most
                        or term in found
                    ):
                        continue
                    common = _common_length(term, positions, len(word))
                    if 2.0 * common / (len(word) + length) < TYPO_CUTOFF:
                        continue  # ratio() is at most this (see _common_length)
                    matcher.set_seq1(term)
                    if (ratio := matcher.ratio()) >= TYPO_CUTOFF:
                        found[term] = ratio
        if word in self._postings:
            found[word] = 1.0
        return found

    def _typo_candidates(self, word: str, mine: int, length: int, most: float) -> list[int]:
        """Which terms of `length` (positions in _by_length) pass _find_similar's first bound.

        The bound, `len(word) - (word's letters the term lacks) >= most`, tried for every
        term of the length at once: the terms having enough of the word's letters. It rules
        out ~95% of them, which _find_similar would otherwise visit one by one.
        """
        having = self._having.get(length)
        if having is None:
            return []
        letters = _bits(mine)
        lacking = 0  # the most of the word's letters a term may lack and pass
        while lacking < len(letters) and len(word) - (lacking + 1) >= most:
            lacking += 1
        if len(word) - lacking < most:
            return []
        everyone = (1 << len(self._by_length[length])) - 1
        masks = [having.get(bit, 0) for bit in letters]
        return _bits(_at_least(masks, len(letters) - lacking, everyone))

    def _query_terms(self, query: str) -> list[str]:
        return list(dict.fromkeys(_terms(_SLACK_MARKUP.sub(" ", query))))[:MAX_QUERY_WORDS]

    def _word_scores(self, terms: list[str]) -> WordScores:
        """Per matching SOP, the sum over query words of its best weight x similarity.

        Also returns each indexed term's best similarity to any query word (for coverage).
        Remembered for the last query's terms; callers must not change what it returns.
        """
        last = self._last_scores
        if last is not None and last[0] == tuple(terms):
            return last[1]
        scored = self._score_words(terms)
        self._last_scores = (tuple(terms), scored)
        return scored

    def _score_words(self, terms: list[str]) -> WordScores:
        """_word_scores, worked out."""
        totals: dict[int, float] = {}
        closeness: dict[str, float] = {}  # indexed term -> best similarity to any query word
        for word in terms:
            best: dict[int, float] = {}
            for term, similarity in self._similar(word).items():
                if closeness.get(term, 0.0) < similarity:
                    closeness[term] = similarity
                for index, weight in zip(*self._postings[term], strict=True):
                    found = weight * similarity
                    if best.get(index, 0.0) < found:
                        best[index] = found
            # Added word by word, in query order: the same sums as a row per SOP added up.
            for index, found in best.items():
                totals[index] = totals.get(index, 0.0) + found
        return totals, closeness

    def _coverage(self, index: int, closeness: dict[str, float]) -> float:
        """How much of the title the query words cover (their best similarities, averaged)."""
        title_terms = self._title_terms[index]
        return sum(closeness.get(t, 0.0) for t in title_terms) / len(title_terms)

    def _scores(self, query: str, *, at_least: float = 0.0) -> dict[int, float]:
        """Return a score for every SOP that matches a query word and may reach `at_least`."""
        terms = self._query_terms(query)
        if not terms:
            return {}
        totals, closeness = self._word_scores(terms)
        # Only SOPs with a matched title term have any coverage: the others are scored without
        # walking their titles. Coverage adds at most COVERAGE_SHARE, so most SOPs a common
        # word matches are ruled out without it (the margin absorbs rounding).
        titled = {i for term in closeness for i in self._in_titles.get(term, ())}
        needed = (at_least - COVERAGE_SHARE) * len(terms) / WORD_SHARE - 1e-9
        count = len(terms)
        scores = {
            index: WORD_SHARE * total / count
            + COVERAGE_SHARE * (self._coverage(index, closeness) if index in titled else 0.0)
            for index, total in totals.items()
            if total >= needed
        }
        exact = self._by_slug.get(query.strip().casefold())
        if exact is not None:
            scores[exact] = 1.0
        return scores

    @staticmethod
    def _floor(scores: dict[int, float], limit: int) -> float:
        """The lowest score among the best `limit` (0 when there are fewer)."""
        best = heapq.nlargest(limit, scores.values())
        return best[-1] if len(best) == limit else 0.0

    def _ranked(self, scores: dict[int, float], limit: int) -> list[Hit]:
        """The best `limit` hits, ordered by score, then title, then slug."""
        best = heapq.nsmallest(
            limit,
            ((-round(score, 4), *self._order[i], i) for i, score in scores.items()),
        )
        return [Hit(slug=slug, title=self._sops[i].title, score=-s) for s, _, slug, i in best]

    def search(self, query: str, *, limit: int = 5) -> list[Hit]:
        """Return the SOPs matching `query` above MIN_SCORE, best first."""
        scores = self._scores(query, at_least=MIN_SCORE)
        return self._ranked({i: s for i, s in scores.items() if s >= MIN_SCORE}, limit)

    def closest_titles(self, query: str, *, limit: int = 3) -> list[str]:
        """Return the titles nearest to `query`, even below MIN_SCORE (for "did you mean")."""
        scores = self._scores(query)
        joined = "".join(_terms(_SLACK_MARKUP.sub(" ", query)))[:200]
        if not joined:
            return []
        # Whole-name likeness catches what per-word matching misses, such as words
        # run together ("paswordreset"); spaces are dropped on both sides for that.
        matcher = SequenceMatcher(b=joined, autojunk=False)
        size, mine, positions = len(joined), _letters(joined), _positions(joined)
        # difflib's ratio is at most 2 * min(size, length) / (size + length): only names from
        # 3/7 to 7/3 of the query's length can reach the cutoff of 0.6.
        first = bisect_left(self._name_lengths, size * 3 // 7)
        last = bisect_right(self._name_lengths, size * 7 // 3 + 1)
        bounded = []
        for length, name, letters, index in self._names[first:last]:
            # Upper bounds of the ratio, cheapest first (see _find_similar): names they rule
            # out could never reach the cutoff.
            most = NAME_LIKENESS_CUTOFF * (size + length) / 2 - 1e-9
            if (
                min(size, length) < most
                or size - (mine & ~letters).bit_count() < most
                or length - (letters & ~mine).bit_count() < most
            ):
                continue
            bound = 2.0 * _common_length(name, positions, size) / (size + length)
            if bound >= NAME_LIKENESS_CUTOFF:  # ratio() is at most this (see _common_length)
                bounded.append((bound, name, index))
        # The exact ratio is the costly part: work down from the highest bound and stop once
        # no name left can reach the titles already found (with room for rounding).
        bounded.sort(key=lambda item: item[0], reverse=True)
        floor = self._floor(scores, limit)
        for bound, name, index in bounded:
            if 0.5 * bound < floor - 2e-4:
                break
            matcher.set_seq1(name)
            like = matcher.ratio()
            if like >= NAME_LIKENESS_CUTOFF and scores.get(index, 0.0) < 0.5 * like:
                scores[index] = 0.5 * like
                floor = self._floor(scores, limit)
        return [hit.title for hit in self._ranked(scores, limit)]


def search(query: str, sops: Sequence[Sop], *, limit: int = 5) -> list[Hit]:
    """Return the SOPs matching `query`, best first (see SearchIndex to search repeatedly)."""
    return SearchIndex(sops).search(query, limit=limit)


def clear_winner(hits: list[Hit]) -> Hit | None:
    """Return the one hit to start directly, or None when the user should choose.

    The rule: the only hit; or the top hit scoring at least WINNER_MIN_SCORE and
    WINNER_LEAD times the second; or the top hit naming its title or slug exactly
    (score 1.0) while the second does not.
    """
    if not hits:
        return None
    if len(hits) == 1:
        return hits[0]
    top, second = hits[0], hits[1]
    if top.score >= WINNER_MIN_SCORE and top.score >= WINNER_LEAD * second.score:
        return top
    if top.score >= 1.0 > second.score:
        return top
    return None


def closest_titles(query: str, sops: Sequence[Sop], *, limit: int = 3) -> list[str]:
    """Return up to `limit` SOP titles nearest to `query`, for "no SOP matches" answers."""
    return SearchIndex(sops).closest_titles(query, limit=limit)
