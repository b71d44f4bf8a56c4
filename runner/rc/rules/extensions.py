"""Extensions and the caller's own: reading back what was written, the extension list, the
profile image, and the media an extension uploads (greetings, IVR prompts). Pure data and checks."""

from __future__ import annotations

from typing import Any

from runner.rc.rules.base import (
    API_REFERENCE,
    EXTENSIBLE_SDK,
    GUIDE,
    REFERENCE_2021,
    Area,
    Attachment,
    Confidence,
    Enforced,
    Hit,
    RequestView,
    Rule,
)

AREA = Area()
PROFILE_IMAGE = ("createUserProfileImage", "updateUserProfileImage")
GREETINGS = ("createCustomUserGreeting", "createCompanyGreeting")
IVR = ("createIVRPrompt",)
IMAGE_EXTENSIONS = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
                    ".bmp": "image/bmp", ".tif": "image/tiff", ".tiff": "image/tiff", ".webp": "image/webp"}  # fmt: skip
AUDIO_EXTENSIONS = {".mp3": "audio/mpeg", ".wav": "audio/wav", ".ogg": "audio/ogg", ".m4a": "audio/mp4"}
# Magic numbers: what the first bytes of an image or a sound file are.
_IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"II*\x00", b"MM\x00*", b"RIFF")
_AUDIO_MAGIC = (b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2", b"RIFF", b"OggS")


def _rule(**kwargs: Any) -> Rule:
    return AREA.rule(Rule(**kwargs))


_rule(
    id="ext.list-includes-caller",
    operations=("listExtensions",),
    when="the account's extensions are listed",
    status=None,
    code=None,
    message=None,
    sources=(API_REFERENCE + "Extensions/listExtensions", EXTENSIBLE_SDK + " (address-book.spec.ts)"),
    confidence=Confidence.HIGH,
    enforced=Enforced.ANSWER,
    note="every kind of extension is listed, the caller's own among them",
)
_rule(
    id="ext.put-persists",
    operations=("updateExtension", "readExtension"),
    when="an extension is changed, then read",
    status=None,
    code=None,
    message=None,
    sources=(REFERENCE_2021, EXTENSIBLE_SDK + " (update-extension.spec.ts)"),
    confidence=Confidence.HIGH,
    enforced=Enforced.ANSWER,
    note="the read (and the list) show the new values; contact fields not sent are kept",
)
_rule(
    id="ext.email-format",
    operations=("updateExtension",),
    when="contact.email is no e-mail address",
    status=400,
    code="CMN-101",
    message="Parameter [contact.email] value is invalid",
    sources=(REFERENCE_2021,),
    confidence=Confidence.HIGH,
    enforced=Enforced.SPEC,
)
_rule(
    id="ext.unknown",
    operations=("readExtension", "updateExtension"),
    when="the extension id names no extension",
    status=404,
    code="CMN-102",
    message="Resource for parameter [extensionId] is not found",
    sources=(REFERENCE_2021,),
    confidence=Confidence.HIGH,
    enforced=Enforced.SANDBOX,
)
_rule(
    id="ext.other-ext",
    operations=("updateExtension",),
    when="a user who is not an administrator changes another extension",
    status=403,
    code="CMN-404",
    message="Attempt to access another extension",
    sources=(GUIDE + "basics/errors", REFERENCE_2021),
    confidence=Confidence.MEDIUM,
    enforced=Enforced.NOT_MODELLED,
    note="the sandbox's user is the account's administrator",
)
IMAGE_TYPE = _rule(
    id="img.type",
    operations=PROFILE_IMAGE,
    when="the image part is not an image",
    status=415,
    code="ACT-330",
    message="Unsupported image content type",
    sources=(REFERENCE_2021,),
    confidence=Confidence.HIGH,
    enforced=Enforced.CHECK,
)
IMAGE_MISSING = _rule(
    id="img.missing",
    operations=PROFILE_IMAGE,
    when="there is no image, or it is empty (a PUT too, though its schema does not require it)",
    status=400,
    code="CMN-101",
    message="Parameter [image] value is invalid",
    sources=(REFERENCE_2021, API_REFERENCE + "User-Settings/createUserProfileImage"),
    confidence=Confidence.HIGH,
    enforced=Enforced.CHECK,
)
_rule(
    id="img.204",
    operations=(*PROFILE_IMAGE, "readUserProfileImageLegacy"),
    when="an image is uploaded, then read",
    status=None,
    code=None,
    message=None,
    sources=(REFERENCE_2021, EXTENSIBLE_SDK + " (profile-image.spec.ts)"),
    confidence=Confidence.HIGH,
    enforced=Enforced.ANSWER,
    note="204, and the read returns the uploaded bytes with their type",
)
_rule(
    id="img.scale-missing",
    operations=("readScaledProfileImage",),
    when="no image exists at that size",
    status=404,
    code="ACT-333",
    message="Profile image is not found for scale size",
    sources=(REFERENCE_2021,),
    confidence=Confidence.HIGH,
    enforced=Enforced.NOT_MODELLED,
    note="the sandbox's user starts with a default image, which every size serves (whether"
    " RingCentral has one before any upload is not documented)",
)
GREETING_EMPTY = _rule(
    id="mp.greeting-empty",
    operations=GREETINGS,
    when="the greeting's audio is missing or empty",
    status=400,
    code="AWR-128",
    message="Attachment body is empty",
    sources=(REFERENCE_2021,),
    confidence=Confidence.HIGH,
    enforced=Enforced.CHECK,
)
GREETING_TYPE = _rule(
    id="mp.greeting-type",
    operations=GREETINGS,
    when="the greeting's file is not audio",
    status=400,
    code="AWR-129",
    message="Invalid attachment media type",
    sources=(REFERENCE_2021,),
    confidence=Confidence.HIGH,
    enforced=Enforced.CHECK,
)
IVR_AUDIO = _rule(
    id="mp.ivr-audio",
    operations=IVR,
    when="the prompt's attachment is empty or not audio",
    status=400,
    code="CMN-101",
    message="Parameter [attachment] value is invalid",
    sources=(API_REFERENCE + "IVR/createIVRPrompt",),
    confidence=Confidence.MEDIUM,
    enforced=Enforced.CHECK,
    note="the spec's words: 'Attachment cannot be empty, only audio files are supported'; the code is inferred",
)


def _kind(attachment: Attachment, prefix: str, extensions: dict[str, str], magic: tuple[bytes, ...]) -> bool:
    """True when the part is of the kind (by its type, its file name, or its first bytes)."""
    given = (attachment.content_type or "").split(";", 1)[0].strip().lower()
    if given.startswith(prefix):
        return True
    name = (attachment.filename or "").lower()
    if any(name.endswith(ext) for ext in extensions):
        return True
    return attachment.head.startswith(magic)


def is_image(attachment: Attachment) -> bool:
    return _kind(attachment, "image/", IMAGE_EXTENSIONS, _IMAGE_MAGIC)


def is_audio(attachment: Attachment) -> bool:
    return _kind(attachment, "audio/", AUDIO_EXTENSIONS, _AUDIO_MAGIC)


@AREA.check(*PROFILE_IMAGE)
def _profile_image(request: RequestView) -> list[Hit]:
    files = request.files
    if not files or all(f.size == 0 for f in files):
        return [Hit(IMAGE_MISSING, "image", "image")]
    if not is_image(files[0]):
        return [Hit(IMAGE_TYPE, "image", "image")]
    return []


@AREA.check(*GREETINGS)
def _greeting(request: RequestView) -> list[Hit]:
    files = request.files
    if not files or files[0].size == 0:
        return [Hit(GREETING_EMPTY, "binary", "binary")]
    if not is_audio(files[0]):
        return [Hit(GREETING_TYPE, "binary", "binary")]
    return []


@AREA.check(*IVR)
def _ivr_prompt(request: RequestView) -> list[Hit]:
    files = request.files
    if files and (files[0].size == 0 or not is_audio(files[0])):
        return [Hit(IVR_AUDIO, "attachment", "attachment")]
    return []
