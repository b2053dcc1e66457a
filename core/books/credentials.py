"""What an e-mail address and a password must be for an account to be made
or its password changed.  Accounts made under older rules are not checked
again: they keep signing in until their password is next changed.

E-mail syntax is email-validator's (no DNS look-ups: the bureau's users may
be on any domain and the server may be offline).  Commonness of a password
is zxcvbn's: its list of common passwords and its guessability score.
"""

from __future__ import annotations

from functools import lru_cache

from ..errors import Refused

MIN_PASSWORD_LENGTH = 10
# zxcvbn's scores run 0 (guessed at once) to 4; 2 resists an online attack.
MIN_SCORE = 2
# zxcvbn's time grows with the length; what lies past this cannot lower a score.
SCORED_CHARACTERS = 64
# A local part shorter than this ("a@x.se") is too likely inside any password.
MIN_LOCAL_PART_CHECKED = 3


class WeakCredentials(Refused):
    """An e-mail address or password the rules refuse; ``rule`` says which
    (``email``, ``password_short``, ``password_email``, ``password_common``,
    ``password_weak``), so the web can say it in Swedish."""

    code = "bad_request"

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule


def normalize_email(text: str) -> str:
    """The address in the form it is stored in (lower case), or refused."""
    from email_validator import EmailNotValidError, validate_email

    try:
        valid = validate_email(text.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise WeakCredentials("email", f"{text.strip()!r} is not an e-mail address: {exc}") from None
    return valid.normalized.lower()


def check_password(password: str, email: str) -> None:
    """Refuse a password that is short, contains the address's local part,
    or is common or easy to guess."""
    if len(password.strip()) < MIN_PASSWORD_LENGTH:
        raise WeakCredentials(
            "password_short", f"The password needs at least {MIN_PASSWORD_LENGTH} characters (spaces at the ends not counted)."
        )
    lowered = password.lower()
    local = email.strip().lower().partition("@")[0]
    if lowered == email.strip().lower() or (len(local) >= MIN_LOCAL_PART_CHECKED and local in lowered):
        raise WeakCredentials("password_email", "The password must not contain the e-mail address.")
    if lowered.strip() in _common_passwords():
        raise WeakCredentials("password_common", "The password is among the most common passwords; choose another.")
    from zxcvbn import zxcvbn

    if zxcvbn(password[:SCORED_CHARACTERS], user_inputs=[email, local])["score"] < MIN_SCORE:
        raise WeakCredentials("password_weak", "The password is too easy to guess; use more words or characters.")


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])
