"""``plan scan`` on the idioms met in real RingCentral apps, one small fixture of our own per idiom:
a path kept in a constant and reused with other verbs and suffixes, helpers that take the method or
the path as a parameter (across modules), ``+=`` and ``format``, typed chains ending in ``list()``,
clients generated from the spec, paths without a leading slash (Ruby), legacy spellings
(``/ringout``, ``/glip``), ids concatenated into subscription paths, URIs taken from answers, each
SDK's way to set event filters, and a call whose path the scan cannot finish (a todo naming the
candidates). Exact operations: nothing missed, nothing extra.
"""

from __future__ import annotations

from pathlib import Path

from runner.plan.check import check_plan
from runner.plan.loader import parse_plan
from runner.plan.scan import scan_source
from runner.plan.scan_plan import render
from tests.conftest import REPO

REAL = REPO / "tests" / "fixtures" / "scan_real"
SITES = "/restapi/v1.0/account/~/sites"
EXPECTED = {
    # C#: List() is the collection, Get() on an id the record; a subscription request's EventFilters
    ("cs/Queues.cs", 5, "GET", "/restapi/v1.0/account/~/call-queues"),
    ("cs/Queues.cs", 6, "GET", "/restapi/v1.0/account/~/call-queues/{{id1}}"),
    ("cs/Queues.cs", 8, "POST", "/restapi/v1.0/subscription"),
    # C#: Refit interfaces, a method's attribute its verb and path
    ("cs/IVoicemailApi.cs", 6, "GET", "/restapi/v1.0/account/~/extension/~/message-store/{{id1}}"),
    (
        "cs/IVoicemailApi.cs",
        10,
        "GET",
        "/restapi/v1.0/account/~/extension/~/message-store/{{id1}}/content/{{id2}}",
    ),
    ("cs/IVoicemailApi.cs", 13, "DELETE", "/restapi/v1.0/account/~/extension/~/message-store/{{id1}}"),
    # C#: an override is called by its host
    ("cs/Poller.cs", 6, "GET", "/restapi/v1.0/account/~/call-log"),
    # Go: a client generated from the spec (operationId), fmt.Sprintf of a constant, http.NewRequest
    ("go/hooks.go", 4, "POST", "/restapi/v1.0/subscription"),
    ("go/hooks.go", 9, "DELETE", "/restapi/v1.0/subscription/{{subscriptionId}}"),
    ("go/hooks.go", 16, "GET", "/restapi/v1.0/account/~/extension/~/presence"),
    # Java: a subscription whose filters a list of String.format(...) holds
    ("java/Hooks.java", 8, "POST", "/restapi/v1.0/subscription"),
    # Java: extension().list() is GET .../extension, extension().get() the user's own record
    ("java/Directory.java", 5, "GET", "/restapi/v1.0/account/~/extension"),
    ("java/Directory.java", 9, "GET", "/restapi/v1.0/account/~/extension/~"),
    ("java/Directory.java", 13, "GET", "/restapi/v1.0/account/~/call-queues/{{id1}}/members"),
    # Java: Retrofit annotations (the bare @GET with @Url names no path: nothing to read)
    ("java/PagerApi.java", 6, "GET", "/restapi/v1.0/account/~/extension/~/message-store"),
    ("java/PagerApi.java", 9, "POST", "/restapi/v1.0/account/~/extension/~/company-pager"),
    # JavaScript: a path in a variable, an attachment's uri from the answer, send({method, url})
    ("js/poller.js", 6, "GET", "/restapi/v1.0/account/~/extension/~/message-store"),
    (
        "js/poller.js",
        9,
        "GET",
        "/restapi/v1.0/account/~/extension/~/message-store/{{messageId}}/content/{{attachmentId}}",
    ),
    ("js/poller.js", 12, "PATCH", "/restapi/v1.0/account/~/extension/~/message-store/{{id1}}"),
    # Kotlin: the typed chain, a const val, "$name" templates
    ("kt/Texts.kt", 4, "POST", "/restapi/v1.0/account/~/extension/~/sms"),
    ("kt/Texts.kt", 5, "POST", "/restapi/v1.0/account/~/extension/~/sms"),
    ("kt/Texts.kt", 7, "GET", "/restapi/v1.0/account/~/extension/~/message-store/{{id1}}"),
    # JavaScript: a method only a Vue component calls is live (its name is read in every text file)
    ("js/inbox.js", 8, "GET", "/restapi/v1.0/account/~/extension/~/message-store"),
    # JavaScript: an exported function nothing here calls is live
    ("js/presence.js", 3, "GET", "/restapi/v1.0/account/~/extension/~/presence"),
    # Kotlin: Retrofit with paths relative to the base URL, and @HTTP(method = ..., path = ...)
    ("kt/CallLogApi.kt", 5, "GET", "/restapi/v1.0/account/~/extension/~/call-log"),
    ("kt/CallLogApi.kt", 8, "DELETE", "/restapi/v1.0/account/~/extension/~/call-log"),
    # PHP: legacy /ringout, a recording's contentUri, the multipart builder's request(), addEvents
    ("php/demo.php", 2, "POST", "/restapi/v1.0/account/~/extension/~/ring-out"),
    ("php/demo.php", 3, "GET", "/restapi/v1.0/account/~/call-log"),
    ("php/demo.php", 5, "GET", "/restapi/v1.0/account/~/recording/{{recordingId}}/content"),
    ("php/demo.php", 7, "POST", "/restapi/v1.0/account/~/extension/~/fax"),
    # Python: a placeholder in a constant that also holds a query string, filled by replace()
    ("py/call_log.py", 6, "GET", "/restapi/v1.0/account/~/extension/~/call-log"),
    # Python: '.../subscription/' + id + '/renew' is the renewal, delete(... + id) the deletion
    ("py/subscriptions.py", 5, "POST", "/restapi/v1.0/subscription/{{id1}}/renew"),
    ("py/subscriptions.py", 7, "DELETE", "/restapi/v1.0/subscription/{{id1}}"),
    # Python: a client whose verbs share request(); its cache's own get() is not the client's get();
    # a constant's str.format() fills the constant
    ("py/gateway/queues.py", 12, "GET", "/restapi/v1.0/account/~/call-queues/{{id1}}/members"),
    ("py/gateway/queues.py", 15, "PUT", "/restapi/v1.0/account/~/call-queues/{{id1}}"),
    ("py/gateway/queues.py", 18, "GET", "/restapi/v1.0/account/~/extension/~/call-log"),
    # Python: a route's decorator makes it live; a service method nothing calls is not (skipped)
    ("py/unused/routes.py", 12, "GET", "/restapi/v1.0/account/~/ivr-menus"),
    ("py/unused/sites.py", 11, "GET", "/restapi/v1.0/account/~/sites"),
    # Python: one constant, five verbs, through helpers of helpers imported from another module
    ("py/tools/sites.py", 14, "GET", SITES),
    ("py/tools/sites.py", 15, "POST", SITES),
    ("py/tools/sites.py", 16, "GET", SITES + "/{{id1}}"),
    ("py/tools/sites.py", 17, "PUT", SITES + "/{{id1}}"),
    ("py/tools/sites.py", 18, "DELETE", SITES + "/{{id1}}"),
    ("py/tools/sites.py", 19, "GET", "/restapi/v1.0/account/~/extension/~/presence"),
    (
        "py/tools/sites.py",
        22,
        "POST",
        "/restapi/v1.0/account/~/telephony/sessions/{{id1}}/parties/{{id2}}/supervise",
    ),
    # Ruby: paths without a leading slash, a URL in a variable, profileImage.uri from the answer
    ("rb/avatars.rb", 3, "GET", "/restapi/v1.0/account/~/extension/~"),
    ("rb/avatars.rb", 8, "PUT", "/restapi/v1.0/account/~/extension/~/profile-image"),
    ("rb/avatars.rb", 12, "GET", "/restapi/v1.0/account/~/extension/~/profile-image"),
    # TypeScript: a request(method, path) wrapper; the legacy Glip path is Team Messaging's
    ("ts/client.ts", 8, "GET", "/team-messaging/v1/chats/{{id1}}/posts"),
    ("ts/client.ts", 12, "GET", "/team-messaging/v1/chats/{{id1}}/posts"),
    ("ts/client.ts", 16, "DELETE", "/team-messaging/v1/notes/{{id1}}"),
}
# Calls of no operation in the API, reported once each: a path ending in an id is not a path whose
# end is unknown, so no todo guesses an operation under it
UNMATCHED = [("py/gateway/queues.py", 22, "/restapi/v1.0/account/~/department/{{id1}}")]
FILTERS = {
    ("cs/Queues.cs", 7, "/restapi/v1.0/account/~/call-queues/{{id1}}/presence"),
    ("java/Hooks.java", 7, "/restapi/v1.0/account/~/extension/~/presence"),
    ("php/demo.php", 10, "/restapi/v1.0/account/~/extension/~/presence"),
    ("py/subscriptions.py", 12, "/restapi/v1.0/account/~/extension/~/message-store"),
    ("ts/client.ts", 22, "/team-messaging/v1/posts"),
}


