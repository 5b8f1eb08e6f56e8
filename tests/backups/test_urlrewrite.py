"""The serialized-aware URL replacer, checked against PHP's own unserialize()."""

from __future__ import annotations

import json
import subprocess

import pytest

from apps.sites.urlrewrite import UrlRewriter

OLD, NEW = "http://a.test", "https://new.example.org/sub"


def php(code: str, *args: str) -> str:
    proc = subprocess.run(["php", "-r", code, "--", *args], capture_output=True, check=True)
    return proc.stdout.decode()


def php_serialize(value) -> str:
    return php('echo serialize(json_decode($argv[1], false));', json.dumps(value))


def php_unserialize(data: str):
    """PHP's unserialize() of ``data`` as JSON, or None when PHP refuses it."""
    out = php('$v = @unserialize($argv[1]); echo $v === false ? "FALSE" : json_encode($v, '
              'JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);', data)
    return None if out == "FALSE" else json.loads(out)


def test_nested_arrays_and_objects_keep_valid_lengths():
    value = {"home": f"{OLD}/ünïcödé/", "list": [f"{OLD}/a", 5, 2.5, True, None],
             "obj": {"deep": {"deeper": f"see {OLD}/x and {OLD}"}}}
    data = php_serialize(value)
    assert "stdClass" in data  # objects, not just arrays
    out = UrlRewriter(OLD, NEW).value(data)
    assert out != data
    back = php_unserialize(out)
    assert back == {"home": f"{NEW}/ünïcödé/", "list": [f"{NEW}/a", 5, 2.5, True, None],
                    "obj": {"deep": {"deeper": f"see {NEW}/x and {NEW}"}}}


def test_multibyte_lengths_are_counted_in_bytes():
    data = php_serialize(["€ " + OLD])  # "€" is three bytes
    out = UrlRewriter(OLD, "http://ü.test").value(data)
    expected = "€ http://ü.test"
    assert f's:{len(expected.encode())}:"{expected}"' in out
    assert php_unserialize(out) == [expected]


def test_double_serialized_strings_are_fixed_inside_and_out():
    inner = php_serialize({"url": OLD + "/p"})
    data = php('echo serialize($argv[1]);', inner)
    out = UrlRewriter(OLD, NEW).value(data)
    assert php_unserialize(php_unserialize(out)) == {"url": NEW + "/p"}


@pytest.mark.parametrize("text", [
    "http://a.test.evil/", "http://a.test2/", "http://a.testing", "http://a.test:8080/",
    "http://a.test-mirror/", "http://a.test@evil.example/", "https://a.test/",
    "xhttp://a.test/"])
def test_longer_hosts_ports_and_other_urls_are_left_alone(text):
    assert UrlRewriter(OLD, NEW).value(text) == text
    data = php_serialize([text])
    assert UrlRewriter(OLD, NEW).value(data) == data


@pytest.mark.parametrize("text, expected", [
    ("http://a.test", NEW), ("http://a.test/", NEW + "/"), ("http://a.test?p=1", NEW + "?p=1"),
    ('<a href="http://a.test">', f'<a href="{NEW}">'), ("End: http://a.test.", f"End: {NEW}."),
    ("http:\\/\\/a.test\\/x", "https:\\/\\/new.example.org\\/sub\\/x"),
    ("http://a.test:", NEW + ":")])
def test_whole_urls_are_rewritten(text, expected):
    assert UrlRewriter(OLD, NEW).value(text) == expected


def test_a_path_url_does_not_rewrite_a_sibling_path():
    rw = UrlRewriter("http://a.test/blog", "http://b.test")
    assert rw.value("http://a.test/blog/x http://a.test/blogs http://a.test/blog.html") == \
        "http://b.test/x http://a.test/blogs http://a.test/blog.html"


def test_broken_serialized_data_is_treated_as_text_and_custom_payloads_kept():
    rw = UrlRewriter(OLD, NEW)
    assert rw.value('s:99:"http://a.test";') == f's:99:"{NEW}";'
    custom = f'C:11:"ArrayObject":13:{{{OLD}}}'
    assert rw.value(f"a:1:{{i:0;{custom}}}") == f"a:1:{{i:0;{custom}}}"
    assert rw.value(b"bytes http://a.test/") == b"bytes " + NEW.encode() + b"/"
