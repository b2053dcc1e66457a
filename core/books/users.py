"""Users, passwords and personal API tokens.

Passwords are kept as werkzeug hashes (scrypt/pbkdf2); tokens only as their
sha256, so a stolen database does not sign anyone in.  The web app and the
CLI (``ekonomi users add``, ``ekonomi tokens create``) both use these.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlmodel import Session, select

from . import models as m
from .credentials import check_password, normalize_email
from ..errors import EkonomiError, Forbidden, NotFound

ROLES = ("bureau-admin", "consultant", "client")
TOKEN_PREFIX = "ek_"
# werkzeug's hashing method; tests may choose a cheaper one.
PASSWORD_METHOD = "scrypt"


def hash_password(password: str) -> str:
    from werkzeug.security import generate_password_hash

    return generate_password_hash(password, method=PASSWORD_METHOD)




def get_user(session: Session, email: str) -> m.User:
    user = session.exec(select(m.User).where(m.User.email == email.strip().lower())).first()
    if user is None:
        raise NotFound(f"No user {email!r}.")
    return user


def add_user(
    session: Session,
    email: str,
    password: str,
    role: str,
    *,
    bureau: m.Bureau | None = None,
    company: m.Company | None = None,
    name: str | None = None,
    can_import_files: bool = False,
    can_open_settings: bool = False,
    can_import_sie4: bool | None = None,  # the old name of can_import_files, for one release
) -> m.User:
    """A new user.  Bureau staff belong to a bureau; a client user is given
    access to ``company`` (view reports, and the rights asked for)."""
    email = normalize_email(email)
    if role not in ROLES:
        raise EkonomiError(f"The role must be one of {', '.join(ROLES)}, not {role!r}.", code="bad_request")
    check_password(password, email)
    if session.exec(select(m.User).where(m.User.email == email)).first():
        raise EkonomiError(f"A user {email} already exists.", code="conflict")
    if role != "client" and bureau is None:
        raise EkonomiError("Bureau staff need a bureau (--bureau).", code="bad_request")
    if role == "client" and company is None:
        raise EkonomiError("A client user needs a company (--company).", code="bad_request")
    user = m.User(
        email=email,
        name=name,
        password_hash=hash_password(password),
        role=role,
        bureau_id=bureau.id if bureau is not None and role != "client" else None,
    )
    session.add(user)
    session.flush()
    if company is not None and role != "bureau-admin":
        files = can_import_files if can_import_sie4 is None else can_import_sie4
        grant(session, user, company, can_import_files=files, can_open_settings=can_open_settings)
    return user


def grant(
    session: Session,
    user: m.User,
    company: m.Company,
    *,
    can_view_reports: bool = True,
    can_open_settings: bool = False,
    can_import_files: bool = False,
    can_import_sie4: bool | None = None,  # the old name of can_import_files, for one release
) -> m.CompanyAccess:
    """Set a user's rights in a company (creating the access row).  A bureau
    admin's are the bureau's, all of them, and are refused here."""
    from .rules import rights_are_fixed

    if rights_are_fixed(user):
        raise Forbidden(f"{user.email} is a bureau admin, with every right in the bureau's clients; they cannot be changed.")
    access = session.get(m.CompanyAccess, (user.id, company.id))
    if access is None:
        access = m.CompanyAccess(user_id=user.id, company_id=company.id)  # type: ignore[arg-type]
    access.can_view_reports = can_view_reports
    access.can_open_settings = can_open_settings
    access.can_import_files = can_import_files if can_import_sie4 is None else can_import_sie4
    session.add(access)
    return access


def revoke_access(session: Session, user: m.User, company: m.Company) -> bool:
    """Remove a client user's access to the company (False when they had
    none).  Bureau staff reach every client of their bureau; narrow their
    rights with ``grant`` instead."""
    if user.role != "client":
        raise EkonomiError(f"{user.email} is bureau staff and reaches every client of the bureau.", code="bad_request")
    access = session.get(m.CompanyAccess, (user.id, company.id))
    if access is None:
        return False
    session.delete(access)
    return True


def set_password(session: Session, user: m.User, password: str) -> None:
    """A new password; it ends the user's web sessions everywhere (a thief's
    copy of a session cookie must not outlive the password it came with)."""
    check_password(password, user.email)
    user.password_hash = hash_password(password)
    end_sessions(session, user)


def end_sessions(session: Session, user: m.User) -> None:
    """End every web session of the user: each keeps the generation it began
    in, and one that no longer matches is signed out (web/sessions.py)."""
    user.session_generation = (user.session_generation or 0) + 1
    session.add(user)


def is_password(user: m.User, password: str) -> bool:
    """Whether ``password`` is the user's (a password change asks for it)."""
    from werkzeug.security import check_password_hash

    return bool(user.password_hash) and check_password_hash(user.password_hash, password)


def authenticate(session: Session, email: str, password: str) -> m.User | None:
    """The active user with this e-mail and password, else None."""
    from werkzeug.security import check_password_hash

    user = session.exec(select(m.User).where(m.User.email == email.strip().lower())).first()
    if user is None or not user.active or not user.password_hash:
        # Same work either way, so timing does not tell which e-mails exist.
        check_password_hash(_dummy_hash(), password)
        return None
    if not check_password_hash(user.password_hash, password):
        return None
    return user


def create_token(session: Session, user: m.User, name: str = "") -> str:
    """A new personal API token; the text is shown once and never stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(m.ApiToken(user_id=user.id, token_sha256=token_sha256(token), name=name))  # type: ignore[arg-type]
    return token


def list_tokens(session: Session, user: m.User | None = None) -> list[tuple[m.ApiToken, m.User]]:
    """The tokens (of ``user``, or everyone's) with their owners, newest first."""
    stmt = select(m.ApiToken, m.User).join(m.User, m.User.id == m.ApiToken.user_id)  # type: ignore[arg-type]
    if user is not None:
        stmt = stmt.where(m.ApiToken.user_id == user.id)
    return [(t, u) for t, u in session.exec(stmt.order_by(m.ApiToken.id.desc()))]  # type: ignore[union-attr]


def revoke_token(session: Session, token_id: int, user: m.User | None = None) -> m.ApiToken:
    """Delete a token (of ``user``, when given), so the next request that
    sends it is refused; NotFound when there is no such token."""
    row = session.get(m.ApiToken, token_id)
    if row is None or (user is not None and row.user_id != user.id):
        raise NotFound(f"No API token {token_id}.")
    session.delete(row)
    return row


def token_json(token: m.ApiToken, owner: m.User) -> dict[str, object]:
    """A token as ``ekonomi tokens list --json`` shows it (never its text)."""
    return {
        "id": token.id,
        "email": owner.email,
        "name": token.name,
        "created_at": token.created_at.isoformat() if token.created_at else None,
        "last_used_at": token.last_used_at.isoformat() if token.last_used_at else None,
    }


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def user_for_token(session: Session, token: str, touch: bool = True) -> m.User | None:
    """The active user a bearer token belongs to, else None.  ``touch``
    records the use (``last_used_at``; committed with the session)."""
    row = session.exec(select(m.ApiToken).where(m.ApiToken.token_sha256 == token_sha256(token.strip()))).first()
    if row is None:
        return None
    user = session.get(m.User, row.user_id)
    if user is None or not user.active:
        return None
    if touch:
        row.last_used_at = m.utcnow()
        session.add(row)
    return user


_dummy: list[str] = []


def _dummy_hash() -> str:
    if not _dummy:
        _dummy.append(hash_password(secrets.token_hex(8)))
    return _dummy[0]
