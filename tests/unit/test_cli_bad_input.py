"""The CLI on every bad file and value we could think of: exit status 2, one line on stderr that
names the argument, never a traceback (an uncaught exception fails the test with its own)."""

from __future__ import annotations

import json
import os
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest

from infoplane.cli import main
from infoplane.estimators import build

EXPERIMENTS = Path(__file__).resolve().parents[2] / "experiments"
MNIST = str(EXPERIMENTS / "butakov_mnist.yaml")
SZT = str(EXPERIMENTS / "szt_binning.yaml")
GOLDFELD = str(EXPERIMENTS / "goldfeld_sp.yaml")


def _rejects(name: str, **params) -> bool:
    try:
        build(name, **params)
    except (ValueError, TypeError):
        return True
    return False


# Probes that need estimator constructors which check their own parameters strictly.
STRICT_PROBES = {
    "k=0": _rejects("ksg", k=0), "k=2.7": _rejects("ksg", k=2.7), "k=true": _rejects("ksg", k=True),
    "normal_scores=maybe": _rejects("ksg", normal_scores="maybe"), "n_boot=0": _rejects("gaussian", n_boot=0),
}


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    """Good and bad input files, by name."""
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(200, 2)), rng.normal(size=(200, 1))
    paths = {}

    def put(name: str) -> Path:
        paths[name] = str(tmp_path / name)
        return tmp_path / name

    np.save(put("x.npy"), x)
    np.save(put("y.npy"), y)
    np.save(put("labels.npy"), rng.integers(0, 3, 200))
    np.save(put("empty-array.npy"), np.array([]))
    np.save(put("objects.npy"), np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    np.save(put("short.npy"), x[:50])
    put("zero-bytes.npy").write_bytes(b"")
    put("truncated.npy").write_bytes((tmp_path / "x.npy").read_bytes()[:100])
    put("text.txt").write_text("not numbers\nat all\n")
    put("adir").mkdir()
    np.savez(put("samples.npz"), x=x, y=y, meta=json.dumps({"task": "gaussian-pairs"}))
    put("truncated.npz").write_bytes((tmp_path / "samples.npz").read_bytes()[:300])
    np.savez(put("nokeys.npz"), a=x, b=y)
    np.savez(put("x-only.npz"), x=x)
    put("zero-bytes.npz").write_bytes(b"")
    put("garbage.pt").write_bytes(os.urandom(2048))
    put("zero.pt").write_bytes(b"")
    put("notjson.json").write_text("{not json")
    put("record.json").write_text(json.dumps({"estimator": "ksg", "mi": 0.1}) + "\n")
    put("bad.yaml").write_text("scale: quick\nestimators: {ksg: {k: 5}\n")
    with zipfile.ZipFile(put("fake.npz"), "w") as zf:
        zf.writestr("x.npy", b"not an array")
    put("table.csv").write_text("a,b\n1,2\n")
    return paths


XY = ["estimate", "--x", "{x.npy}", "--y", "{y.npy}"]  # a good --x and --y

# name -> (argv with {file} placeholders, text stderr must contain: the argument it names)
PROBES: dict[str, tuple[list[str], str]] = {
    "--x is a directory": (["estimate", "--x", "{adir}", "--y", "{y.npy}", "--estimator", "ksg"], "--x"),
    "--x missing": (["estimate", "--x", "{adir}/none.npy", "--y", "{y.npy}", "--estimator", "ksg"], "--x"),
    "--x zero-byte .npy": (["estimate", "--x", "{zero-bytes.npy}", "--y", "{y.npy}", "--estimator", "ksg"],
                           "--x"),
    "--x empty array": (["estimate", "--x", "{empty-array.npy}", "--y", "{y.npy}", "--estimator", "ksg"],
                        "--x"),
    "--x truncated .npy": (["estimate", "--x", "{truncated.npy}", "--y", "{y.npy}", "--estimator", "ksg"],
                           "--x"),
    "--x object array (pickle)": (["estimate", "--x", "{objects.npy}", "--y", "{y.npy}",
                                   "--estimator", "ksg"], "--x"),
    "--x text file": (["estimate", "--x", "{text.txt}", "--y", "{y.npy}", "--estimator", "ksg"], "--x"),
    "--x wrong suffix": (["estimate", "--x", "{garbage.pt}", "--y", "{y.npy}", "--estimator", "ksg"], "--x"),
    "--x and --y lengths differ": (["estimate", "--x", "{short.npy}", "--y", "{y.npy}", "--estimator", "ksg"],
                                   "rows"),
    "--discrete-y on a real y": ([*XY, "--estimator", "ksg",
                                  "--discrete-y"], "--discrete-y"),
    "--out is a directory": ([*XY, "--estimator", "ksg",
                              "--out", "{adir}"], "--out"),
    "--samples truncated .npz": (["estimate", "--samples", "{truncated.npz}", "--estimator", "ksg"],
                                 "--samples"),
    "--samples zero-byte .npz": (["estimate", "--samples", "{zero-bytes.npz}", "--estimator", "ksg"],
                                 "--samples"),
    "--samples without x, y": (["estimate", "--samples", "{nokeys.npz}", "--estimator", "ksg"], "--samples"),
    "--samples with x only": (["estimate", "--samples", "{x-only.npz}", "--estimator", "ksg"], "--samples"),
    "--samples fake .npz": (["estimate", "--samples", "{fake.npz}", "--estimator", "ksg"], "--samples"),
    "--samples a directory": (["estimate", "--samples", "{adir}", "--estimator", "ksg"], "--samples"),
    "unknown estimator": ([*XY, "--estimator", "ksgg"],
                          "--estimator"),
    "k=abc": ([*XY, "--estimator", "ksg", "--param", "k=abc"],
              "--param"),
    "unknown parameter": ([*XY, "--estimator", "ksg",
                           "--param", "kk=3"], "--param"),
    "--param without =": ([*XY, "--estimator", "ksg",
                           "--param", "k"], "--param"),
    "--param bad YAML": ([*XY, "--estimator", "ksg",
                          "--param", "k=[1"], "--param"),
    "garbage .pt compressor": ([*XY, "--estimator", "compressed",
                                "--param", "estimator=ksg", "--param", "x={garbage.pt}",
                                "--param", "y={garbage.pt}"], "garbage.pt"),
    "zero-byte .pt compressor": ([*XY, "--estimator", "compressed",
                                  "--param", "estimator=ksg", "--param", "x={zero.pt}",
                                  "--param", "y={zero.pt}"], "zero.pt"),
    "garbage .pt autoencoder": (["analyse", "--experiment", MNIST, "--variant", "base", "--seed", "0",
                                 "--run-dir", "{adir}", "--autoencoder", "{garbage.pt}",
                                 "--out", "{adir}/mi.csv"], "garbage.pt"),
    "--n is text": (["sample", "--task", "gaussian-pairs", "--n", "abc", "--out", "{adir}/s.npz"], "--n"),
    "unknown task": (["sample", "--task", "gaussian-pair", "--n", "10", "--out", "{adir}/s.npz"], "task"),
    "sample --out is a directory": (["sample", "--task", "gaussian-pairs", "--param", "dim_x=1",
                                     "--param", "dim_y=1", "--param", "mi=1", "--n", "10", "--out", "{adir}"],
                                    "{adir}"),
    "aggregate record not JSON": (["aggregate", "{notjson.json}", "--out", "{adir}/t.csv"], "notjson.json"),
    "aggregate record missing": (["aggregate", "{adir}/none.json", "--out", "{adir}/t.csv"], "none.json"),
    "aggregate --out is a directory": (["aggregate", "{record.json}", "--out", "{adir}"], "{adir}"),
    "plot --table missing": (["plot", "validation", "--table", "{adir}/none.csv",
                              "--out", "{adir}/f.png"], "--table"),
    "plot --out is a directory": (["plot", "validation", "--table", "{table.csv}", "--out", "{adir}"],
                                  "--out"),
    "combine table missing": (["combine", "--experiment", SZT, "--tables", "{adir}/none.csv",
                               "--runs", "{adir}",
                               "--out-dir", "{adir}", "--metrics", "{adir}/m.json"], "none.csv"),
    "combine unknown experiment": (["combine", "--experiment", "nope_experiment", "--tables", "{table.csv}",
                                    "--runs", "{adir}", "--out-dir", "{adir}", "--metrics", "{adir}/m.json"],
                                   "nope_experiment"),
    "combine bad --set key": (["combine", "--experiment", SZT, "--set", "train.epoch=3", "--tables",
                               "{table.csv}", "--runs", "{adir}", "--out-dir", "{adir}",
                               "--metrics", "{adir}/m.json"], "train.epoch"),
    "check-params YAML syntax": (["check-params", "{bad.yaml}"], "bad.yaml:3"),
    "fit-compressor bad spec": (["fit-compressor", "--task", "gaussian-pairs", "--param", "dim_x=1",
                                 "--param", "dim_y=1", "--param", "mi=1", "--spec", "pca:zero",
                                 "--out", "{adir}/c.pt"], "pca:zero"),
    "--threads is text": (["fit-compressor", "--task", "gaussian-pairs", "--spec", "pca:1", "--threads", "x",
                           "--out", "{adir}/c.pt"], "--threads"),
    "unknown --set key": (["train", "--experiment", MNIST, "--variant", "base", "--seed", "0", "--run-dir",
                           "{adir}", "--set", "train.learnig_rate=1"], "train.learnig_rate"),
    "--set value against the schema": (["train", "--experiment", SZT, "--variant", "tanh", "--seed", "0",
                                        "--run-dir", "{adir}", "--set", "train.epochs=0"], "train.epochs"),
    "--set without =": (["train", "--experiment", SZT, "--variant", "tanh", "--seed", "0",
                         "--run-dir", "{adir}", "--set", "train.epochs"], "--set"),
    "--device tpu": (["train", "--experiment", MNIST, "--variant", "base", "--seed", "0",
                      "--run-dir", "{adir}",                      "--device", "tpu"], "--device"),
    "--seed is text": (["train", "--experiment", MNIST, "--variant", "base", "--seed", "zero",
                        "--run-dir", "{adir}"], "--seed"),
    "--scale unknown": (["train", "--experiment", SZT, "--variant", "tanh", "--seed", "0",
                         "--run-dir", "{adir}",                         "--scale", "huge"], "--scale"),
    "--experiment missing": (["train", "--experiment", "{adir}/none.yaml", "--variant", "base", "--seed", "0",
                              "--run-dir", "{adir}"], "none.yaml"),
    "train unknown experiment name": (["train", "--experiment", "nope_experiment", "--variant", "tanh",
                                       "--seed", "0", "--run-dir", "{adir}"], "nope_experiment"),
    "train unknown variant": (["train", "--experiment", SZT, "--variant", "sigmoid", "--seed", "0",
                               "--run-dir", "{adir}/run"], "sigmoid"),
    "train without --variant": (["train", "--experiment", SZT, "--seed", "0", "--run-dir", "{adir}"],
                                "--variant"),
    "analyse unknown variant": (["analyse", "--experiment", SZT, "--variant", "sigmoid", "--seed", "0",
                                 "--run-dir", "{adir}", "--out", "{adir}/mi.csv"], "sigmoid"),
    "analyse a directory without a run": (["analyse", "--experiment", SZT, "--variant", "tanh", "--seed", "0",
                                           "--run-dir", "{adir}", "--out", "{adir}/mi.csv"], "{adir}"),
    "analyse experiment file missing": (["analyse", "--experiment", "{adir}/none.yaml", "--variant", "tanh",
                                         "--seed", "0", "--run-dir", "{adir}", "--out", "{adir}/mi.csv"],
                                        "none.yaml"),
    "plot plane without --experiment": (["plot", "plane", "--table", "{table.csv}", "--out", "{adir}/f.png"],
                                        "--experiment"),
    "plot plane unknown experiment": (["plot", "plane", "--experiment", "nope_experiment", "--table",
                                       "{table.csv}", "--out", "{adir}/f.png"], "nope_experiment"),
    "plot plane bad --set key": (["plot", "plane", "--experiment", SZT, "--set", "panels.0=1", "--table",
                                  "{table.csv}", "--out", "{adir}/f.png"], "panels.0"),
    "plot plane --ib missing": (["plot", "plane", "--experiment", SZT, "--table", "{table.csv}",
                                 "--ib", "{adir}/none.csv", "--out", "{adir}/f.png"], "--ib"),
    "plot epochs without --history": (["plot", "epochs", "--experiment", SZT, "--table", "{table.csv}",
                                       "--out", "{adir}/f.png"], "--history"),
    "plot validation with --experiment": (["plot", "validation", "--experiment", SZT,
                                           "--table", "{table.csv}",
                                           "--out", "{adir}/f.png"], "--experiment"),
    "scatter without a scatter section": (["scatter", "--experiment", SZT, "--variant", "tanh", "--seed", "0",
                                           "--run-dir", "{adir}", "--out", "{adir}/s.csv"], "`scatter`"),
    "scatter unknown experiment": (["scatter", "--experiment", "nope_experiment", "--variant", "tanh",
                                    "--seed", "0", "--run-dir", "{adir}", "--out", "{adir}/s.csv"],
                                   "nope_experiment"),
    "neuron without a neuron section": (["neuron", "--experiment", SZT, "--out", "{adir}/n.csv"], "`neuron`"),
    "neuron bad --set key": (["neuron", "--experiment", GOLDFELD, "--set", "neuron.n_weight=4",
                              "--out", "{adir}/n.csv"], "neuron.n_weight"),
    "neuron --set below the schema": (["neuron", "--experiment", GOLDFELD, "--set", "neuron.n_weights=1",
                                       "--out", "{adir}/n.csv"], "neuron.n_weights"),
    "ib-curve --n-betas is text": (["ib-curve", "--n-betas", "many", "--out", "{adir}/ib.csv"], "--n-betas"),
    "ib-curve data root without SZT": (["ib-curve", "--data-root", "{adir}", "--out", "{adir}/ib.csv"],
                                       "{adir}"),
    "train-seeds unknown analysis": (["train-seeds", "--experiment", SZT, "--variant", "tanh",
                                      "--seeds", "0-1",
                                      "--analysis", "szzt", "--out", "{adir}/t.csv"], "--analysis"),
    "train-seeds bad --seeds": (["train-seeds", "--experiment", SZT, "--variant", "tanh", "--seeds", "0-x",
                                 "--analysis", "szt", "--out", "{adir}/t.csv"], "--seeds"),
    "train-seeds unknown variant": (["train-seeds", "--experiment", SZT, "--variant", "sigmoid", "--seeds",
                                     "0-1", "--analysis", "szt", "--out", "{adir}/t.csv"], "sigmoid"),
    "train-autoencoder without an x_autoencoder section": (["train-autoencoder", "--experiment", SZT,
                                                            "--out", "{adir}/ae.pt"], "x_autoencoder"),
    # these need strict estimator constructors (see STRICT_PROBES)
    "k=0": ([*XY, "--estimator", "ksg", "--param", "k=0"], "k"),
    "k=2.7": ([*XY, "--estimator", "ksg", "--param", "k=2.7"], "k"),
    "k=true": ([*XY, "--estimator", "ksg", "--param", "k=true"], "k"),
    "normal_scores=maybe": ([*XY, "--estimator", "ksg",
                             "--param", "normal_scores=maybe"], "normal_scores"),
    "n_boot=0": ([*XY, "--estimator", "gaussian",
                  "--param", "n_boot=0"], "n_boot"),
}


def _fill(text: str, files: dict[str, str]) -> str:
    return re.sub(r"\{([^}]+)\}", lambda m: files[m.group(1)], text)


def _probe(name: str, files: dict[str, str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    argv = [_fill(a, files) for a in PROBES[name][0]]
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse
        code = exit_.code
    return code, capsys.readouterr().err


# Probes the CLI does not pass yet (strict: the fix makes them pass, then drop them from here).
KNOWN_BUGS: dict[str, str] = {}


def _params() -> list:
    params = []
    for n in PROBES:
        marks = []
        if n in STRICT_PROBES:
            marks.append(pytest.mark.skipif(not STRICT_PROBES[n],
                                            reason="needs strict estimator constructors"))
        if n in KNOWN_BUGS:
            marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[n]))
        params.append(pytest.param(n, marks=marks))
    return params


@pytest.mark.parametrize("name", _params())
def test_bad_input_is_exit_2_and_one_line_naming_the_argument(name: str, files: dict[str, str],
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _probe(name, files, capsys)
    expected = _fill(PROBES[name][1], files)
    lines = err.strip().splitlines()
    assert code == 2, err
    assert len(lines) == 1 and "Traceback" not in err, err
    assert expected in lines[0], err


def test_there_are_at_least_30_probes() -> None:
    assert len(PROBES) - len(STRICT_PROBES) >= 30


def test_a_real_bug_keeps_its_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    """A KeyError inside a command is a bug, not bad input: it propagates."""
    import infoplane.cli as cli
    import infoplane.cli.project as project

    def broken(args):
        raise KeyError("internal")

    monkeypatch.setattr(project, "cmd_check_params", broken)
    with pytest.raises(KeyError):
        cli.main(["check-params"])


def test_only_true_and_false_are_booleans() -> None:
    from infoplane.cli import parse_params

    assert parse_params(["a=true", "b=false", "c=yes", "d=on", "e=2", "f=1e-3"]) == {
        "a": True, "b": False, "c": "yes", "d": "on", "e": 2, "f": 0.001}
