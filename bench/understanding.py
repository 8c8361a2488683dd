"""Compare ways of understanding free text on the held-out evaluation set (tests/eval/), in the same run.

Usage: python bench/understanding.py [--languages en,es,cy] [--methods scorer,tfidf-lr,...]
Each method runs in its own process (so its start-up time and memory are its own) behind the same
rules (opt-out, crisis phrases, keywords, MORE, numbers); only what reads a free text differs:
  scorer       the line's phrase and word scorer before this change (bench/legacy_matching.py)
  tfidf-lr     TF-IDF over stems and character n-grams, logistic regression (the line's: app/understanding)
  tfidf-svm    the same features, a linear SVM with sigmoid-calibrated confidence (3-fold)
  wordllama    wordllama 0.4.0.post1's static 256-d embeddings (weights in its wheel), logistic regression
Prints a Markdown table per language: accuracy, crisis recall, false alarms, start-up, memory, latency.
Every language pack is loaded by the line's own loader, in its locale (en-GB, es-US, cy-GB).
"""

import argparse
import json
import resource
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
METHODS = ("scorer", "tfidf-lr", "tfidf-svm", "wordllama")
LABELS = (
    "facts",
    "when",
    "ask",
    "bring",
    "faq",
    "faq1",
    "faq2",
    "faq3",
    "menu",
    "help",
    "thanks",
    "cant_advise",
    "emergency",
)
LOCALES = {"en": "en-GB", "es": "es-US", "cy": "cy-GB"}
REPEAT = 20  # the adversarial texts are timed this many times; the median is reported


def rss_mb() -> float:
    """This process's peak resident memory, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def evaluation(language: str) -> list[dict]:
    """The held-out texts of one language."""
    return yaml.safe_load((ROOT / "tests" / "eval" / f"{language}.yaml").read_text(encoding="utf-8"))


def wordllama_classifier(examples):
    """Static embeddings from wordllama's wheel (no download), then logistic regression."""
    import os

    import numpy as np
    import wordllama
    from sklearn.linear_model import LogisticRegression

    model = wordllama.WordLlama.load(cache_dir=os.path.dirname(wordllama.__file__), disable_download=True)

    class Embedded:
        def __init__(self):
            texts = [text for texts in examples.values() for text in texts]
            labels = [label for label, texts in examples.items() for _ in texts]
            self.model = LogisticRegression(C=20.0, max_iter=5000, class_weight="balanced")
            self.model.fit(model.embed(texts, norm=True), labels)
            self.labels = tuple(str(label) for label in self.model.classes_)

        def probabilities(self, texts):
            return self.model.predict_proba(np.asarray(model.embed(list(texts), norm=True)))

    return Embedded()


