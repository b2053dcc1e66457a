"""Where the eEkonomi plugin finds the service and who it is to it: base
URLs and the OAuth2 client, read from the environment.  The defaults are the
real service; a test server is reached by setting only the base URLs."""

from __future__ import annotations

import os
from dataclasses import dataclass

# Read-only scopes for everything the importer reads (research notes 1.2).
# ``offline_access`` is what brings a refresh token; ``companysettings``
# accepts only a sales scope, so ea:sales_readonly is needed too.
SCOPES = "ea:api offline_access ea:accounting_readonly ea:sales_readonly ea:purchase_readonly"

API_BASE = "https://eaccountingapi.vismaonline.com/v2/"
IDENTITY_BASE = "https://identity.vismaonline.com"


@dataclass(frozen=True)
class Settings:
    api_base: str = API_BASE
    identity_base: str = IDENTITY_BASE
    client_id: str | None = None
    client_secret: str | None = None
    redirect_uri: str | None = None

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        api_base = env.get("EKONOMI_EEKONOMI_API_BASE") or API_BASE
        return cls(
            # paths are joined onto the base, which therefore ends with "/"
            api_base=api_base if api_base.endswith("/") else api_base + "/",
            identity_base=(env.get("EKONOMI_EEKONOMI_IDENTITY_BASE") or IDENTITY_BASE).rstrip("/"),
            client_id=env.get("EKONOMI_EEKONOMI_CLIENT_ID") or None,
            client_secret=env.get("EKONOMI_EEKONOMI_CLIENT_SECRET") or None,
            redirect_uri=env.get("EKONOMI_EEKONOMI_REDIRECT_URI") or None,
        )

    @property
    def authorize_endpoint(self) -> str:
        return self.identity_base.rstrip("/") + "/connect/authorize"

    @property
    def token_endpoint(self) -> str:
        return self.identity_base.rstrip("/") + "/connect/token"
