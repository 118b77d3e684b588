"""个人信息 — owners' names, phones and e-mail addresses: normalised on the way in, masked on the way out.

Error reasons never repeat the value they refuse: a reason may reach logs and other people's screens."""

from __future__ import annotations

import re
import unicodedata

from xinyi_shared.errors import InvalidInput

MOBILE_PATTERN = re.compile(r"^1[3-9]\d{9}$")  # mainland mobile
LANDLINE_PATTERN = re.compile(r"^(?:0\d{2,3})?[2-9]\d{6,7}$")  # optional area code, local number of 7-8 digits
EMAIL_PATTERN = re.compile(
    r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$"
)
MAX_EMAIL_LENGTH = 254
MAX_EMAIL_LOCAL_LENGTH = 64

_PHONE_SEPARATORS = re.compile(r"[\s\-‐‑–—()]+")  # after NFKC: spaces, dashes, brackets round an area code
_MAINLAND_PREFIX = re.compile(r"^(?:\+86|0086|86)(?=1[3-9]\d{9}$)")


def mask_phone(phone: str) -> str:
    """ "13812341234" -> "138****1234"; at least 8 characters keep the first 3 and the last 4, shorter ones show nothing."""
    phone = phone.strip()
    if not phone:
        return ""
    if len(phone) < 8:
        return "****"
    return f"{phone[:3]}****{phone[-4:]}"


def mask_name(name: str) -> str:
    """ "张三" -> "张*", "Li Wei" -> "L*****": the first character, then one star per further character.

    A one-character name is all star, or masking would show it whole."""
    name = name.strip()
    if len(name) <= 1:
        return "*" * len(name)
    return name[0] + "*" * (len(name) - 1)


def normalize_phone(raw: str) -> str:
    """A mainland mobile ("+86 138-1234-1234" -> "13812341234") or a landline ("028-12345678" -> "02812345678")."""
    phone = _PHONE_SEPARATORS.sub("", unicodedata.normalize("NFKC", raw))
    phone = _MAINLAND_PREFIX.sub("", phone)
    if MOBILE_PATTERN.fullmatch(phone) or LANDLINE_PATTERN.fullmatch(phone):
        return phone
    raise InvalidInput("phone number is not valid: give one mainland mobile or landline number")


def normalize_email(raw: str) -> str:
    """Trimmed and lower-cased; refused unless it looks like local-part@domain.tld."""
    email = unicodedata.normalize("NFKC", raw).strip().lower()
    local, _, _ = email.partition("@")
    if len(email) > MAX_EMAIL_LENGTH or len(local) > MAX_EMAIL_LOCAL_LENGTH or not EMAIL_PATTERN.fullmatch(email):
        raise InvalidInput("email address is not valid")
    return email