def svm_classifier(examples, read, stemmer):
    """The line's features with a calibrated linear SVM instead of logistic regression."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.svm import LinearSVC

    from app.understanding.model import Classifier

    return Classifier(examples, read, stemmer, CalibratedClassifierCV(LinearSVC(C=0.5), cv=3))


def run_method(method: str, language: str) -> dict:
    """Build one method behind the line's rules and measure it on one language (in this process)."""
    from types import SimpleNamespace

    from app.content import load_line
    from app.matching import Matcher
    from app.sms.render import sms_replies
    from app.text import Stemmer
    from app.understanding.reader import Reader

    base_rss, started = rss_mb(), time.perf_counter()
    locale = load_line(ROOT / "content", (LOCALES[language],), {"operator": "", "number": ""}).default
    replies = sms_replies(locale, ())
    if method == "scorer":
        from bench.legacy_matching import Matcher as Legacy

        texts = {name: tuple(part.text for part in parts) for name, parts in replies.parts.items()}
        matcher = Legacy(SimpleNamespace(matching=locale.matching, topics=locale.topics, replies=texts))
    else:
        matcher = Matcher(locale, {name: len(parts) for name, parts in replies.parts.items()})
        learned = {label: list(texts) for label, texts in locale.examples.items()}
        if method == "tfidf-svm":
            matcher.reader = Reader(svm_classifier(learned, matcher.read, Stemmer(locale.language.stemmer)))
        elif method == "wordllama":
            matcher.reader = Reader(wordllama_classifier(learned))
    decide = matcher.match
    start_up = time.perf_counter() - started
    memory = rss_mb() - base_rss

    cant_advise = getattr(matcher, "cant_advise", "help")
    rows, right, per_label, totals, times = evaluation(language), 0, Counter(), Counter(), []
    crisis = missed = alarms = probe_alarms = probes = also_right = also_total = 0
    for row in rows:
        began = time.perf_counter()
        match = decide(row["text"])
        times.append(time.perf_counter() - began)
        want = cant_advise if row["label"] == "cant_advise" else row["label"]
        totals[row["label"]] += 1
        if match.reply == want:
            right += 1
            per_label[row["label"]] += 1
        if row["label"] == "emergency":
            crisis += 1
            missed += match.reply != "emergency"
        else:
            alarms += match.reply == "emergency"
        if row.get("probe"):
            probes += 1
            probe_alarms += match.reply == "emergency"
        if row.get("also"):
            also_total += 1
            also_right += match.reply == want and getattr(match, "also", None) == row["also"]
    words = " ".join(row["text"] for row in rows)[:1600]
    worst = {}
    for name, text in (("64 KB of one letter", "a" * 65536), ("1,600 characters of words", words)):
        runs = []
        for _ in range(REPEAT):
            began = time.perf_counter()
            decide(text)
            runs.append(time.perf_counter() - began)
        worst[name] = sorted(runs)[REPEAT // 2] * 1000
    times.sort()
    return {
        "method": method,
        "accuracy": right / len(rows),
        "per_label": {label: f"{per_label[label]}/{totals[label]}" for label in LABELS if totals[label]},
        "crisis_recall": (crisis - missed) / crisis if crisis else 1.0,
        "false_alarms": f"{alarms}/{len(rows) - crisis}",
        "probe_alarms": f"{probe_alarms}/{probes}",
        "also": f"{also_right}/{also_total}",
        "start_up_s": start_up,
        "memory_mb": memory,
        "p50_ms": times[len(times) // 2] * 1000,
        "max_ms": times[-1] * 1000,
        "worst_ms": worst,
        "texts": len(rows),
    }


def table(language: str, results: list[dict]) -> str:
    """One language's comparison as Markdown."""
    heads = [
        "method",
        "accuracy",
        "crisis recall",
        "false alarms",
        "of them probes",
        "two questions",
        "start-up s",
        "memory MB",
        "p50 ms",
        "max ms",
        "64 KB ms",
        "1,600 ch ms",
    ]
    lines = [
        f"### {language} ({results[0]['texts']} texts)",
        "",
        "| " + " | ".join(heads) + " |",
        "|" + "---|" * len(heads),
    ]
    for r in results:
        cells = [
            r["method"],
            f"{r['accuracy']:.1%}",
            f"{r['crisis_recall']:.0%}",
            r["false_alarms"],
            r["probe_alarms"],
            r["also"],
            f"{r['start_up_s']:.2f}",
            f"{r['memory_mb']:.0f}",
            f"{r['p50_ms']:.2f}",
            f"{r['max_ms']:.2f}",
            *(f"{v:.2f}" for v in r["worst_ms"].values()),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "per label (right/total):",
        "",
        "| method | " + " | ".join(results[0]["per_label"]) + " |",
        "|" + "---|" * (len(results[0]["per_label"]) + 1),
    ]
    lines += ["| " + r["method"] + " | " + " | ".join(r["per_label"].values()) + " |" for r in results]
    return "\n".join(lines) + "\n"


def main() -> int:
    """Run each method in its own process, then print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--languages", default="en,es,cy")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--one", nargs=2, metavar=("METHOD", "LANGUAGE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_method(*args.one)))
        return 0
    for language in args.languages.split(","):
        results = []
        for method in args.methods.split(","):
            command = [sys.executable, __file__, "--one", method, language]
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode:
                print(f"{method} {language} failed:\n{done.stderr[-2000:]}", file=sys.stderr)
                return 2
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(table(language, results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
