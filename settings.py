"""All configuration of counsel-search, in one place.

Every knob is an environment variable (the field name in upper case) with a default that works on a
fresh machine. The API reads `Settings()` once at start-up; the command-line scripts use the same
object for their defaults, so a flag and its environment variable always mean the same thing.
"""
from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_MODEL = "all-MiniLM-L6-v2"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    # Data and index
    index_dir: Path = Field(Path("indexes/counselchat"), description="Index directory (holds versions and a `current` pointer).")
    counselchat_csv: Path | None = Field(None, description="Local CounselChat CSV; when unset the public file is fetched and cached.")
    data_cache_dir: Path = Field(Path.home() / ".cache" / "counsel-search", description="Where a fetched corpus is cached.")
    embedding_model: str = Field(DEFAULT_MODEL, description="sentence-transformers model name or path.")
    passage_tokens: int = Field(128, ge=32, le=512, description="Max model tokens per passage when answers are split.")
    keep_versions: int = Field(3, ge=1, description="Index versions kept on disk after a build.")

    # Query limits
    max_query_chars: int = Field(2000, ge=1)
    default_k: int = Field(10, ge=1)
    max_k: int = Field(50, ge=1)

    # Service
    host: str = "127.0.0.1"
    port: int = 8000
    log_queries: bool = Field(False, description="Log query text (hashed). Off by default: worries are private.")
    search_threads: int = Field(2, ge=1, description="Worker threads for CPU-bound search work.")
