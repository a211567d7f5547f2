"""A name clash never changes what runs: a newcomer that also registers ``alexnet``
leaves face-emotion whole, and the bare name is refused where it is used."""

import json

import pytest
from click.testing import CliRunner

import imgclf
from imgclf import _plugins as plugins
from imgclf import hookimpl
from imgclf._cli import cli
from imgclf._plugins import PluginWarning
from imgclf.errors import PluginError
from imgclf.testing import make_image_folder, plugin_registered, tiny_model

imgclf_face_emotion = pytest.importorskip("imgclf_face_emotion")

BUILT: list[str] = []


def newcomer_alexnet(input_shape, head):
    """The newcomer's alexnet: a tiny network that is not face-emotion's."""
    BUILT.append("newcomer:alexnet")
    return tiny_model(input_shape, head)


class Newcomer:
    """A third-party plugin whose model name clashes with face-emotion's."""

    @hookimpl
    def register_models(self, register):
        register("alexnet", newcomer_alexnet)
        register("newnet", tiny_model)

    @hookimpl
    def register_augmenters(self, register):
        register("face-emotion/paper", lambda seed=None: None)


class SelfClash:
    """A plugin that registers one name twice: still an error for that plugin."""

    @hookimpl
    def register_models(self, register):
        register("twice", tiny_model)
        register("twice", tiny_model)


@pytest.fixture
def clash():
    """face-emotion (entry point, or registered here) and the newcomer, in that order."""
    BUILT.clear()
    with plugin_registered(imgclf_face_emotion, "face_emotion"):
        with plugin_registered(Newcomer(), "newcomer"):
            yield plugins.registries()


@pytest.fixture
def faces(tmp_path):
    return make_image_folder(tmp_path / "faces", classes=("happy", "sad"), per_class=6, size=32)


def test_both_alexnets_are_listed_by_qualified_name(clash):
    names = clash["models"].names()
    assert {"face_emotion:alexnet", "newcomer:alexnet", "vggnet", "mobilenet", "newnet"} <= set(
        names
    )
    assert "alexnet" not in names  # the bare name would be a guess
    out = CliRunner().invoke(cli, ["list", "models"])
    assert out.exit_code == 0, out.output
    rows = {
        line.split("│")[1].strip(): line.split("│")[2].strip()
        for line in out.output.split("\n")
        if line.count("│") > 2
    }
    assert rows["face_emotion:alexnet"] == "face_emotion" and rows["newcomer:alexnet"] == "newcomer"
    assert "alexnet: registered by more than one plugin" in out.output


@pytest.mark.parametrize("model", ["alexnet", "vggnet", "mobilenet"])
def test_face_emotion_models_build_by_qualified_name(clash, model):
    built = imgclf.build_model(
        f"face_emotion:{model}", task="face-emotion", input_shape=(32, 32, 3)
    )
    assert built.count_params() > 10_000 and not BUILT  # face-emotion's, never the newcomer's
    assert clash["models"].owner(f"face_emotion:{model}") == "face_emotion"


def test_neither_plugin_is_broken_nor_loses_registrations(clash):
    status = {i.name: i.status for i in plugins.plugin_infos()}
    assert status["face_emotion"] == "ok" and status["newcomer"] == "ok"
    assert clash["models"].get("newnet") is tiny_model
    assert clash["models"].get("newcomer:alexnet") is newcomer_alexnet
    assert clash["datasets"].owner("affectnet") == "face_emotion"


def test_bare_clashing_name_is_refused_naming_both(clash):
    with pytest.raises(PluginError) as info:
        imgclf.build_model("alexnet", task="face-emotion")
    message = str(info.value)
    for part in ("face_emotion", "newcomer", "'face_emotion:alexnet'", "'newcomer:alexnet'"):
        assert part in message
    assert not BUILT


def test_cli_run_with_bare_clashing_name_refuses(clash, faces, tmp_path):
    args = ["run", "face-emotion", "--model", "alexnet", "--data", str(faces),
            "--output", str(tmp_path / "runs"), "--epochs", "1", "--image-size", "32"]  # fmt: skip
    out = CliRunner().invoke(cli, args)
    assert out.exit_code != 0
    text = " ".join(out.output.split())
    assert "registered by more than one plugin (face_emotion and newcomer)" in text
    assert "'face_emotion:alexnet' or 'newcomer:alexnet'" in text
    assert "Traceback" not in out.output and not (tmp_path / "runs").exists() and not BUILT


def test_cli_run_with_qualified_name_trains_face_emotions_alexnet(clash, faces, tmp_path):
    args = ["run", "face-emotion", "--model", "face_emotion:alexnet", "--data", str(faces),
            "--augmenter", "face_emotion:paper", "--output", str(tmp_path / "runs"),
            "--epochs", "1", "--image-size", "32", "--batch-size", "8",
            "--report", "json"]  # fmt: skip
    out = CliRunner().invoke(cli, args)
    assert out.exit_code == 0, out.output
    assert not BUILT
    (config_file,) = (tmp_path / "runs").rglob("config.json")
    # filed under the bare name: ':' is not allowed in Windows paths
    assert config_file.parent.parent == tmp_path / "runs" / "face-emotion" / "alexnet"
    saved = json.loads(config_file.read_text())
    assert saved["model"] == "face_emotion:alexnet"  # what later lookups resolve again
    assert saved["augmenter"] == "face_emotion:face-emotion/paper"
    assert clash["models"].get(saved["model"]) is clash["models"].get("face_emotion:alexnet")


def test_task_scoped_augmenter_clash_is_refused(clash):
    from imgclf._runner import augmenter_name

    task = imgclf._api.get_task("face-emotion")
    with pytest.raises(PluginError, match="face_emotion and newcomer"):
        clash["augmenters"].get(augmenter_name("paper", task))
    assert augmenter_name("face_emotion:paper", task) == "face_emotion:face-emotion/paper"
    assert augmenter_name("imgclf:flip", task) == "imgclf:flip"


def test_builtins_have_the_imgclf_namespace():
    regs = plugins.registries()
    assert regs["datasets"].get("imgclf:folder") is regs["datasets"].get("folder")
    assert regs["reporters"].owner("imgclf:json") == "imgclf.default_plugins.reporters"


def test_unknown_qualified_name_suggests_the_closest(clash):
    with pytest.raises(PluginError, match="Did you mean 'face_emotion:alexnet'"):
        clash["models"].get("face_emotion:alexnte")


def test_plugin_registering_a_name_twice_is_broken():
    with plugin_registered(SelfClash(), "self-clash"):
        with pytest.warns(PluginWarning, match="model 'twice' is registered twice by self-clash"):
            regs = plugins.registries()
        assert regs["models"].get("self-clash:twice") is tiny_model
        assert {i.name: i.status for i in plugins.plugin_infos()}["self-clash"] == "broken"


def test_a_name_with_the_separator_is_refused():
    class Colon:
        @hookimpl
        def register_models(self, register):
            register("a:b", tiny_model)

    with plugin_registered(Colon(), "colon"):
        with pytest.warns(PluginWarning, match="without ':'"):
            assert "a:b" not in plugins.registries()["models"]
