from __future__ import annotations

from checks import Row, table


def test_a_row_passes_only_when_every_count_that_must_be_zero_is():
    good = Row("crash loop", "sqlite, CLI", 500, {"lost": 0, "half-written": 0})
    bad = Row("crash loop", "sqlite, CLI", 500, {"lost": 1, "half-written": 0}, {"kills": 500})
    assert good.ok and not bad.ok
    text = table([good, bad])
    assert "| crash loop | sqlite, CLI | 500 | lost 0, half-written 0 | — | pass |" in text
    assert "lost 1" in text and "kills 500" in text and "**FAIL**" in text
