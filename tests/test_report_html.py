"""report.html: one self-contained file with every check, its numbers and its figures."""

from __future__ import annotations

import base64
import dataclasses
import functools
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest

from validation import suite
from validation.calibration.sbc_exact import ExactSbcSettings, run_kappa_pit
from validation.catalogue import CATALOGUE
from validation.report.writer import write_report


class _Page(HTMLParser):
    """Every src/href/link/script of the page, and the images inside each check section."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.tags: list[str] = []
        self.section: str | None = None
        self.images: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append(tag)
        self.urls += [v for k, v in attrs if k in ("src", "href") and v]
        if tag == "section":
            self.section = a.get("id")
        if tag == "img" and self.section:
            self.images.setdefault(self.section, []).append(a.get("src") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self.section = None


@pytest.fixture(scope="module")
def audit_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small run: SBC of kappa (figures) on the production and on a catalogue bug's
    candidate (a failure), and an exact EWMA check (no figure)."""
    by_name = suite.checks_by_name()
    kappa = dataclasses.replace(
        by_name["sbc.kappa_pit"],
        run=functools.partial(run_kappa_pit, settings=ExactSbcSettings(n_replications=200)),
    )
    good = suite.run_checks([kappa, by_name["exact.ewma_weights"]], base_seed=1)
    bug = next(e for e in CATALOGUE if e.caught_by == "sbc.kappa_pit")
    bad = suite.run_checks([kappa], base_seed=2, candidates={"kappa": bug.candidate})
    bad.results[0].name = "sbc.kappa_pit.on_bug"
    run = suite.SuiteRun(results=good.results + bad.results, seconds=1.0)
    out = tmp_path_factory.mktemp("audit")
    paths = write_report(out, "quick", 1, run, started=0.0)
    assert [p.name for p in paths] == ["report.json", "report.md", "report.html"]
    return out


def _page(audit_dir: Path) -> _Page:
    page = _Page()
    page.feed((audit_dir / "report.html").read_text())
    return page


def test_the_page_fetches_nothing(audit_dir: Path) -> None:
    page = _page(audit_dir)
    assert not [u for u in page.urls if re.match(r"\s*(https?:)?//", u, re.I)]
    embedded = ("data:image/png;base64,", "data:text/csv;base64,", "#")
    assert all(u.startswith(embedded) for u in page.urls), page.urls
    assert "link" not in page.tags and "script" not in page.tags


def test_every_check_has_its_section_and_the_figures_report_md_has(audit_dir: Path) -> None:
    page = _page(audit_dir)
    markdown = (audit_dir / "report.md").read_text()
    per_check = re.split(r"^### `([^`]+)` \(", markdown, flags=re.M)
    md_figures = {
        name: re.findall(r"!\[[^]]*\]\((plots/[^)]+\.png)\)", body)
        for name, body in zip(per_check[1::2], per_check[2::2], strict=True)
    }
    assert set(md_figures) == {"sbc.kappa_pit", "exact.ewma_weights", "sbc.kappa_pit.on_bug"}
    assert md_figures["sbc.kappa_pit"], "the SBC check should have figures"
    html = (audit_dir / "report.html").read_text()
    for name, files in md_figures.items():
        anchor = "check-" + re.sub(r"[^0-9A-Za-z]", "-", name)
        assert f'id="{anchor}"' in html and f'href="#{anchor}"' in html
        embedded = [base64.b64decode(s.split(",", 1)[1]) for s in page.images.get(anchor, [])]
        assert embedded == [(audit_dir / f).read_bytes() for f in files], name


def test_numbers_verdicts_environment_and_seeds_are_on_the_page(audit_dir: Path) -> None:
    import json

    report = json.loads((audit_dir / "report.json").read_text())
    html = (audit_dir / "report.html").read_text()
    statuses = {c["name"]: c["status"] for c in report["checks"]}
    assert statuses["sbc.kappa_pit"] == "pass" and statuses["sbc.kappa_pit.on_bug"] == "fail"
    assert '<span class="fail">fail</span>' in html
    for c in report["checks"]:
        assert f"<td>{c['seed']}</td>" in html
        assert f"{c['statistic']:.4g}" in html
        assert c["candidate"] in html
    assert report["environment"]["packages"]["numpy"] in html
    assert f"<code>{report['command']}</code>" in html


