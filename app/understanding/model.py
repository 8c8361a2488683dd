"""A text classifier learned from examples: TF-IDF over word stems and character n-grams, then logistic regression.

Chosen by measurement against the line's old phrase scorer and static embeddings (bench/understanding.py).
Words give the meaning ("bring", "permission"); character n-grams read past typos and shorthand the
examples never had ("diffrent", "sucidal") and give a Welsh mutated word ("feddyg") most of the credit
of its root ("meddyg"), since Welsh has no stemmer.
"""

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from app.text import Stemmer

C = 20.0  # weak regularisation: the examples are few and clean; measured best of 5, 20 and 50 on the dev set
CHAR_SIZES = (2, 5)  # character n-grams from 2 to 5 letters, inside word boundaries


@dataclass(frozen=True)
class Doc:
    """A text as the model reads it: its words (shorthand spelled out) and their stems."""

    words: tuple[str, ...]
    stems: tuple[str, ...]


def word_features(doc: Doc) -> list[str]:
    """Stems and pairs of stems ("take with", "with me")."""
    return list(doc.stems) + [f"{a} {b}" for a, b in zip(doc.stems, doc.stems[1:], strict=False)]


def char_features(doc: Doc) -> list[str]:
    """Character n-grams of each word, with its boundaries marked (" brin", "ing ")."""
    low, high = CHAR_SIZES
    grams = []
    for word in doc.words:
        padded = f" {word} "
        for size in range(low, min(high, len(padded)) + 1):
            grams += [padded[i : i + size] for i in range(len(padded) - size + 1)]
    return grams


class Classifier:
    """Labels for texts, with a probability for each label, learned once from examples."""

    def __init__(
        self,
        examples: Mapping[str, Sequence[str]],
        read: Callable[[str], list[str]],
        stemmer: Stemmer,
        estimator: object | None = None,  # another scikit-learn classifier with predict_proba (the bench compares)
    ):
        # Imported here, when the line learns: scikit-learn takes about 1.7 s to import, and a start
        # refused for its settings (before any content is read) should not wait for it.
        from scipy.sparse import hstack
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from threadpoolctl import threadpool_limits

        self.read = read
        self.stemmer = stemmer
        docs, labels = [], []
        for label, texts in examples.items():
            for text in texts:
                docs.append(self.doc(text))
                labels.append(label)
        self.vectorizers = [
            TfidfVectorizer(analyzer=word_features, sublinear_tf=True),
            TfidfVectorizer(analyzer=char_features, sublinear_tf=True),
        ]
        matrix = hstack([vectorizer.fit_transform(docs) for vectorizer in self.vectorizers]).tocsr()
        self.model = estimator or LogisticRegression(C=C, max_iter=5000, class_weight="balanced")
        # One BLAS thread: on a small shared machine (2 cores, gunicorn workers) more threads fight and
        # make learning several times slower (measured: 4.3 s against 0.7 s).
        with threadpool_limits(limits=1):
            self.model.fit(matrix, labels)
        self.labels: tuple[str, ...] = tuple(str(label) for label in self.model.classes_)
        self.compiled = Compiled(self) if isinstance(self.model, LogisticRegression) else None

    def doc(self, text: str) -> Doc:
        """A text as the model reads it."""
        words = tuple(self.read(text))
        return Doc(words, tuple(self.stemmer.words(list(words))))

    def probabilities(self, texts: Iterable[str]) -> np.ndarray:
        """One row per text: the probability of each label, in the order of `labels`."""
        docs = [self.doc(text) for text in texts]
        if self.compiled:
            return np.vstack([self.compiled.probabilities(doc) for doc in docs])
        from scipy.sparse import hstack  # only for another estimator, which the bench compares

        matrix = hstack([vectorizer.transform(docs) for vectorizer in self.vectorizers]).tocsr()
        return self.model.predict_proba(matrix)

    def scores(self, text: str) -> dict[str, float]:
        """Each label's probability for one text, best first."""
        row = self.probabilities([text])[0]
        return dict(sorted(zip(self.labels, row.tolist(), strict=True), key=lambda item: -item[1]))


class Compiled:
    """The learned weights as plain arrays: a text costs its features and one small product, not scikit-learn's
    per-call set-up (measured: 2.5 ms a text through scikit-learn, a fifth of that here)."""

    def __init__(self, classifier: Classifier):
        words, chars = classifier.vectorizers
        self.word_columns = dict(words.vocabulary_)
        self.char_columns = dict(chars.vocabulary_)
        self.word_idf, self.char_idf = words.idf_.copy(), chars.idf_.copy()
        self.offset = len(self.word_columns)
        self.coef = np.ascontiguousarray(classifier.model.coef_.T)  # features x labels
        self.intercept = classifier.model.intercept_.copy()
        # A word's character n-grams as columns, kept for the words seen (bounded, so odd input cannot grow it):
        # a text and its clauses share their words, and patients' texts share most of theirs.
        self.grams = lru_cache(maxsize=16384)(self._grams)

    def _grams(self, word: str) -> tuple[int, ...]:
        """The columns of a word's character n-grams."""
        grams = char_features(Doc((word,), ()))
        return tuple(column for gram in grams if (column := self.char_columns.get(gram)) is not None)

    def probabilities(self, doc: Doc) -> np.ndarray:
        """The probability of each label: TF-IDF as scikit-learn computes it (sublinear, l2 per block), softmax."""
        scores = self.intercept.copy()
        known = self.word_columns
        words = Counter(column for feature in word_features(doc) if (column := known.get(feature)) is not None)
        chars: Counter[int] = Counter()
        for word in doc.words:
            chars.update(self.grams(word))
        for counts, idf, offset in ((words, self.word_idf, 0), (chars, self.char_idf, self.offset)):
            if not counts:
                continue
            columns = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
            weights = (1.0 + np.log(np.fromiter(counts.values(), dtype=float, count=len(counts)))) * idf[columns]
            weights /= np.sqrt(weights @ weights)
            scores += weights @ self.coef[columns + offset]
        scores = np.exp(scores - scores.max())
        return scores / scores.sum()
