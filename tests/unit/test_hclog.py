import json
import logging
import re

from zhi_gui.plugin.hclog import HclogJsonFormatter, parse_line


def test_formatter_emits_only_string_fields_and_six_digit_timestamps() -> None:
    record = logging.LogRecord("zhi.store", logging.WARNING, __file__, 1, "n=%d", (5,), None)
    record.count = 42  # extra fields of any type
    record.nested = {"a": [1]}
    data = json.loads(HclogJsonFormatter().format(record))
    assert data["@level"] == "warn" and data["@message"] == "n=5" and data["@module"] == "zhi.store"
    assert all(isinstance(v, str) for v in data.values())
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", data["@timestamp"])


def test_parse_json_and_text_lines() -> None:
    line = parse_line('{"@level":"error","@message":"boom","@timestamp":"t","@module":"m","k":1}\n')
    assert (line.level, line.message, line.module, line.fields) == ("error", "boom", "m", {"k": "1"})
    assert line.is_json
    text = parse_line("2026-11-22T10:00:00.000Z [WARN]  plugin: disk almost full")
    assert (text.level, text.message) == ("warn", "plugin: disk almost full")
    plain = parse_line("panic: runtime error")
    assert (plain.level, plain.message, plain.is_json) == ("debug", "panic: runtime error", False)
    assert parse_line("{not json").message == "{not json"
