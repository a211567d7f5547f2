"""Hooks documented as pytest documents them (typed, a docstring per hook), and
IMGCLF_TRACE_PLUGINS=1 showing which plugin answered which hook."""

import ast
import inspect
import typing

import pytest
from click.testing import CliRunner

from imgclf import _hookspecs as hookspecs
from imgclf import _plugins as plugins
from imgclf import hookimpl
from imgclf._cli import cli
from imgclf.testing import plugin_registered, tiny_model

SPECS = [
    f for _, f in inspect.getmembers(hookspecs, inspect.isfunction) if hasattr(f, "imgclf_spec")
]


def type_checking_names() -> dict:
    """Run the module's ``if TYPE_CHECKING:`` block, so its annotations can be resolved."""
    tree = ast.parse(inspect.getsource(hookspecs))
    (block,) = [
        n for n in tree.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING"
    ]
    namespace = {**vars(hookspecs), "__package__": "imgclf"}
    exec(compile(ast.Module(block.body, []), hookspecs.__file__, "exec"), namespace)
    return namespace


@pytest.mark.parametrize("spec", SPECS, ids=lambda f: f.__name__)
def test_hookspec_is_typed_and_the_types_resolve(spec):
    """Every parameter and the return are annotated, and the names exist (no drift after
    a module moves: the TYPE_CHECKING imports are never run otherwise)."""
    signature = inspect.signature(spec)
    assert signature.return_annotation is not inspect.Signature.empty
    assert all(p.annotation is not p.empty for p in signature.parameters.values())
    hints = typing.get_type_hints(spec, globalns=type_checking_names())
    assert set(hints) == {*signature.parameters, "return"}


@pytest.mark.parametrize("spec", SPECS, ids=lambda f: f.__name__)
def test_hookspec_docstring_names_params_and_return(spec):
    doc = inspect.getdoc(spec) or ""
    assert "Args:" in doc and "Returns:" in doc, f"{spec.__name__}: no Args/Returns sections"
    for name in inspect.signature(spec).parameters:
        assert f"    {name}: " in doc, f"{spec.__name__}: parameter {name!r} undocumented"


class Traced:
    @hookimpl
    def register_models(self, register):
        register("traced-net", tiny_model)

    @hookimpl
    def extra_callbacks(self, config):
        return []


@pytest.fixture
def tracing(monkeypatch):
    """Plugins reloaded with IMGCLF_TRACE_PLUGINS=1; reloaded without it afterwards."""
    monkeypatch.setenv("IMGCLF_TRACE_PLUGINS", "1")
    plugins.reset()
    try:
        with plugin_registered(Traced(), "traced-plugin"):
            yield
    finally:
        monkeypatch.delenv("IMGCLF_TRACE_PLUGINS")
        plugins.reset()


def test_trace_names_the_hook_and_the_plugin_that_answered(tracing, capsys):
    plugins.registries()
    plugins.callbacks_for(None, None)
    err = capsys.readouterr().err
    assert "imgclf trace: register_models(register) answered by traced-plugin" in err
    assert "traced-plugin registered model 'traced-net' (traced-plugin:traced-net)" in err
    assert "imgclf trace: extra_callbacks(config, run_dir) answered by traced-plugin" in err
    assert "imgclf trace: extra_callbacks returned [" in err
    assert "registered dataset 'folder' (imgclf:folder)" in err  # built-ins too


def test_trace_goes_to_stderr_of_the_cli(tracing):
    out = CliRunner().invoke(cli, ["list", "models"])
    assert out.exit_code == 0, out.output
    assert "register_models(register) answered by traced-plugin" in out.stderr
    assert "imgclf trace" not in out.stdout


def test_no_trace_without_the_variable(capsys, monkeypatch):
    monkeypatch.delenv("IMGCLF_TRACE_PLUGINS", raising=False)
    plugins.reset()
    plugins.registries()
    assert "imgclf trace" not in capsys.readouterr().err
