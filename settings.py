"""All configuration of counsel-search, in one place.

Every knob is an environment variable (the field name in upper case) with a default that works on a
fresh machine. The API reads `Settings()` once at start-up; the command-line scripts use the same
object for their defaults, so a flag and its environment variable always mean the same thing.
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_MODEL = "all-MiniLM-L6-v2"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    # Data and index
    index_dir: Path = Field(Path("indexes/counselchat"), description="Index directory (holds versions and a `current` pointer).")
    counselchat_csv: Path | None = Field(None, description="Local CounselChat CSV; when unset the public file is fetched and cached.")
    data_cache_dir: Path = Field(Path.home() / ".cache" / "counsel-search", description="Where a fetched corpus is cached.")
    embedding_model: str = Field(DEFAULT_MODEL, description="sentence-transformers model name or path.")
    embedding_backend: Literal["onnx", "torch"] = Field(
        "onnx", description="Runs the model: `onnx` (ONNX Runtime, no torch import, fast) or `torch` (sentence-transformers).")
    onnx_file: Path | None = Field(None, description="ONNX file for EMBEDDING_BACKEND=onnx; unset = the packaged int8 export.")
    embedding_threads: int = Field(0, ge=0, description="ONNX Runtime threads per model run; 0 = cores / SEARCH_THREADS when serving, all cores when building.")
    query_cache_size: int = Field(2048, ge=0, description="Query embeddings kept in an LRU cache (keyed by a hash, not the text); 0 = off.")
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
    log_queries_raw: bool = Field(False, description="With LOG_QUERIES, log the raw text instead of its hash (debugging only).")
    search_threads: int = Field(2, ge=1, description="Worker threads for CPU-bound search work.")

    # Production limits and operations (see README "Operations")
    max_body_bytes: int = Field(64 * 1024, ge=1024, description="Largest request body accepted; larger gets 413.")
    search_timeout_s: float = Field(10.0, gt=0, description="A search slower than this gets 504.")
    rate_limit_per_minute: int = Field(0, ge=0, description="Requests per minute per client on /v1; 0 = no limit.")
    rate_limit_burst: int = Field(20, ge=1, description="Requests a client may send at once before the rate applies.")
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Comma-separated origins allowed to call the API from a browser; empty = none.")
    metrics_enabled: bool = Field(True, description="Serve Prometheus metrics at /metrics.")
    shutdown_drain_s: float = Field(5.0, ge=0, description="On SIGTERM, seconds /readyz answers 503 before the server stops.")

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value):
        """CORS_ORIGINS=https://a.example,https://b.example (a list is accepted too)."""
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value
