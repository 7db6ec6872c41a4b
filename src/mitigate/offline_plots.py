"""Offline `dvc plots show`: DVC's page loads vega, vega-lite and vega-embed from a CDN, so without
a network every curve and heatmap draws blank. This writes a page template in DVC's
`--html-template` format with the three libraries inlined, taken from the pinned
django-js-lib-vega-embed package (the upstream npm builds as they are; Django itself is not used):

    python -m mitigate.offline_plots && dvc plots show --html-template dvc_plots/offline_template.html

DVC fills `{plot_divs}` with one inline `vegaEmbed(...)` call per plot and would put its CDN
<script> tags at `{scripts}`, which this template leaves out; the libraries load in <head>, before
the calls. The default path is git-ignored, and `dvc plots show` only adds index.html and static/
beside it. Not set as DVC's `plots.html_template`: while the file is missing (a fresh clone),
plain `dvc plots show` would fail with "HTML template has to contain '{plot_divs}'".
"""
import sys
from importlib.resources import files

from .core.errors import UserError
from .core.fileio import atomic_path

DEFAULT_PATH = "dvc_plots/offline_template.html"
LIBRARIES = ("vega5.js", "vega-lite5.js", "vega-embed6.js")  # in load order: each reads the globals before it
PAGE = """<!DOCTYPE html>
<html>
<head>
    <meta charset="utf-8">
    {refresh_tag}
    <title>DVC Plot</title>
<!-- libraries -->
    <style>
        table {
            border-spacing: 15px;
        }
    </style>
</head>
<body>
    {plot_divs}
</body>
</html>
"""


def template() -> str:
    static = files("js_lib_vega_embed") / "static" / "js_lib_vega_embed"
    scripts = "".join(f"<script>\n{(static / name).read_text(encoding='utf-8')}\n</script>\n" for name in LIBRARIES)
    return PAGE.replace("<!-- libraries -->\n", scripts)


def write_template(path: str = DEFAULT_PATH) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(template(), encoding="utf-8")


def main(argv: list[str]) -> None:
    if len(argv) > 1:
        raise UserError(f"usage: python -m mitigate.offline_plots [PATH] (default {DEFAULT_PATH})")
    write_template(*argv)


if __name__ == "__main__":
    from .core.stage import run_stage

    run_stage(lambda: main(sys.argv[1:]))