def test_every_real_idiom_maps_to_exactly_its_operations():
    scan = scan_source(REAL)
    sure = {(f.file, f.line, f.method, f.path) for f in scan.found if not f.unsure}
    assert sure == EXPECTED
    assert set(scan.event_filters) == FILTERS
    assert [(u.file, u.line, u.text) for u in scan.unmatched] == UNMATCHED
    assert {f for f, why in scan.skipped if why == "in a function nothing calls"} == {
        "py/unused/sites.py",
        "java/PagerApi.java",
    }


def test_a_call_the_scan_cannot_finish_is_a_todo_naming_its_candidates_and_place():
    scan = scan_source(REAL)
    (unsure,) = [f for f in scan.found if f.unsure]
    assert (unsure.file, unsure.line) == ("py/unresolved.py", 3)
    assert (
        "built at run time" in unsure.unsure and "operations under /restapi/v1.0/account/~" in unsure.unsure
    )
    assert len(unsure.alternatives) >= 5
    text = render(scan.found, name="real", event_filters=scan.event_filters)
    item = text.split("    # py/unresolved.py:3", 1)[1].split("\n  - ", 1)[0]
    assert "todo:" in item and "py/unresolved.py:3" in item and "keep the one the app calls" in item
    plan = parse_plan(text, Path("real.yaml"), env={})
    assert any("py/unresolved.py:3" in e.message for e in check_plan(plan).errors)
