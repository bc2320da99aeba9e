"""What every ``infoplane`` subcommand shares: one-line usage errors, ``KEY=VALUE`` parameters read
strictly, JSON records, checked input files and the options of an experiment step."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import yaml

from infoplane.files import existing_file, write_text


class ArgumentParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (the command, the argument, the problem) and exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


#: YAML 1.1 reads yes/no/on/off as booleans; on the command line only true/false are.
_BOOLEAN_WORDS = {"true", "false"}


def parse_params(items: list[str] | None, flag: str = "--param") -> dict[str, Any]:
    """``["k=5", "scheme=fixed"]`` -> ``{"k": 5, "scheme": "fixed"}`` (values read as YAML).

    Strict: only ``true`` / ``false`` are booleans (``yes``, ``on`` stay text for the receiver
    to refuse), and a value that is not valid YAML is an error naming ``flag``.
    """
    params: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"{flag} expects KEY=VALUE, got {item!r}")
        try:
            parsed = yaml.safe_load(value)
        except yaml.YAMLError:
            raise ValueError(f"{flag} {item!r}: the value is not valid YAML (quote text, e.g. "
                             f"{key}='...')") from None
        if isinstance(parsed, bool) and value.strip().lower() not in _BOOLEAN_WORDS:
            parsed = value.strip()
        if isinstance(parsed, str):
            # YAML 1.1 reads "1e-3" (no dot) as text; numbers typed on a command line are numbers.
            try:
                parsed = float(parsed)
            except ValueError:
                pass
        params[key.strip()] = parsed
    return params


def write_json(obj: Any, path: Path | None) -> None:
    """Print ``obj`` as one JSON line, and also write it to ``path`` (atomically) when given."""
    line = json.dumps(obj, sort_keys=True)
    print(line)
    if path is not None:
        write_text(path, line + "\n")  # a killed run never leaves half a record




def load_array(path: Path, what: str) -> np.ndarray:
    """An array from a .npy (never unpickled), .csv or .txt file; a bad file is one ValueError line."""
    existing_file(path, what)
    if path.suffix not in (".npy", ".csv", ".txt"):
        raise ValueError(f"{what} {path} must be .npy, .csv or .txt")
    try:
        if path.suffix == ".npy":
            array = np.load(path, allow_pickle=False)
        else:
            array = np.loadtxt(path, delimiter="," if path.suffix == ".csv" else None, ndmin=2)
    except (ValueError, OSError, EOFError) as err:
        raise ValueError(f"{what} {path} is not a readable {path.suffix} file "
                         f"({str(err).splitlines()[0] if str(err) else type(err).__name__})") from None
    if not isinstance(array, np.ndarray) or array.size == 0:
        raise ValueError(f"{what} {path} holds no values")
    if not np.issubdtype(array.dtype, np.number):
        raise ValueError(f"{what} {path} holds {array.dtype} values, not numbers")
    return array


def load_samples_file(path: Path, variables: str) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """``load_samples`` with a damaged or foreign file reported as one line naming it."""
    import zipfile

    from infoplane.synthetic.store import load_samples

    existing_file(path, "--samples file")
    try:
        return load_samples(path, variables)
    except ValueError as err:
        message = str(err) if str(path) in str(err) else f"file {path}: {err}"
        raise ValueError(f"--samples {message}") from None
    except (OSError, EOFError, zipfile.BadZipFile) as err:
        raise ValueError(f"--samples file {path} is not a readable .npz "
                         f"({str(err).splitlines()[0] if str(err) else type(err).__name__}); "
                         "remake it with `infoplane sample`") from None


def device_name(value: str) -> str:
    """argparse type of --device: the names training understands, checked before any work."""
    from infoplane.config import DEVICE

    if not DEVICE.match(value):
        raise argparse.ArgumentTypeError(f"{value!r} is not a device; use auto, cpu, cuda or cuda:N")
    return value


def add_experiment_args(p: argparse.ArgumentParser) -> None:
    """--experiment, --scale, --set, --data-root, --device, --threads, --no-progress."""
    p.add_argument("--experiment", required=True,
                   help="an experiment name (experiments/NAME.yaml) or the path of an experiment file")
    p.add_argument("--scale", choices=["quick", "paper"], default="quick",
                   help="quick: the file's scales.quick over its values; paper: its values (default quick)")
    p.add_argument("--set", action="append", metavar="KEY.PATH=VALUE",
                   help="override a setting of the experiment file, e.g. train.lr=1e-4 (repeatable)")
    p.add_argument("--data-root",
                   help="dataset root (default: $INFOPLANE_DATA_ROOT, else ../shared/datasets)")
    p.add_argument("--device", type=device_name,
                   help="auto (CUDA when present), cpu, cuda or cuda:N (default: the experiment's)")
    p.add_argument("--threads", type=int, help="torch CPU threads (default: torch's)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def experiment_of(args: argparse.Namespace) -> dict[str, Any]:
    """The experiment of ``--experiment`` at ``--scale`` with the ``--set`` overrides, checked."""
    from infoplane.experiments.spec import load_experiment

    return load_experiment(args.experiment, args.scale, parse_params(args.set, "--set"))


def parse_seeds(text: str) -> list[int]:
    """Seeds from ``"0-49"``, ``"3,7,9"`` or a mix (``"0-3,10"``)."""
    seeds: list[int] = []
    try:
        for part in text.split(","):
            first, _, last = part.strip().partition("-")
            seeds += list(range(int(first), int(last) + 1)) if last else [int(first)]
    except ValueError:
        raise ValueError(f"--seeds {text!r}: give integers and ranges such as 0-49 or 3,7,9") from None
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f"--seeds {text!r}: give at least one seed, each once")
    return seeds
