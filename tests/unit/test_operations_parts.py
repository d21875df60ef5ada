"""The parts of the production layer on their own: token buckets, request ids, log scrubbing."""
import json
import logging

from api.logging_setup import JsonFormatter, ScrubQueryStrings, query_fingerprint
from api.middleware.access import accept_request_id
from api.middleware.rate_limit import TokenBuckets


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_a_bucket_allows_the_burst_then_refills_at_the_rate():
    clock = FakeClock()
    buckets = TokenBuckets(rate_per_minute=60, burst=2, clock=clock)
    assert buckets.take("a") == 0 and buckets.take("a") == 0
    assert buckets.take("a") == 1.0  # one per second
    assert buckets.take("b") == 0  # clients are independent
    clock.now += 1.0
    assert buckets.take("a") == 0


def test_the_client_table_is_bounded():
    buckets = TokenBuckets(rate_per_minute=60, burst=1, max_keys=3, clock=FakeClock())
    for client in "abcdef":
        buckets.take(client)
    assert list(buckets.buckets) == ["d", "e", "f"]


def test_request_ids_are_accepted_only_when_short_and_plain():
    assert accept_request_id("abc-DEF_1.2:3") == "abc-DEF_1.2:3"
    for bad in (None, "", "a" * 65, "a b", "a\nb", "ünï"):
        assert accept_request_id(bad) != bad


def uvicorn_access_record(path: str) -> logging.LogRecord:
    """A record shaped like uvicorn's access log: (client, method, path with query, http version, status)."""
    return logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                             ("127.0.0.1:5000", "GET", path, "1.1", 200), None)


def test_uvicorn_access_records_lose_their_query_strings():
    for path in ("/?q=my+secret+worry", "/v1/search?q=my%20secret%20worry&k=3"):
        record = uvicorn_access_record(path)
        ScrubQueryStrings().filter(record)
        message = record.getMessage()
        assert "secret" not in message and path.split("?")[0] in message and "200" in message


def test_json_formatter_writes_one_object_per_line_with_extras():
    record = logging.LogRecord("counsel_search.access", logging.INFO, __file__, 1, "GET %s", ("/v1/search",), None)
    record.status, record.route = 200, "/v1/search"
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "GET /v1/search" and entry["status"] == 200 and entry["level"] == "info"


def test_query_fingerprints_are_stable_and_do_not_contain_the_text():
    assert query_fingerprint("i feel alone") == query_fingerprint("i feel alone")
    assert query_fingerprint("i feel alone") != query_fingerprint("i feel sad")
    assert "alone" not in query_fingerprint("i feel alone")


def test_json_logging_owns_the_root_logger_after_a_library_called_basic_config():
    """What a first build does on a fresh machine: ONNX Runtime's quantisation tooling logs through the
    root logger, so `logging.basicConfig` puts a plain text handler there before the server configures
    its JSON one; without taking it off, every line was printed twice (issue 17)."""
    from api.logging_setup import configure_logging

    root = logging.getLogger()
    saved, saved_level = list(root.handlers), root.level
    try:
        root.handlers = []  # a fresh process (pytest's own capture handlers are off the root here)
        logging.basicConfig()  # as a library's module-level logging.info() does on a root without handlers
        configure_logging()
        configure_logging()  # twice (several apps in one process) still one handler
        assert [type(h).__name__ for h in root.handlers] == ["_JsonHandler"]
        logging.basicConfig()  # later calls add nothing: the root has a handler
        assert len([h for h in root.handlers if type(h) is logging.StreamHandler]) == 0
    finally:
        root.handlers, root.level = saved, saved_level
