from mitigate.core.curves import Curves
from mitigate.noisy.memorization_figure import draw_memorization, read_memorization


def test_reads_the_curves_fit_logs_and_draws_a_panel_per_method(tmp_path):
    curves = Curves()
    for epoch, (true, noisy) in enumerate([(0.6, 0.1), (0.4, 0.5)]):
        curves.log(epoch, {"memorization/true_label": true, "memorization/noisy_label": noisy,
                           "memorization/other": 1 - true - noisy, "train/loss": 1.0})
    curves.save(tmp_path / "vanilla")
    series = read_memorization(tmp_path / "vanilla")
    assert list(series["true_label"]) == [0.6, 0.4] and list(series["noisy_label"].index) == [0, 1]
    assert read_memorization(tmp_path / "clean_run") is None
    draw_memorization(tmp_path / "m.png", {"vanilla": series, "elr": None})
    assert (tmp_path / "m.png").read_bytes()[:4] == b"\x89PNG"
