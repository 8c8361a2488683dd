"""Compare ways of understanding free text on the held-out evaluation set (tests/eval/), in the same run.

Usage: python bench/understanding.py [--languages en,es,cy] [--methods scorer,tfidf-lr,...]
Each method runs in its own process (so its start-up time and memory are its own) behind the same
rules (opt-out, crisis phrases, keywords, MORE, numbers); only what reads a free text differs:
  scorer       the line's phrase and word scorer before this change (bench/legacy_matching.py)
  tfidf-lr     TF-IDF over stems and character n-grams, logistic regression (the line's: app/understanding)
  tfidf-svm    the same features, a linear SVM with sigmoid-calibrated confidence (3-fold)
  wordllama    wordllama 0.4.0.post1's static 256-d embeddings (weights in its wheel), logistic regression
Prints a Markdown table per language: accuracy, crisis recall, false alarms, start-up, memory, latency.

With --content DIR (another checkout's content/, e.g. a language pack not merged yet), each language
is measured without the line's loader: the crisis phrases and shorthand of DIR/<language>/matching.yaml,
then the model learned from DIR/<language>/examples.yaml (method "model only": no keyword rules).
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
REGIONS = {"en": "uk", "es": "us", "cy": "uk"}
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


class ModelOnly:
    """A language pack's crisis phrases, then its learned model: the line without its keyword rules."""

    def __init__(self, root: Path, language: str):
        from app.text import Stemmer, tokens
        from app.understanding.crisis import CrisisCheck
        from app.understanding.examples import load
        from app.understanding.reader import build, frozen

        folder = root / language
        matching = yaml.safe_load((folder / "matching.yaml").read_text(encoding="utf-8"))
        stemmer = (yaml.safe_load((folder / "language.yaml").read_text(encoding="utf-8")) or {}).get("stemmer") or ""
        self.shorthand = dict(matching.get("shorthand") or {})
        self.tokens = tokens
        phrases = [tuple(self.read(said.replace("*", ""))[:-1]) + (self.read(said)[-1] + "*",) if said.endswith("*")
                   else tuple(self.read(said)) for said in matching["emergency"]]
        self.crisis = CrisisCheck(phrases, Stemmer(stemmer))
        self.reader = build(frozen(load(folder / "examples.yaml")), tuple(sorted(self.shorthand.items())), stemmer)

    def read(self, text: str) -> list[str]:
        return [self.shorthand.get(word, word) for word in self.tokens(text)]

    def match(self, text: str):
        from app.matching import Kind, Match

        if self.crisis.found(self.read(text)):
            return Match(Kind.REPLY, "emergency")
        verdict = self.reader.read(text)
        from app.understanding.reader import CRISIS_THRESHOLD

        if verdict.emergency >= CRISIS_THRESHOLD:
            return Match(Kind.REPLY, "emergency")
        return Match(Kind.REPLY, verdict.label or "not_understood", also=verdict.also)


def run_method(method: str, language: str, content_root: str = "") -> dict:
    """Build one method behind the line's rules and measure it on one language (in this process)."""
    from app import content as loader
    from app.matching import Matcher, content_examples, language_stemmer
    from app.text import Stemmer
    from app.understanding.reader import Reader

    base_rss, started = rss_mb(), time.perf_counter()
    if method == "model only":
        matcher = ModelOnly(Path(content_root), language)
        decide = matcher.match
        matcher.cant_advise = "cant_advise"
    elif method == "scorer":
        from bench.legacy_matching import Matcher as Legacy

        matcher = Legacy(loader.load(ROOT / "content", language, REGIONS[language], {}))
        decide = matcher.match
    else:
        content = loader.load(ROOT / "content", language, REGIONS[language], {})
        matcher = Matcher(content)
        if method == "tfidf-svm":
            learned = {label: list(texts) for label, texts in content_examples(content).items()}
            matcher.reader = Reader(svm_classifier(learned, matcher.read, Stemmer(language_stemmer(content))))
        elif method == "wordllama":
            learned = {label: list(texts) for label, texts in content_examples(content).items()}
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
    parser.add_argument("--content", default="", help="measure this content folder's language packs, model only")
    parser.add_argument("--one", nargs=3, metavar=("METHOD", "LANGUAGE", "CONTENT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_method(*args.one)))
        return 0
    root = Path(args.content) if args.content else ROOT / "content"
    methods = ["model only"] if args.content else args.methods.split(",")
    for language in args.languages.split(","):
        if not (root / language / "examples.yaml").exists() or not (ROOT / "tests" / "eval").exists():
            print(f"### {language}: skipped (no {root}/{language}/examples.yaml or tests/eval/)\n")
            continue
        results = []
        for method in methods:
            command = [sys.executable, __file__, "--one", method, language, args.content]
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode:
                print(f"{method} {language} failed:\n{done.stderr[-2000:]}", file=sys.stderr)
                return 2
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(table(language, results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