CHROMIUM = Path("/usr/bin/chromium")


def _chromium(audit_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--user-data-dir={audit_dir / 'chromium-profile'}",
            *args,
            (audit_dir / "report.html").as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium (.ci/run installs it)")
def test_headless_chromium_renders_every_check_with_its_figures(audit_dir: Path) -> None:
    """The browser's DOM has every section with its images; the screenshot shows the plots
    (matplotlib's orange coverage markers, a colour the page's own styles never use)."""
    dom = _chromium(audit_dir, "--dump-dom").stdout
    page = _Page()
    page.feed(dom)
    assert {k: len(v) for k, v in page.images.items()} == {  # ECDF, coverage, recovery
        "check-sbc-kappa-pit": 3,
        "check-sbc-kappa-pit-on-bug": 3,
    }
    assert 'id="check-exact-ewma-weights"' in dom
    shot = audit_dir / "screenshot.png"
    _chromium(audit_dir, "--hide-scrollbars", "--window-size=1200,5000", f"--screenshot={shot}")
    pixels = np.asarray(plt.imread(shot))[..., :3]
    assert pixels.shape[:2] == (5000, 1200)
    orange = (pixels[..., 0] > 0.9) & (np.abs(pixels[..., 1] - 0.5) < 0.1) & (pixels[..., 2] < 0.2)
    assert orange.sum() > 100
    assert (pixels.min(axis=-1) < 0.5).mean() > 0.005  # text, tables and lines were drawn


def test_sbc_sections_show_the_per_replication_table_and_embed_its_csv(audit_dir: Path) -> None:
    import csv
    import io
    import json

    html = (audit_dir / "report.html").read_text()
    report = json.loads((audit_dir / "report.json").read_text())
    pit = next(c for c in report["checks"] if c["name"] == "sbc.kappa_pit")["details"]["pit"]
    csv_file = audit_dir / "tables" / "sbc_kappa_pit_replications.csv"
    rows = list(csv.reader(io.StringIO(csv_file.read_text())))
    assert rows[0] == [
        "replication",
        "theta",
        "posterior_mean",
        "posterior_sd",
        "z",
        "PIT",
        "usable",
    ]
    assert len(rows) == 1 + 200 and [float(r[5]) for r in rows[1:]] == pit
    embedded = re.findall(
        r'download="sbc_kappa_pit_replications.csv" href="data:text/csv;base64,([^"]+)"', html
    )
    assert [base64.b64decode(e) for e in embedded] == [csv_file.read_bytes()]
    assert "Per replication (replications): 200 rows" in html
    assert "<td>...</td>" in html and "<td>199</td>" in html and "<td>200</td>" not in html
    markdown = (audit_dir / "report.md").read_text()
    assert (
        "[tables/sbc_kappa_pit_replications.csv](tables/sbc_kappa_pit_replications.csv)" in markdown
    )
    assert not (audit_dir / "tables" / "exact_ewma_weights_replications.csv").exists()


def test_checks_with_a_stored_severity_row_show_it(audit_dir: Path) -> None:
    from validation.calibration.severity import load_table

    stored = load_table()["sbc.kappa_pit"]
    html = (audit_dir / "report.html").read_text()
    section = html.split('id="check-sbc-kappa-pit"')[1].split("</section>")[0]
    assert "Severity: smallest miscalibration detected" in section
    for row in stored:
        assert f"<td>{row.detected[0.8]:.4g}</td>" in section and row.command in section
    ewma = html.split('id="check-exact-ewma-weights"')[1].split("</section>")[0]
    assert "Severity" not in ewma
    markdown = (audit_dir / "report.md").read_text()
    assert (
        f"| {stored[0].direction} | {stored[0].distortion} | {stored[0].detected[0.8]:.4g}"
        in markdown
    )
