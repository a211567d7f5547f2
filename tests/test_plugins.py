"""Plugin loading, isolation of broken plugins, IMGCLF_LOAD_PLUGINS, hook coverage."""

import inspect
import re
from pathlib import Path

import pytest

from imgclf import TaskSpec, hookimpl
from imgclf import _hookspecs as hookspecs
from imgclf import _plugins as plugins
from imgclf._plugins import PluginWarning
from imgclf.errors import PluginError


class FakeDist:
    def __init__(self, name):
        self.name, self.version = name, "9.9"


class FakeEntryPoint:
    def __init__(self, name, target):
        self.name, self.dist, self._target = name, FakeDist(f"dist-{name}"), target

    def load(self):
        if isinstance(self._target, Exception):
            raise self._target
        return self._target


class GoodPlugin:
    @hookimpl
    def register_tasks(self, register):
        register("good-task", TaskSpec("good-task", ("a", "b")))


class RaisingHook:
    @hookimpl
    def register_models(self, register):
        raise RuntimeError("boom in hook")


@pytest.fixture
def fake_entry_points(monkeypatch):
    """Replace installed entry points with fakes; reload plugins before and after."""

    def install(*eps):
        monkeypatch.setattr(plugins.metadata, "entry_points", lambda group: list(eps))
        plugins.reset()

    yield install
    monkeypatch.undo()
    plugins.reset()


def test_broken_import_is_reported_and_others_load(fake_entry_points):
    fake_entry_points(
        FakeEntryPoint("bad", ImportError("no module named nothing")),
        FakeEntryPoint("good", GoodPlugin()),
    )
    with pytest.warns(PluginWarning, match="'bad' is broken: import failed"):
        regs = plugins.registries()
    assert "good-task" in regs["tasks"]
    infos = {i.name: i for i in plugins.plugin_infos()}
    assert infos["bad"].status == "broken" and infos["good"].status == "ok"
    assert infos["good"].hooks == ["register_tasks"] and infos["good"].version == "9.9"
    assert (infos["good"].distribution, infos["bad"].distribution) == ("dist-good", "dist-bad")


def test_raising_hook_is_isolated(fake_entry_points):
    fake_entry_points(FakeEntryPoint("raiser", RaisingHook()), FakeEntryPoint("good", GoodPlugin()))
    with pytest.warns(PluginWarning, match="register_models: boom in hook"):
        regs = plugins.registries()
    assert "good-task" in regs["tasks"] and "folder" in regs["datasets"]
    assert {i.name: i.status for i in plugins.plugin_infos()}["raiser"] == "broken"


def test_load_plugins_env_limits(fake_entry_points, monkeypatch):
    monkeypatch.setenv("IMGCLF_LOAD_PLUGINS", "good")
    fake_entry_points(FakeEntryPoint("bad", ImportError("x")), FakeEntryPoint("good", GoodPlugin()))
    regs = plugins.registries()  # no warning: 'bad' is never imported
    assert "good-task" in regs["tasks"]
    assert "bad" not in {i.name for i in plugins.plugin_infos()}
    monkeypatch.setenv("IMGCLF_LOAD_PLUGINS", "")
    plugins.reset()
    assert plugins.registries()["tasks"].names() == ["classify"]  # only the built-in task
    assert "csv" in plugins.registries()["datasets"]  # default plugins always load


def test_clash_is_reported(fake_entry_points):
    fake_entry_points(FakeEntryPoint("one", GoodPlugin()), FakeEntryPoint("two", GoodPlugin()))
    tasks = plugins.registries()["tasks"]  # no plugin is broken by the other
    with pytest.raises(PluginError, match="registered by more than one plugin \\(.* and .*\\)"):
        tasks.get("good-task")
    assert tasks.get("one:good-task") is not tasks.get("two:good-task")
    assert {i.name: i.status for i in plugins.plugin_infos()}["two"] == "ok"


def test_load_is_idempotent():
    plugins.load()
    before = len(plugins.pm.get_plugins())
    plugins.load()
    assert len(plugins.pm.get_plugins()) == before


def test_hookspecs_check_pending():
    plugins.load()
    plugins.pm.check_pending()


def test_plugin_hooks_have_tests():
    """Every hookspec has a test named test_hook_<name> somewhere in the test suites."""
    names = [
        n for n, f in inspect.getmembers(hookspecs, inspect.isfunction) if hasattr(f, "imgclf_spec")
    ]
    root = Path(__file__).resolve().parents[1]
    text = "\n".join(
        p.read_text() for p in [*root.glob("tests/*.py"), *root.glob("plugins/*/tests/*.py")]
    )
    missing = [n for n in names if not re.search(rf"def test_hook_{n}\b", text)]
    assert names and not missing, f"hooks without a test_hook_<name> test: {missing}"
