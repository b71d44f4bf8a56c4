"""Team messaging: the limits the spec writes only in prose. Pure data and checks: no I/O."""

from __future__ import annotations

from typing import Any

from runner.rc.rules.base import (
    API_REFERENCE,
    DOTNET_SDK,
    GUIDE,
    Area,
    Confidence,
    Enforced,
    Hit,
    RequestView,
    Rule,
    field_of,
    items,
    text,
    utf16_units,
)

AREA = Area()
POSTS = ("createGlipPostNew", "patchGlipPostNew")
NOTES = ("createChatNoteNew", "patchNoteNew")
TASKS = ("createTaskNew", "patchTaskNew")
MAX_POST = 10_000
MAX_POST_ATTACHMENTS = 25
MAX_MEMBERS = 15
# Field -> the most characters it may hold (the spec's prose).
NOTE_LIMITS = {"title": 250, "body": 1_048_576}
TASK_LIMITS = {"subject": 250, "section": 100, "description": 102_400}


def _rule(**kwargs: Any) -> Rule:
    return AREA.rule(Rule(**kwargs))


POST_TEXT = _rule(
    id="tm.post-10000",
    operations=POSTS,
    when="a post's text is over 10,000 characters",
    status=400,
    code="CMN-101",
    message="Parameter [text] value is invalid",
    sources=(API_REFERENCE + "Posts/createGlipPostNew",),
    confidence=Confidence.HIGH,
    enforced=Enforced.CHECK,
    note="the limit is the spec's prose; the code is inferred",
)
POST_ATTACHMENTS = _rule(
    id="tm.post-25-att",
    operations=("createGlipPostNew",),
    when="a post has more than 25 attachments",
    status=400,
    code="CMN-101",
    message="Parameter [attachments] value is invalid",
    sources=(API_REFERENCE + "Posts/createGlipPostNew",),
    confidence=Confidence.HIGH,
    enforced=Enforced.CHECK,
    note="the limit is the spec's prose; the code is inferred",
)
_rule(
    id="tm.post-empty",
    operations=("createGlipPostNew",),
    when="a post has neither text nor attachments",
    status=400,
    code=None,
    message=None,
    sources=(GUIDE + "team-messaging/posting",),
    confidence=Confidence.LOW,
    enforced=Enforced.NOT_MODELLED,
    note="our inference only: not refused, lest a valid request be",
)
MEMBERS = _rule(
    id="tm.conv-15",
    operations=("createGlipConversationNew",),
    when="a conversation lists more than 15 members",
    status=400,
    code="CMN-101",
    message="Parameter [members] value is invalid",
    sources=(API_REFERENCE + "Conversations/createGlipConversationNew",),
    confidence=Confidence.HIGH,
    enforced=Enforced.CHECK,
    note="the limit is the spec's prose; the code is inferred",
)
NOTE_LIMIT = _rule(
    id="tm.note-limits",
    operations=NOTES,
    when="a note's title is over 250 characters or its body over 1 MiB",
    status=400,
    code="CMN-101",
    message="Parameter [{parameter}] value is invalid",
    sources=(API_REFERENCE + "Notes/createChatNoteNew",),
    confidence=Confidence.HIGH,
    enforced=Enforced.CHECK,
)
TASK_LIMIT = _rule(
    id="tm.task-limits",
    operations=TASKS,
    when="a task's subject is over 250 characters, its section over 100 or its description over 102,400",
    status=400,
    code="CMN-101",
    message="Parameter [{parameter}] value is invalid",
    sources=(API_REFERENCE + "Tasks/createTaskNew",),
    confidence=Confidence.HIGH,
    enforced=Enforced.CHECK,
)
_rule(
    id="tm.daily-2500",
    operations=("createGlipPostNew",),
    when="a user posts more than 2,500 messages in a day",
    status=500,
    code=None,
    message="You have exceeded your limits for this action.",
    sources=(GUIDE + "team-messaging/posting",),
    confidence=Confidence.HIGH,
    enforced=Enforced.NOT_MODELLED,
    note="a rehearsal posts far fewer; the answer is a 500, which no review counts as a 4xx",
)
_rule(
    id="tm.token-paging",
    operations=("listGlipChatsNew", "readGlipPostsNew", "listChatNotesNew", "listChatTasksNew"),
    when="a team messaging list is read",
    status=None,
    code=None,
    message=None,
    sources=(GUIDE + "team-messaging/manual/pagination",),
    confidence=Confidence.HIGH,
    enforced=Enforced.ANSWER,
    note="navigation {nextPageToken, prevPageToken}, recordCount 30 by default",
)
_rule(
    id="tm.everyone-one",
    operations=("listGlipChatsNew",),
    when="chats of type Everyone are listed",
    status=None,
    code=None,
    message=None,
    sources=(DOTNET_SDK + " (GlipChatTest.cs)",),
    confidence=Confidence.HIGH,
    enforced=Enforced.NOT_MODELLED,
    note="the sandbox's chats are the spec's sample, filtered by type",
)
_rule(
    id="tm.recordcount-250",
    operations=("listGlipChatsNew",),
    when="recordCount is over 250",
    status=400,
    code="CMN-101",
    message="Parameter [recordCount] value is invalid",
    sources=(API_REFERENCE + "Chats/listGlipChatsNew",),
    confidence=Confidence.HIGH,
    enforced=Enforced.SPEC,
)


def _over(request: RequestView, limits: dict[str, int], rule: Rule) -> list[Hit]:
    hits = []
    for name, most in limits.items():
        value = text(field_of(request.body, name))
        if value is not None and utf16_units(value) > most:
            hits.append(Hit(rule, f"json.{name}", name))
    return hits


@AREA.check(*POSTS)
def _post(request: RequestView) -> list[Hit]:
    hits = _over(request, {"text": MAX_POST}, POST_TEXT)
    if len(items(field_of(request.body, "attachments"))) > MAX_POST_ATTACHMENTS:
        hits.append(Hit(POST_ATTACHMENTS, "json.attachments", "attachments"))
    return hits


@AREA.check("createGlipConversationNew")
def _members(request: RequestView) -> list[Hit]:
    if len(items(field_of(request.body, "members"))) > MAX_MEMBERS:
        return [Hit(MEMBERS, "json.members", "members")]
    return []


@AREA.check(*NOTES)
def _note(request: RequestView) -> list[Hit]:
    return _over(request, NOTE_LIMITS, NOTE_LIMIT)


@AREA.check(*TASKS)
def _task(request: RequestView) -> list[Hit]:
    return _over(request, TASK_LIMITS, TASK_LIMIT)
