"""The respondent pages' layout in Chromium at a small phone and a desktop width: the 0–10 scale in one
row inside its card, stars visible enough when unselected, no word split across lines in the review book."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import screenshot, settled_box

WIDTHS = (320, 390, 1280)


def _page_at(browser, width: int):
    context = browser.new_context(locale="ru-RU", viewport={"width": width, "height": 900})
    return context, context.new_page()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_0_to_10_scale_is_one_row_inside_its_card(browser, survey_link, width):
    context, page = _page_at(browser, width)
    try:
        page.goto(survey_link)
        card = settled_box(page, page.locator("#q-nps"))
        boxes = [page.locator(f"#q-nps label.scale-option:has(input[value='{n}'])").bounding_box() for n in range(11)]
        screenshot(page, f"respondent-nps-{width}")
        assert len({round(box["y"]) for box in boxes}) == 1, boxes  # one row
        right = boxes[-1]["x"] + boxes[-1]["width"]
        assert boxes[0]["x"] >= card["x"] - 0.5 and right <= card["x"] + card["width"] + 0.5
        assert min(box["width"] for box in boxes) >= 24 and min(box["height"] for box in boxes) >= 48
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing sticks out sideways
    finally:
        context.close()


def _luminance(rgb: str) -> float:
    channels = [int(part) / 255 for part in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_unselected_stars_have_at_least_3_to_1_contrast(browser, survey_link):
    """WCAG 1.4.11 (non-text contrast, 3:1) with the WCAG 2 relative-luminance formula."""
    context, page = _page_at(browser, 390)
    try:
        page.goto(survey_link)
        page.locator("#q-overall label.scale-option:has(input[value='5'])").click()
        page.get_by_role("button", name="Далее").click()
        page.locator("#q-wait .star").first.wait_for()
        star = page.eval_on_selector("#q-wait .star", "el => getComputedStyle(el).color")
        card = page.eval_on_selector("#q-wait", "el => getComputedStyle(el).backgroundColor")
        lighter, darker = sorted((_luminance(star), _luminance(card)), reverse=True)
        assert (lighter + 0.05) / (darker + 0.05) >= 3, (star, card)
    finally:
        context.close()


SPLIT_WORDS = """
els => {
  const split = [];
  for (const el of els) {
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const re = /[\\p{L}\\p{N}]+/gu;
      let m;
      while ((m = re.exec(node.textContent)) !== null) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
        if (tops.size > 1) split.push(m[0]);
      }
    }
  }
  return split;
}
"""


@pytest.mark.parametrize("width", WIDTHS)
def test_no_word_is_split_across_lines_on_the_review_form(browser, live_server, width):
    context, page = _page_at(browser, width)
    try:
        page.goto(f"{live_server.url}/reviews/KUR/new")
        split = page.eval_on_selector_all("main label, main legend, main h1, main p", SPLIT_WORDS)
        screenshot(page, f"review-form-{width}")
        assert split == []
    finally:
        context.close()
