"""Settings from the command line, the environment (SCHOLARKG_*) and ``scholarkg.toml``.

The command line wins over the environment, which wins over the file ``scholarkg.toml`` in the
current folder (or the file named by SCHOLARKG_CONFIG). Secrets (endpoint passwords and tokens)
are read from the environment only, never from the command line or a file.
"""

from __future__ import annotations

import os

from pydantic import field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from scholarkg.iris import check_base
from scholarkg.vocab import DEFAULT_BASE

DEFAULT_STORE = "scholarkg-store"


CONFIG_FILE = "scholarkg.toml"


class Settings(BaseSettings):
    """Where the store is (a folder, or a SPARQL server's endpoints) and which base the data
    IRIs use."""

    model_config = SettingsConfigDict(env_prefix="SCHOLARKG_", frozen=True, extra="forbid")

    store: str = DEFAULT_STORE
    base: str = DEFAULT_BASE
    endpoint: str | None = None
    update_endpoint: str | None = None
    gsp_endpoint: str | None = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Command line, then environment, then the configuration file."""
        toml = TomlConfigSettingsSource(
            settings_cls, toml_file=os.environ.get("SCHOLARKG_CONFIG", CONFIG_FILE)
        )
        return init_settings, env_settings, toml

    @field_validator("base")
    @classmethod
    def _valid_base(cls, value: str) -> str:
        return check_base(value)
