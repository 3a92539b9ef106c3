"""Uploaded and plan text is shown as typed on every page: no Markdown, HTML, KaTeX or image link forms.

The store carries payloads in every name and free-text field of every report kind, in file and uploader
names, and in the plan (``tests/payloads.py``). Each page is run with the payload county selected; every
element that reads Markdown (markdown, captions, titles, alerts, metric labels and help, expander and tab
labels, widget labels and help, st.table cells, column help) must not hold a payload unescaped — and the
payload must be there, escaped, where the page names the county or the unit.
"""

from __future__ import annotations

import json
import re

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.ui import plain
from tests.apptest import app
from tests.payloads import DANGEROUS, NAME, PERIOD, load_payloads

PAGES = ["pages/overview.py", "pages/map.py", "pages/targets.py", "pages/accountability.py", "pages/upload.py",
         "pages/plan.py"]


@pytest.fixture
def payload_city(demo_store):
    return load_payloads(demo_store)


def markdown_texts(at: AppTest) -> list[tuple[str, str]]:
    """(element, text) of everything on the page that Streamlit renders as Markdown."""
    out: list[tuple[str, str]] = []
    for kind in ("markdown", "caption", "title", "header", "subheader", "info", "warning", "error", "success"):
        out += [(kind, e.value) for e in getattr(at, kind)]
    out += [("metric", m.label) for m in at.metric] + [("metric help", m.proto.help) for m in at.metric]
    out += [("expander", e.label) for e in at.expander] + [("tab", t.label) for t in at.tabs]
    for kind in ("button", "selectbox", "multiselect", "text_input", "file_uploader"):
        for widget in getattr(at, kind, []):
            out += [(kind, widget.label), (f"{kind} help", widget.help or "")]
    for button in at.get("download_button"):
        out += [("download_button", button.proto.label), ("download_button help", button.proto.help)]
    for table in at.table:
        frame = table.value
        out += [("table", str(v)) for v in [*frame.index, *frame.to_numpy().ravel()]]
    for frame in at.dataframe:
        config = json.loads(frame.proto.columns or "{}")
        out += [("column help", str(c.get("help", ""))) for c in config.values() if isinstance(c, dict)]
    return out


def unescaped(markdown: str) -> str:
    """The text a Markdown renderer works on once backslash escapes are resolved (GFM autolinks look here)."""
    return re.sub(r"\\(.)", r"\1", markdown)


def shown(markdown: str) -> str:
    """What the reader sees: escapes resolved, invisible word joiners gone."""
    return unescaped(markdown).replace("\u2060", "")


def assert_literal(at: AppTest, page: str) -> list[str]:
    """No payload unescaped anywhere; returns what the reader sees of each Markdown text."""
    assert not at.exception, [e.value for e in at.exception]
    texts = markdown_texts(at)
    for where, text in texts:
        for fragment in DANGEROUS:
            assert fragment not in text, f"{page} {where}: {text[:200]}"
        assert "://evil" not in unescaped(text), f"{page} {where}: a bare link would be autolinked: {text[:200]}"
    return [shown(t) for _, t in texts]


def _open(page: str, county: str | None = None) -> AppTest:
    at = app(90)
    at.query_params["month"] = PERIOD  # the payloads were uploaded for this month, still 报送中
    if county:
        at.query_params["county"] = county
    at.run()
    at.switch_page(page).run()
    return at


@pytest.mark.parametrize("page", PAGES)
def test_every_page_shows_payloads_literally(payload_city, page):
    at = _open(page, payload_city.county_code)
    assert_literal(at, page)


def test_the_county_name_is_shown_escaped_where_the_view_is_named(payload_city):
    for page in ("pages/overview.py", "pages/map.py", "pages/targets.py", "pages/accountability.py"):
        at = _open(page, payload_city.county_code)
        seen = assert_literal(at, page)
        assert any(payload_city.county in s for s in seen), page
        assert any(plain(payload_city.county) in c.value for c in at.caption), page


def test_the_measure_detail_shows_plan_and_report_text_literally(payload_city):
    at = _open("pages/accountability.py")
    at.selectbox(key="acc_measure").set_value(10).run()
    seen = assert_literal(at, "accountability detail")
    assert f"10. {payload_city.measure_title}" in seen
    assert any(payload_city.unit in s for s in seen)
    history = next(d.value for d in at.dataframe if "本月进展" in d.value.columns)
    assert any(text.startswith(NAME) for text in history["本月进展"])  # dataframes show text as it is


def test_the_upload_page_names_the_payload_county_literally(payload_city):
    at = _open("pages/upload.py")
    at.selectbox(key="up_county").set_value(payload_city.county_code).run()
    seen = assert_literal(at, "upload")
    assert any(f"已预填{payload_city.county}名录" in s for s in seen)
    history = next(d.value for d in at.dataframe if "版本号" in d.value.columns)
    assert ("月报" + NAME + ".xlsx") in set(history["文件"])


def test_plain_escapes_every_ascii_punctuation_mark():
    punctuation = "".join(chr(c) for c in range(33, 127) if not chr(c).isalnum())
    assert plain(punctuation).replace("\u2060", "") == "".join("\\" + ch for ch in punctuation)
    assert plain("清源市 东城区") == "清源市 东城区"
    assert shown(plain(NAME)) == NAME


@pytest.mark.parametrize("text", ["http://evil.example/x", "HTTPS://EVIL.EXAMPLE", "www.evil.example", "a@evil.example"])
def test_plain_breaks_bare_links_invisibly(text):
    """GFM links bare URLs and e-mail addresses even when escaped; a word joiner keeps them text."""
    resolved = unescaped(plain(text))
    assert resolved != text and resolved.replace("\u2060", "") == text
    assert not re.search(r"(?i)https?://|www\.|[-.\w+]@", resolved)
