"""Does every slide of a reveal.js deck fit? Measured in the browser, slide by slide.

No Playwright here (`make unit` imports the browser tests' neighbours without the e2e extra): the
functions take an open Playwright page. Each slide of the deck is shown in turn (every fragment
visible) and measured against the deck's own size (reveal.js's width and height, 960 x 700):

- "overflow": the slide's content reaches below (or above) the slide and cannot be scrolled to;
- "cut": something on the slide ends beyond its right edge, or is wider than its own box (a code
  line or a table clipped on the right, or only reachable by scrolling sideways);
- "scrolls": the slide is taller than the deck and scrolls inside its box (allowed, counted).

`python tests/e2e/deck_layout.py DECK.slides.html ...` prints the counts for decks built by any version
of the course (how the overflow before and after a change was measured).
"""

from __future__ import annotations

# Show each slide (with every fragment), then measure it in the deck's own pixels.
JS_MEASURE = """async () => {
    Reveal.configure({transition: 'none', backgroundTransition: 'none'});
    const frame = () => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
    const typeset = async () => {  // the deck re-typesets a slide's formulas when it is shown
        const queue = window.MathJax && MathJax.Hub && MathJax.Hub.queue;
        for (let i = 0; queue && i < 200 && (queue.pending || queue.running); i++) await frame();
    };
    const area = document.querySelector('.reveal .slides');
    const results = [];
    for (const slide of Reveal.getSlides()) {
        const at = Reveal.getIndices(slide);
        Reveal.slide(at.h, at.v || 0, 1000);
        await frame();
        await typeset();
        await frame();
        const scale = Reveal.getScale();
        const box = area.getBoundingClientRect(), own = slide.getBoundingClientRect();
        const style = getComputedStyle(slide);
        const scrollable = ['auto', 'scroll'].includes(style.overflowY);
        const inner = slide.scrollHeight - slide.clientHeight;
        const below = Math.max(0, (own.bottom - box.bottom) / scale, (box.top - own.top) / scale);
        const wide = [];
        for (const el of slide.querySelectorAll('*')) {
            if (el.closest('aside.notes, .MJX_Assistive_MathML')) continue;  // not shown (MathJax's is for screen readers)
            const r = el.getBoundingClientRect();
            if (!r.width || !r.height) continue;
            // Wider than its box and not drawn past it: hidden, or only reached by scrolling sideways.
            const clipped = el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 2
                && getComputedStyle(el).overflowX !== 'visible';
            if (r.right > box.right + 2 || clipped) {
                wide.push((el.className && el.className.baseVal === undefined ? el.className : el.tagName)
                          .toString().slice(0, 40) + ' ' + Math.round(Math.max(
                              (r.right - box.right) / scale, el.scrollWidth - el.clientWidth)) + 'px');
            }
        }
        const title = (slide.querySelector('h1, h2, h3, h4') || slide).innerText.trim().split('\\n')[0].slice(0, 70);
        results.push({h: at.h, v: at.v || 0, title,
                      height: Math.round(Math.max(slide.scrollHeight, own.height / scale)),
                      overflow: below > 2 || (!scrollable && inner > 2) ? Math.round(Math.max(below, inner)) : 0,
                      scrolls: scrollable && inner > 2, cut: wide.slice(0, 3)});
    }
    return results;
}"""


def measure_deck(page) -> list[dict]:
    """One row per slide of the deck open in ``page``: where it is, its title, its height in the deck's
    pixels, how far it overflows (0: it fits or scrolls), whether it scrolls, what is cut at the right."""
    page.wait_for_function(
        "() => Boolean(window.Reveal && Reveal.isReady && Reveal.isReady())", timeout=30_000
    )
    page.wait_for_function(
        "() => Boolean(window.MathJax && MathJax.Hub && MathJax.Hub.queue "
        "&& !MathJax.Hub.queue.pending && !MathJax.Hub.queue.running)",
        timeout=60_000,
    )
    page.wait_for_timeout(500)  # the scripts that lay the slides out, run on reveal.js's 'ready'
    return page.evaluate(JS_MEASURE)


def summary(rows: list[dict]) -> str:
    """``N slides: O overflow, C cut at the right, S scroll``."""
    overflow = sum(1 for r in rows if r["overflow"])
    cut = sum(1 for r in rows if r["cut"])
    scrolls = sum(1 for r in rows if r["scrolls"])
    return f"{len(rows)} slides: {overflow} overflow, {cut} cut at the right, {scrolls} scroll"


if __name__ == "__main__":
    import sys
    from pathlib import Path

    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            headless=True,
            args=["--no-sandbox", "--disable-gpu"],
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        totals: list[dict] = []
        for deck in sys.argv[1:]:
            page.goto(Path(deck).resolve().as_uri())
            rows = measure_deck(page)
            totals += rows
            print(f"{Path(deck).name}: {summary(rows)}")
            for row in rows:
                if row["overflow"] or row["cut"] or row["scrolls"]:
                    print(
                        f"    {row['h']}.{row['v']} {row['title']!r}: height {row['height']}, "
                        f"overflow {row['overflow']}, cut {row['cut']}"
                        + (", scrolls" if row["scrolls"] else "")
                    )
        print(f"all decks: {summary(totals)}")
        browser.close()
