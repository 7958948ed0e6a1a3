import pytest

from storage.keys import canonical_json, select, stage_fingerprint


class TestStageFingerprint:
    def test_deterministic_and_order_free(self):
        a = stage_fingerprint("flow", 1, {"b": 2, "a": 1}, ["x"])
        b = stage_fingerprint("flow", 1, {"a": 1, "b": 2}, ["x"])
        assert a == b and len(a) == 16

    def test_each_input_changes_it(self):
        base = stage_fingerprint("flow", 1, {"a": 1}, ["x"])
        assert stage_fingerprint("fill", 1, {"a": 1}, ["x"]) != base
        assert stage_fingerprint("flow", 2, {"a": 1}, ["x"]) != base
        assert stage_fingerprint("flow", 1, {"a": 2}, ["x"]) != base
        assert stage_fingerprint("flow", 1, {"a": 1}, ["y"]) != base
        assert stage_fingerprint("flow", 1, {"a": 1}, ["x", None]) != base

    def test_canonical_json_is_compact_and_sorted(self):
        assert canonical_json({"b": (1, 2), "a": None}) == '{"a":null,"b":[1,2]}'

    def test_select_rejects_unknown_field(self):
        assert select({"a": 1, "b": 2}, ["a"]) == {"a": 1}
        with pytest.raises(KeyError):
            select({"a": 1}, ["typo"])
