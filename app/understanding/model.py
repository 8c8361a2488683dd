"""A text classifier learned from examples: TF-IDF over word stems and character n-grams, then logistic regression.

Chosen by measurement against the line's old phrase scorer and static embeddings (bench/understanding.py).
Words give the meaning ("bring", "permission"); character n-grams read past typos and shorthand the
examples never had ("diffrent", "sucidal") and give a Welsh mutated word ("feddyg") most of the credit
of its root ("meddyg"), since Welsh has no stemmer.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from app.text import Stemmer

C = 20.0  # weak regularisation: the examples are few and clean; measured best of 1, 5, 20, 50 on the dev set
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

    def __init__(self, examples: Mapping[str, Sequence[str]], read: Callable[[str], list[str]], stemmer: Stemmer):
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
        self.model = LogisticRegression(C=C, max_iter=5000, class_weight="balanced").fit(matrix, labels)
        self.labels: tuple[str, ...] = tuple(str(label) for label in self.model.classes_)

    def doc(self, text: str) -> Doc:
        """A text as the model reads it."""
        words = tuple(self.read(text))
        return Doc(words, tuple(self.stemmer.words(list(words))))

    def probabilities(self, texts: Iterable[str]) -> np.ndarray:
        """One row per text: the probability of each label, in the order of `labels`."""
        docs = [self.doc(text) for text in texts]
        matrix = hstack([vectorizer.transform(docs) for vectorizer in self.vectorizers]).tocsr()
        return self.model.predict_proba(matrix)

    def scores(self, text: str) -> dict[str, float]:
        """Each label's probability for one text, best first."""
        row = self.probabilities([text])[0]
        return dict(sorted(zip(self.labels, row.tolist(), strict=True), key=lambda item: -item[1]))
