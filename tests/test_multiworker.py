"""Strategies, mixed precision and TensorBoard logs; a two-worker training on localhost.

The multi-worker test starts two processes, each with its own TF_CONFIG (two free
loopback ports) and its own output folder; both train two epochs of a tiny model on
the same tiny data through the imgclf API. Synchronous training must leave them
with identical weights; each worker must decode only its share of the training and
validation images (every call of the pipeline's ``decode_image`` is recorded), and
only the chief predicts the test split and writes metrics.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import imgclf
from imgclf._training import strategy as dist
from imgclf.testing import make_image_folder, run_tiny

WORKER = textwrap.dedent(
    """
    import sys

    import numpy as np
    import tensorflow as tf
    from rich.console import Console

    import imgclf
    import imgclf._data.pipeline as pipeline
    from imgclf.testing import plugin_registered, tiny_model

    decoded, decode = [], pipeline.decode_image

    def recorded(path, *args, **kwargs):  # every file the pipeline decodes, in this process
        def note(p):
            decoded.append(p.decode())
            return p

        return decode(tf.numpy_function(note, [path], tf.string, stateful=True), *args, **kwargs)

    pipeline.decode_image = recorded

    class Plugin:
        @imgclf.hookimpl
        def register_tasks(self, register):
            register("mw-task", imgclf.TaskSpec("mw-task", ("dark", "light"), input_size=16))

        @imgclf.hookimpl
        def register_models(self, register):
            register("mw-tiny", tiny_model)

    data, output, weights = sys.argv[1:4]
    with plugin_registered(Plugin(), "mw-plugin"):
        result = imgclf.run(
            "mw-task", model="mw-tiny", data=data, output=output, strategy="multi-worker",
            epochs=2, batch_size=2, image_size=16, report=["json"], seed=3,
            augmenter="flip", class_weight="auto", console=Console(),
        )
    np.savez(weights, *result.model.get_weights())
    (result.run_dir / "decoded.txt").write_text("\\n".join(decoded))
    print("RUN_DIR", result.run_dir, "RESULT", result.result is not None, flush=True)
    """
)


def free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def start_workers(tmp_path, data, ports):
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    procs = []
    for i in range(len(ports)):
        env = {
            **os.environ,
            "TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}}),
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "CUDA_VISIBLE_DEVICES": "-1",
            "IMGCLF_CACHE_DIR": str(tmp_path / f"cache{i}"),
            "IMGCLF_LOAD_PLUGINS": "",  # only the test's plugin and the built-ins
        }
        args = [sys.executable, str(script), str(data), str(tmp_path / f"out{i}")]
        log = open(tmp_path / f"worker{i}.log", "w")  # noqa: SIM115 - closed below
        procs.append((subprocess.Popen([*args, str(tmp_path / f"w{i}.npz")], env=env,
                                       stdout=log, stderr=subprocess.STDOUT), log))  # fmt: skip
    return procs


def wait_all(procs, tmp_path, timeout=180.0):
    deadline = time.monotonic() + timeout
    try:
        for proc, _ in procs:
            proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        pass
    finally:
        for proc, log in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            log.close()
    logs = [(tmp_path / f"worker{i}.log").read_text() for i in range(len(procs))]
    for (proc, _), text in zip(procs, logs):
        assert proc.returncode == 0, f"worker exited with {proc.returncode}:\n{text[-4000:]}"
    return logs


def test_two_workers_train_their_shares_to_identical_weights(tmp_path):
    # train 21, val 3, test 6 images, global batch 2 (one image per worker and step):
    # the train shares (11, 10) are padded to 11 steps on both workers; the val shares
    # (2, 1) take 2 and 1 steps, and tf.distribute gives worker 1 an empty last batch
    data = make_image_folder(tmp_path / "data", ("dark", "light"), per_class=15, size=16)
    logs = wait_all(start_workers(tmp_path, data, free_ports(2)), tmp_path)
    assert all("Strategy: MultiWorkerMirroredStrategy, 2 replica(s)" in t for t in logs)
    w0, w1 = np.load(tmp_path / "w0.npz"), np.load(tmp_path / "w1.npz")
    assert list(w0) == list(w1) and len(w0) > 0
    for key in w0:
        np.testing.assert_allclose(w0[key], w1[key], rtol=1e-6, atol=1e-7, err_msg=key)
    # worker 0 is the chief and writes to its --output; worker 1 to its own worker-1/
    runs0 = list((tmp_path / "out0" / "mw-task" / "mw-tiny").iterdir())
    runs1 = list((tmp_path / "out1" / "worker-1" / "mw-task" / "mw-tiny").iterdir())
    assert len(runs0) == len(runs1) == 1
    run0, run1 = runs0[0], runs1[0]
    # the same logged losses on both workers: logs are reduced over all replicas
    h0, h1 = (np.genfromtxt(r / "history.csv", delimiter=",", names=True) for r in (run0, run1))
    assert len(h0) == len(h1) == 2
    np.testing.assert_allclose(h0["loss"], h1["loss"], rtol=1e-6)
    np.testing.assert_allclose(h0["val_loss"], h1["val_loss"], rtol=1e-6)
    assert (run0 / "model.keras").is_file() and (run1 / "model.keras").is_file()
    # each worker decoded its own share of train and val, and only the chief the test split
    split = {}
    for line in (run0 / "splits.csv").read_text().splitlines()[1:]:
        name, path = line.split(",")[:2]
        split.setdefault(name, set()).add(path)
    assert {k: len(v) for k, v in split.items()} == {"train": 21, "val": 3, "test": 6}
    seen = [set((r / "decoded.txt").read_text().split("\n")) - {""} for r in (run0, run1)]
    assert seen[0] | seen[1] <= split["train"] | split["val"] | split["test"]
    for name in ("train", "val"):
        mine = [s & split[name] for s in seen]
        assert not mine[0] & mine[1], f"both workers decoded {name} images"
        assert mine[0] | mine[1] == split[name]
        assert abs(len(mine[0]) - len(mine[1])) <= 1
    assert seen[0] & split["test"] == split["test"] and not seen[1] & split["test"]
    # only the chief evaluated: metrics, predictions and reports in its folder alone
    assert (run0 / "metrics.json").is_file() and (run0 / "predictions.csv").is_file()
    assert not (run1 / "metrics.json").exists() and not (run1 / "predictions.csv").exists()
    assert "RESULT True" in logs[0] and "RESULT False" in logs[1]


def cluster(monkeypatch, workers=2, index=0, kind="worker", chief=False):
    spec = {"worker": [f"127.0.0.1:{2000 + i}" for i in range(workers)]}
    if chief:
        spec["chief"] = ["127.0.0.1:1999"]
    monkeypatch.setenv(
        "TF_CONFIG", json.dumps({"cluster": spec, "task": {"type": kind, "index": index}})
    )


def test_auto_picks_by_tpu_cluster_and_gpus(monkeypatch, tmp_path):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    monkeypatch.delenv("TPU_NAME", raising=False)
    cfg = imgclf.RunConfig("t", output=str(tmp_path))
    monkeypatch.setattr(dist, "gpu_count", lambda: 1)
    assert dist.resolve_kind(cfg) == "default"
    monkeypatch.setattr(dist, "gpu_count", lambda: 2)
    assert dist.resolve_kind(cfg) == "mirrored"
    cluster(monkeypatch, workers=2)
    assert dist.resolve_kind(cfg) == "multi-worker"
    cluster(monkeypatch, workers=1)
    assert dist.resolve_kind(cfg) == "mirrored"  # a cluster of one is no cluster
    monkeypatch.setenv("TPU_NAME", "my-tpu")
    assert dist.resolve_kind(cfg) == "tpu"
    assert dist.resolve_kind(imgclf.RunConfig("t", strategy="default")) == "default"


def test_chief_and_worker_output_folders(monkeypatch, tmp_path):
    cfg = imgclf.RunConfig("t", output=str(tmp_path), strategy="multi-worker")
    cluster(monkeypatch, index=0)
    assert dist.is_chief() and dist.output_root(cfg) == tmp_path
    cluster(monkeypatch, index=1)
    assert not dist.is_chief() and dist.output_root(cfg) == tmp_path / "worker-1"
    cluster(monkeypatch, index=0, chief=True)
    assert dist.output_root(cfg) == tmp_path / "worker-0"
    cluster(monkeypatch, index=0, kind="chief", chief=True)
    assert dist.is_chief() and dist.output_root(cfg) == tmp_path


@pytest.mark.parametrize(
    "settings, env, message",
    [
        ({"strategy": "multi-worker"}, {}, "strategy=multi-worker needs TF_CONFIG"),
        ({"strategy": "tpu"}, {}, "strategy=tpu needs a TPU address"),
        ({}, {"TF_CONFIG": "{not json"}, "TF_CONFIG is not valid JSON"),
        ({"mixed_precision": "on"}, {}, "--mixed-precision needs a GPU or TPU"),
    ],
)
def test_clear_errors(tiny, tmp_path, monkeypatch, settings, env, message):
    for key in ("TF_CONFIG", "TPU_NAME"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(imgclf.ConfigError, match=re.escape(message)):
        run_tiny("tiny-task", tiny.data, tmp_path, **settings)
    assert not (tmp_path / "runs").exists()  # refused before any data is read


def test_cli_flags_reach_the_config(tiny, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from imgclf._cli import cli

    monkeypatch.delenv("TF_CONFIG", raising=False)
    args = ["run", "tiny-task", "--data", str(tiny.data), "--output", str(tmp_path)]
    result = CliRunner().invoke(cli, [*args, "--mixed-precision"])
    assert result.exit_code == 3 and "--set mixed_precision=force" in result.output
    result = CliRunner().invoke(cli, [*args, "--strategy", "tpu"])
    assert result.exit_code == 3 and "needs a TPU address" in result.output
    cfg = imgclf.make_config("tiny-task", strategy="mirrored", tensorboard=True,
                             mixed_precision="true", tpu="local")  # fmt: skip
    assert (cfg.strategy, cfg.tensorboard, cfg.mixed_precision) == ("mirrored", True, "on")


def test_tpu_that_cannot_be_reached_is_a_config_error(monkeypatch):
    import tensorflow as tf

    def no_tpu(tpu=None):
        raise ValueError(f"Could not find TPU {tpu}")

    monkeypatch.setattr(tf.distribute.cluster_resolver, "TPUClusterResolver", no_tpu)
    with pytest.raises(
        imgclf.ConfigError, match="Cannot connect to the TPU 'grpc://10.0.0.2:8470'"
    ):
        dist.strategy_for(imgclf.RunConfig("t", strategy="tpu", tpu="grpc://10.0.0.2:8470"))


def test_forced_mixed_precision_on_cpu(tiny, tmp_path):
    import keras

    before = keras.config.dtype_policy().name
    result = run_tiny("tiny-task", tiny.data, tmp_path, mixed_precision="force")
    layers = {layer.name: layer.dtype_policy.name for layer in result.model.layers}
    assert layers["conv"] == "mixed_float16" and layers["predictions"] == "float32"
    assert type(result.model.optimizer).__name__ == "LossScaleOptimizer"
    assert keras.config.dtype_policy().name == before  # the global policy is restored


def test_bfloat16_mixed_precision_on_cpu(tiny, tmp_path):
    result = run_tiny("tiny-task", tiny.data, tmp_path, mixed_precision="bfloat16")
    layers = {layer.name: layer.dtype_policy.name for layer in result.model.layers}
    assert layers["conv"] == "mixed_bfloat16" and layers["predictions"] == "float32"
    assert type(result.model.optimizer).__name__ != "LossScaleOptimizer"  # no scaling needed
    assert 0 <= result.metrics["accuracy"] <= 1
    assert json.loads((result.run_dir / "config.json").read_text())["dtype_policy"] == (
        "mixed_bfloat16"  # the run folder says what it trained in
    )
    # TFLite has no bfloat16 kernels: the export is a float32 copy with the same weights
    exported, comparison = imgclf.export(result.run_dir, "tflite", "none")
    assert exported.path.is_file()
    assert comparison["max_abs_score_diff"] < 0.05  # bfloat16 keeps 8 bits of mantissa


def test_tensorboard_logs_in_the_run_folder(tiny, tmp_path):
    import importlib.util

    if importlib.util.find_spec("tensorboard") is None:
        with pytest.raises(imgclf.ConfigError, match="pip install tensorboard"):
            run_tiny("tiny-task", tiny.data, tmp_path, tensorboard=True)
        assert not (tmp_path / "runs").exists()  # refused before any run folder
        return
    result = run_tiny("tiny-task", tiny.data, tmp_path, tensorboard=True)
    events = list((result.run_dir / "logs").rglob("events.out.tfevents.*"))
    assert {p.parent.name for p in events} >= {"train", "validation"}
