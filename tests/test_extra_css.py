"""`extra_css` in the settings: the firm's stylesheet after the shipped one, on the site and in
the PDFs, without copying the templates; an edit to it reaches the next build."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import run_cli
from .support import ACME_ACCOUNT, Writer

NOTE = "---\ndate: 2026-05-04\nwith: [Ann Lee]\ncontext: problem\nopened_by: client\n---\nThe outage.\n"


def corner(pdf: Path) -> tuple[int, int, int]:
    """The colour of the last page's bottom-right corner, in the margin, drawn by PDFium."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    image = document[len(document) - 1].render(scale=0.2).to_pil().convert("RGB")
    pixel: tuple[int, int, int] = image.getpixel((image.width - 2, image.height - 2))
    return pixel


@pytest.mark.pdf
def test_extra_css_styles_the_site_and_the_pdfs(write_notes: Writer, tmp_path: Path) -> None:
    write_notes({"acme-foods/account.md": ACME_ACCOUNT, "acme-foods/2026-05-04-outage.md": NOTE})
    (tmp_path / "allyreport.toml").write_text('extra_css = "brand/brand.css"\n', "utf-8")
    (tmp_path / "brand").mkdir()
    (tmp_path / "brand/brand.css").write_text("@page { background: rgb(200, 0, 0); }\n", "utf-8")
    built = run_cli("build", "--jobs", "1", cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    out = tmp_path / "output"
    assert (out / "assets/extra.css").read_text("utf-8") == "@page { background: rgb(200, 0, 0); }\n"
    for page, root in (("index.html", ""), ("accounts/acme-foods.html", "../")):
        html = (out / page).read_text("utf-8")
        shipped, extra = html.index(f'href="{root}assets/style.css"'), html.index(f'href="{root}assets/extra.css"')
        assert shipped < extra, page  # after the shipped one, so it wins
    assert corner(out / "pdf/acme-foods-plan.pdf") == (200, 0, 0)

    (tmp_path / "brand/brand.css").write_text("@page { background: rgb(0, 0, 200); }\n", "utf-8")
    again = run_cli("build", "--jobs", "1", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert (out / "assets/extra.css").read_text("utf-8") == "@page { background: rgb(0, 0, 200); }\n"
    assert corner(out / "pdf/acme-foods-plan.pdf") == (0, 0, 200)


def test_without_extra_css_nothing_is_linked(write_notes: Writer, tmp_path: Path) -> None:
    write_notes({"acme-foods/account.md": ACME_ACCOUNT, "acme-foods/2026-05-04-outage.md": NOTE})
    assert run_cli("build", "--no-pdf", cwd=tmp_path).returncode == 0
    assert "extra.css" not in (tmp_path / "output/index.html").read_text("utf-8")
    assert not (tmp_path / "output/assets/extra.css").exists()


def test_a_missing_extra_css_is_an_error_at_its_line(write_notes: Writer, tmp_path: Path) -> None:
    write_notes({"acme-foods/account.md": ACME_ACCOUNT})
    (tmp_path / "allyreport.toml").write_text('firm = "Acme"\n\nextra_css = "brand.css"\n', "utf-8")
    result = run_cli("build", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [f"allyreport.toml:3: extra_css 'brand.css' does not exist ({tmp_path / 'brand.css'})",
                                          "1 error"]
