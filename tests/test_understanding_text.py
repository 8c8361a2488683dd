"""Text handling for any language (app/text.py): words, accent folding, stems and typo distance."""

import pytest

from app.text import MAX_TOKENS, MAX_WORD, Stemmer, distance, fold, tokens


def test_tokens_are_unicode_words_without_apostrophes_or_accents():
    assert tokens("Can't STOP, qué pasa? Dw i'n ŵyr iddo") == ["cant", "stop", "que", "pasa", "dw", "in", "wyr", "iddo"]


def test_marks_inside_other_scripts_stay_part_of_their_word():
    assert tokens("नमस्ते दोस्त") == ["नमस्ते", "दोस्त"]
    assert tokens("مرحبا بك") == ["مرحبا", "بك"]


def test_tokens_are_bounded():
    assert len(tokens("word " * 1000)) == MAX_TOKENS
    assert tokens("a" * 65536) == ["a" * MAX_WORD]


def test_fold_drops_accents_from_latin_letters_only():
    assert fold("médico, opinión, ŵ, ñ") == "medico, opinion, w, n"
    assert fold("नमस्ते") == "नमस्ते"


@pytest.mark.parametrize(("language", "word", "stem"), [
    ("english", "asking", "ask"), ("english", "medications", "medic"), ("spanish", "preguntas", "pregunt"),
    ("", "meddygon", "meddygon"),  # Welsh: no snowball stemmer, words compared whole
])
def test_stemmer_by_language(language, word, stem):
    assert Stemmer(language)(word) == stem


def test_an_unknown_stemmer_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match="no snowball stemmer called 'welsh'.*english"):
        Stemmer("welsh")


def test_distance_counts_typos_including_swapped_letters():
    assert distance("sucidal", "suicidal") == 1
    assert distance("brign", "bring") == 1
    assert distance("bring", "faq", 1) == 2  # past the limit: limit + 1


@pytest.mark.parametrize("language", ["english", "spanish"])
def test_stems_stay_right_when_several_threads_stem_at_once(language):
    # A web worker with threads stems patients' words side by side; snowball's stemmers keep the word
    # they work on inside themselves, so two at once gave wrong stems ("breathing" -> "suicidaling").
    import sys
    import threading

    import snowballstemmer

    reference = snowballstemmer.stemmer(language)
    stems = Stemmer(language)
    roots = ("suicidal", "breathing", "overdosed", "bleeding", "unconscious", "appointment", "preguntas", "llamando")
    # Words no other test stems, different in each thread: every one is a miss of the shared cache.
    batches = [[f"{root}{thread}x{n}ing" for root in roots for n in range(300)] for thread in range(4)]
    truth = {word: reference.stemWord(word) for words in batches for word in words}  # one thread: right
    wrong, failed = [], []

    def stem_all(words):
        try:
            wrong.extend(word for word in words if stems(word) != truth[word])
        except Exception as error:  # an IndexError from inside the stemmer, before the fix
            failed.append(error)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as the interpreter can, so an overlap is certain
    try:
        threads = [threading.Thread(target=stem_all, args=(words,)) for words in batches]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert (wrong, failed) == ([], [])
