"""The PHP serializer and parser for WordPress options, checked against PHP itself."""

from __future__ import annotations

import subprocess

import pytest

from installatron_gui.lib.php import php_serialize_list, php_unserialize


def _php(code: str, *args: str) -> str:
    return subprocess.run(["php", "-r", code, "--", *args], capture_output=True, text=True,
                          timeout=30, check=True).stdout


@pytest.mark.parametrize("items", [[], ["akismet/akismet.php"],
                                   ["ünïcødé/plugin.php", 'quote"semi;brace}', "a:1:{}"]])
def test_serialized_lists_unserialize_in_php_to_the_same_strings(items):
    text = php_serialize_list(items)
    dumped = _php("var_dump(unserialize($argv[1]));", text)
    assert dumped.startswith(f"array({len(items)})")
    assert _php("echo json_encode(unserialize($argv[1]));", text) == \
        subprocess.run(["php", "-r", "echo json_encode(json_decode($argv[1]));", "--",
                        __import__("json").dumps(items)], capture_output=True, text=True,
                       check=True).stdout
    assert php_unserialize(text) == dict(enumerate(items))


def test_what_php_serializes_parses_here():
    text = _php('echo serialize(["a" => [1, 2.5, true, null, "x"], 7 => "é", "b" => false]);')
    assert php_unserialize(text) == {"a": {0: 1, 1: 2.5, 2: True, 3: None, 4: "x"}, 7: "é",
                                     "b": False}


@pytest.mark.parametrize("bad", ['O:8:"stdClass":0:{}', 'a:1:{i:0;O:8:"stdClass":0:{}}',
                                 's:5:"abc";', "a:2:{i:0;s:1:\"a\";}", "i:1;junk", "r:1;",
                                 'C:11:"ArrayObject":0:{}', "a:-1:{}", ""])
def test_objects_references_and_broken_values_are_refused(bad):
    with pytest.raises(ValueError):
        php_unserialize(bad)
