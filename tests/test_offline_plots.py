"""Offline plots: the template inlines vega, vega-lite and vega-embed, and `dvc plots show` fills it
into a page that loads nothing from the network."""
import subprocess
import sys
from importlib.resources import files

from dvc_render.vega import VegaRenderer
from imports import ROOT
from tiny_project import project_environment

from mitigate.offline_plots import DEFAULT_PATH, LIBRARIES, write_template


def test_template_inlines_the_libraries_dvc_would_load_from_a_cdn(tmp_path):
    path = tmp_path / "template.html"
    write_template(str(path))
    page = path.read_text(encoding="utf-8")
    assert page.count("{plot_divs}") == 1
    assert "{scripts}" not in page  # where DVC would put its CDN <script src=...> tags
    assert "<script src" not in page
    assert page.count("</script>") == len(LIBRARIES)  # no library closes its <script> early
    static = files("js_lib_vega_embed") / "static" / "js_lib_vega_embed"
    for name in LIBRARIES:
        assert (static / name).read_text(encoding="utf-8") in page
    assert "vegaEmbed(" in VegaRenderer.DIV and ".vegaEmbed=" in page  # the global DVC's plot divs call


def test_dvc_plots_show_renders_without_cdn_references(tmp_path):
    env = project_environment(ROOT)

    def run(*args: str) -> None:
        subprocess.run(args, cwd=tmp_path, env=env, check=True, capture_output=True)

    (tmp_path / "curve.tsv").write_text("epoch\tloss\n0\t1.0\n1\t0.5\n")
    (tmp_path / "dvc.yaml").write_text("plots:\n  - curve.tsv:\n      x: epoch\n")
    run("git", "init", "-q")
    run("dvc", "init", "-q")
    run(sys.executable, "-m", "mitigate.offline_plots")
    run("dvc", "plots", "show", "--html-template", DEFAULT_PATH)
    page = (tmp_path / "dvc_plots" / "index.html").read_text(encoding="utf-8")
    assert "vegaEmbed('#curve_tsv', spec)" in page
    assert "<script src" not in page and "cdn." not in page
    assert (tmp_path / DEFAULT_PATH).is_file()  # dvc plots show leaves the template beside its page
