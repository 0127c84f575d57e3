"""Automated accessibility checks of a page in the browser tests.

axe-core (vendored in tests/browser/vendor, never served) runs its WCAG 2.0/2.1 level A and AA
rules: labels on form fields, alt text, contrast, a valid lang attribute, landmarks. We add what
axe does not insist on: exactly one h1, and a visible focus indicator (see `focus_is_visible`).
"""

from pathlib import Path

from playwright.sync_api import Page

AXE_JS = Path(__file__).resolve().parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]

_RUN_AXE = """async (tags) => {
  const results = await axe.run(document, {runOnly: {type: "tag", values: tags},
                                           resultTypes: ["violations"]});
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => n.target.join(" ") + ": " + n.failureSummary),
  }));
}"""

_OWN_CHECKS = """() => {
  const problems = [];
  const lang = document.documentElement.getAttribute("lang") || "";
  if (!/^[a-z]{2}(-[A-Za-z]{2})?$/.test(lang)) problems.push(`html lang is "${lang}"`);
  const h1s = document.querySelectorAll("h1").length;
  if (h1s !== 1) problems.push(`${h1s} h1 headings (want exactly one)`);
  if (!document.title.trim()) problems.push("empty title");
  for (const img of document.querySelectorAll("img:not([alt])")) {
    problems.push(`img without alt: ${img.src}`);
  }
  for (const field of document.querySelectorAll("input, select, textarea")) {
    if (field.type === "hidden") continue;
    const labelled = field.labels?.length || field.getAttribute("aria-label")
      || field.getAttribute("aria-labelledby");
    if (!labelled) problems.push(`form field without a label: ${field.outerHTML.slice(0, 120)}`);
  }
  return problems;
}"""

_FOCUS_STYLE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  return {tag: el.tagName, id: el.id, outlineStyle: style.outlineStyle,
          outlineWidth: parseFloat(style.outlineWidth), boxShadow: style.boxShadow};
}"""


def accessibility_problems(page: Page) -> list[str]:
    """What axe-core and our own checks find wrong with the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    problems = [
        f"{v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["nodes"])
        for v in page.evaluate(_RUN_AXE, AXE_TAGS)
    ]
    return problems + page.evaluate(_OWN_CHECKS)


def assert_accessible(page: Page) -> None:
    problems = accessibility_problems(page)
    assert problems == [], f"accessibility problems on {page.url}:\n" + "\n".join(problems)


def focus_is_visible(page: Page) -> bool:
    """The element that has keyboard focus shows an outline or a focus ring."""
    style = page.evaluate(_FOCUS_STYLE)
    assert style is not None, "nothing has focus"
    outlined = style["outlineStyle"] != "none" and style["outlineWidth"] >= 2
    return outlined or style["boxShadow"] not in ("", "none")
