"""covid-xray is listed while the plugin is installed."""

from __future__ import annotations

from imgclf.testing import invoke_cli


def test_list_tasks_shows_covid_xray():
    result = invoke_cli("list", "tasks", env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "covid-xray" in result.output
    assert "reshi2021" in result.output


def test_list_shows_the_loaders_and_the_augmenter():
    out = invoke_cli("list", env={"COLUMNS": "200"}).output
    for name in ("ieee8023", "covid-xray/paper", "reshi2021"):
        assert name in out
