"""Settings from the environment (SCHOLARKG_*) and the command line."""

from __future__ import annotations

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from scholarkg.iris import check_base
from scholarkg.vocab import DEFAULT_BASE

DEFAULT_STORE = "scholarkg-store"


class Settings(BaseSettings):
    """Where the store is and which base the data IRIs use."""

    model_config = SettingsConfigDict(env_prefix="SCHOLARKG_", frozen=True, extra="forbid")

    store: str = DEFAULT_STORE
    base: str = DEFAULT_BASE

    @field_validator("base")
    @classmethod
    def _valid_base(cls, value: str) -> str:
        return check_base(value)
