"""One locale's content: a language pack read for one region, filled, and frozen into one value."""

import types
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from app.content.loading import ContentError, build, for_region, read_yaml
from app.content.pages import WebWords
from app.content.placeholders import fill_all
from app.content.schema import (
    Fallback,
    GuideFile,
    Language,
    LineFile,
    Matching,
    Region,
    SmsWords,
    Topic,
    VoiceWords,
    WhatsAppWords,
)

EMERGENCY = "emergency"  # the reply id of the emergency redirect, which regions.yaml words


@dataclass(frozen=True)
class Locale:
    """Everything the line says and listens for in one language and region, and how it speaks there."""

    tag: str  # "en-GB"
    language: Language
    region: Region
    line_name: str
    operator: str
    topics: Mapping[str, Topic]  # guide and line topics, plus the emergency redirect
    sms_menu: tuple[str, ...]
    sms: SmsWords
    whatsapp: WhatsAppWords
    voice: VoiceWords
    fallback: Fallback
    matching: Matching
    web: WebWords
    examples: Mapping[str, tuple[str, ...]]
    sources: Mapping[str, str]  # topic id -> the file it came from, for error messages

    @property
    def language_code(self) -> str:
        """The language part of the tag: "en"."""
        return self.tag.split("-")[0]

    def file(self, name: str) -> str:
        """How a file of this locale's pack is named in messages."""
        return f"content/{self.language_code}/{name}.yaml"


def read_language(content_dir: str | Path, code: str) -> Language:
    """A language pack's language.yaml."""
    shown = f"content/{code}/language.yaml"
    return build(Language, read_yaml(Path(content_dir) / code / "language.yaml", shown), shown, "")


def read_matching(content_dir: str | Path, code: str) -> Matching:
    """A pack's matching.yaml as its first region reads it: for the crisis phrases of a pack no locale serves."""
    root, shown, where = Path(content_dir) / code, f"content/{code}/matching.yaml", f"content/{code}/regions.yaml"
    regions = build(Mapping[str, Region], read_yaml(root / "regions.yaml", where), where, "")
    data = for_region(read_yaml(root / "matching.yaml", shown), next(iter(regions), ""), regions, shown)
    return build(Matching, data, shown, "")


def load_locale(content_dir: str | Path, tag: str, settings: Mapping[str, str]) -> Locale:
    """Read one language pack for one region, fill its placeholders and return the locale."""
    code, region_code = tag.split("-")
    root = Path(content_dir) / code
    shown = {name: f"content/{code}/{name}.yaml" for name in ("guide", "line", "regions", "matching", "web")}
    regions = build(Mapping[str, Region], read_yaml(root / "regions.yaml", shown["regions"]), shown["regions"], "")
    if region_code not in regions:
        raise ContentError(shown["regions"], "", f"no region {region_code!r} for {tag} (have: {', '.join(regions)})")

    def read(name: str, kind):
        """One file of the pack, as seen from this locale's region."""
        data = for_region(read_yaml(root / f"{name}.yaml", shown[name]), region_code, regions, shown[name])
        return build(kind, data, shown[name], "")

    guide, line = read("guide", GuideFile), read("line", LineFile)
    matching, web = read("matching", Matching), read("web", WebWords)
    sources = topic_sources(guide, line, shown)
    region = regions[region_code]
    values = {
        "line_name": line.line_name,
        "operator": settings.get("operator") or line.operator,
        "emergency_number": region.emergency_number,
        "emergency_spoken": region.emergency_spoken,
        "menu": "{menu}",  # the list of keywords, composed by each channel
        **region.values,
    }
    region = fill_all(region, values, shown["regions"], region_code)
    topics = {
        topic_id: fill_all(topic, values, sources[topic_id], f"topics.{topic_id}")
        for topic_id, topic in {**guide.topics, **line.topics}.items()
    }
    topics[EMERGENCY] = Topic(title=EMERGENCY, sms=(region.emergency.sms,), voice=region.emergency.voice)
    web_values = values | {"keyword": topics["menu"].keyword if "menu" in topics else "", "number": settings["number"]}
    return Locale(
        tag=tag,
        language=read_language(content_dir, code),
        region=region,
        line_name=line.line_name,
        operator=values["operator"],
        topics=types.MappingProxyType(topics),
        sms_menu=line.sms_menu,
        sms=fill_all(line.sms, values, shown["line"], "sms"),
        whatsapp=fill_all(line.whatsapp, values, shown["line"], "whatsapp"),
        voice=fill_all(line.voice, values, shown["line"], "voice"),
        fallback=fill_all(line.fallback, values, shown["line"], "fallback"),
        matching=matching,
        web=fill_all(web, web_values, shown["web"]),
        examples=read_examples(root, code),
        sources=types.MappingProxyType(sources | {EMERGENCY: shown["regions"]}),
    )


def topic_sources(guide: GuideFile, line: LineFile, shown: Mapping[str, str]) -> dict[str, str]:
    """Which file each topic comes from; a topic id used twice, or the reserved one, is refused."""
    sources: dict[str, str] = {}
    for file, topics in ((shown["guide"], guide.topics), (shown["line"], line.topics)):
        for topic_id in topics:
            if topic_id in sources or topic_id == EMERGENCY:
                used = sources.get(topic_id, "regions.yaml (the emergency redirect)")
                raise ContentError(file, f"topics.{topic_id}", f"topic id is already used in {used}")
            sources[topic_id] = file
    return sources


def read_examples(root: Path, code: str) -> Mapping[str, tuple[str, ...]]:
    """examples.yaml: texts in patients' own words for each reply, which the understanding learns from."""
    shown = f"content/{code}/examples.yaml"
    path = root / "examples.yaml"
    if not path.exists():
        return types.MappingProxyType({})
    return build(Mapping[str, tuple[str, ...]], read_yaml(path, shown), shown, "")
