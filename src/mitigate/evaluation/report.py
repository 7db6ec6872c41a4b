"""The method x accuracy comparison table, as Markdown."""

COLUMNS = (("test", "unbiased"), ("test", "aligned"), ("test", "conflicting"), ("test", "worst_group"),
           ("valid", "unbiased"))
HEADERS = ("method", "unbiased", "aligned", "conflicting", "worst group", "valid")
NOTES = {"biased": "biased (GCE)", "ceiling": "ceiling (vanilla, clean labels)"}


def percent(value) -> str:
    return "-" if value is None else f"{100 * value:.2f}"


def comparison_table(results: dict[str, dict[str, dict[str, float]]], knows_groups: tuple[str, ...] = ()) -> str:
    """Rows: models; columns: test accuracy (unbiased set, its bias-aligned and bias-conflicting
    subsets, worst (target, bias) cell) and validation accuracy, in percent. Models named in
    `knows_groups` trained with the ground-truth bias attribute and are marked so."""
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    for name, result in results.items():
        cells = [percent(result.get(split, {}).get(key)) for split, key in COLUMNS]
        label = NOTES.get(name, name) + (" (knows groups)" if name in knows_groups else "")
        lines.append("| " + " | ".join([label, *cells]) + " |")
    return "\n".join(lines) + "\n"
