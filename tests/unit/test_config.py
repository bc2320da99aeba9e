"""params.yaml checking: every problem is reported with the dotted key that causes it."""

from __future__ import annotations

import pytest
import yaml

from infoplane.config import check_params, overlay, require_valid, scaled

SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["scale", "train"],
    "properties": {
        "scale": {"enum": ["quick", "paper"]},
        "train": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "epochs": {"type": "integer", "minimum": 1},
                "lr": {"type": "number", "exclusiveMinimum": 0},
            },
        },
        "scales": {"type": "object", "properties": {"paper": {"type": "object"}}},
    },
}


def test_valid_config_has_no_problems() -> None:
    assert check_params({"scale": "quick", "train": {"epochs": 3, "lr": 0.1}}, SCHEMA) == []


def test_every_problem_names_its_key() -> None:
    config = {"scale": "fast", "train": {"epochs": -2, "lr": 0.1, "l_r": 0.2}, "trian": {}}
    problems = check_params(config, SCHEMA)
    assert "train.epochs = -2: -2 is less than the minimum of 1" in problems
    assert "train.l_r: unknown key (allowed here: epochs, lr)" in problems
    assert "trian: unknown key (allowed here: scale, scales, train)" in problems
    assert any(p.startswith("scale = 'fast'") for p in problems)
    assert len(problems) == 4


def test_missing_section_is_named() -> None:
    assert check_params({"scale": "quick"}, SCHEMA) == ["train: missing section (required)"]


def test_problems_inside_the_scale_overlay_say_where_they_are() -> None:
    config = {"scale": "quick", "train": {"epochs": 3}, "scales": {"paper": {"train": {"epochs": 0}}}}
    assert check_params(config, SCHEMA) == ["scales.paper.train.epochs = 0: 0 is less than the minimum of 1"]


def test_require_valid_raises_one_message_listing_every_key(tmp_path) -> None:
    schema = tmp_path / "schema.yaml"
    schema.write_text(yaml.safe_dump(SCHEMA))
    with pytest.raises(ValueError) as error:
        require_valid({"scale": "quick", "train": {"epochs": 0, "x": 1}}, schema)
    lines = str(error.value).splitlines()
    assert lines[0].startswith("params.yaml is invalid")
    assert lines[1:] == ["  train.epochs = 0: 0 is less than the minimum of 1",
                         "  train.x: unknown key (allowed here: epochs, lr)"]


def test_overlay_merges_dicts_and_replaces_the_rest_without_touching_the_base() -> None:
    base = {"a": {"b": 1, "c": [1, 2]}, "d": 1}
    merged = overlay(base, {"a": {"c": [3]}, "e": 2})
    assert merged == {"a": {"b": 1, "c": [3]}, "d": 1, "e": 2}
    assert base == {"a": {"b": 1, "c": [1, 2]}, "d": 1}


def test_scaled_applies_the_named_scale_only() -> None:
    config = {"scale": "paper", "train": {"epochs": 3, "lr": 0.1},
              "scales": {"paper": {"train": {"epochs": 300}}}}
    assert scaled(config)["train"] == {"epochs": 300, "lr": 0.1}
    assert scaled({**config, "scale": "quick"})["train"] == {"epochs": 3, "lr": 0.1}


def test_nonpositive_counts_and_rates_of_an_experiment_are_named() -> None:
    from infoplane.experiments.spec import load_experiment

    with pytest.raises(ValueError) as info:
        load_experiment("experiments/szt_binning.yaml", "quick",
                        {"train.epochs": -3, "train.batch_size": 0, "train.lr": 0.0})
    message = str(info.value)
    for key in ("train.epochs = -3", "train.batch_size = 0", "train.lr = 0.0"):
        assert key in message
