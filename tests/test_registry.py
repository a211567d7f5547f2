import pytest

from imgclf._registry import Registry
from imgclf.errors import PluginError


def test_register_and_get():
    reg = Registry("model")
    reg.register("alexnet", print, owner="p1")
    assert reg.get("alexnet") is print
    assert reg.owner("alexnet") == "p1"
    assert reg.names() == ["alexnet"] and "alexnet" in reg and len(reg) == 1


def test_unknown_name_suggests_closest():
    reg = Registry("model")
    reg.register("alexnet", print)
    reg.register("mobilenet", print)
    with pytest.raises(PluginError, match=r"Unknown model 'alexnte'\. Did you mean 'alexnet'\?"):
        reg.get("alexnte")


def test_clash_names_both_owners():
    reg = Registry("model")
    reg.register("alexnet", print, owner="first")
    reg.register("alexnet", len, owner="second")  # both kept, under their qualified names
    with pytest.raises(PluginError, match="by more than one plugin \\(first and second\\)"):
        reg.get("alexnet")
    assert reg.get("first:alexnet") is print and reg.get("second:alexnet") is len
    with pytest.raises(PluginError, match="registered twice by first"):
        reg.register("alexnet", len, owner="first")


def test_type_check():
    reg = Registry("task", check=lambda o: isinstance(o, int))
    with pytest.raises(PluginError, match="not valid"):
        reg.register("x", "not an int")
