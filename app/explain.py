"""`flask --app app explain "text"`: what the line decided for a text, and why (for content editors)."""

import click
from flask import current_app
from flask.cli import with_appcontext

from app.understanding.reader import CLAUSE_THRESHOLD, CRISIS_THRESHOLD, THRESHOLD

TOP = 5  # labels shown with their scores


@click.command("explain")
@click.argument("text")
@click.option("--locale", default="", help="The locale to read TEXT in (default: the line's first), e.g. cy-GB.")
@with_appcontext
def explain_command(text: str, locale: str) -> None:
    """Show what the line makes of TEXT: the rule or the model's scores, and its confidence against the threshold."""
    matchers = current_app.extensions["matchers"]
    if locale and locale not in matchers:
        raise click.UsageError(f"--locale {locale!r}: this line serves {', '.join(matchers)}")
    tag = locale or next(iter(matchers))
    click.echo(f"locale:   {tag}")
    decision = matchers[tag].decide(text)
    match = decision.match
    answer = match.reply or match.kind.value
    click.echo(f"reply:    {answer}" + (f" (part {match.part})" if match.part > 1 else ""))
    if match.also:
        click.echo(f"also:     {match.also} (a second question: the reply points to it)")
    click.echo(f"decided:  {decision.rule}" + (f" ({decision.detail!r})" if decision.detail else ""))
    verdict = decision.verdict
    if verdict is None:
        click.echo("model:    not asked (a rule decided first)")
        return
    click.echo(
        f"model:    {verdict.label or 'not understood'}, confidence {verdict.confidence:.2f} "
        f"(answers from {THRESHOLD:.2f}; a clause counts from {CLAUSE_THRESHOLD:.2f})"
        + (", decided by a clause of the text" if verdict.via == "clause" else "")
    )
    click.echo(f"crisis:   emergency {verdict.emergency:.2f} (redirects from {CRISIS_THRESHOLD:.2f})")
    click.echo("scores:   " + ", ".join(f"{label} {score:.2f}" for label, score in list(verdict.scores.items())[:TOP]))
