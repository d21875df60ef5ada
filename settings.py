"""All configuration of counsel-search, in one place: a leaf that imports nothing of the app.

Every knob is an environment variable (the field name in upper case) with a default that works on a
fresh machine. The entry points (the API, the command line, the MCP server) read `Settings()` once
and pass what each layer needs down to it (api/wiring.py); the library layers (retriever/, index/)
never read the environment themselves. Defaults that matter for safety live in the library, and the
ranking defaults equal `RankingConfig()`'s (a test checks it).
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_MODEL = "all-MiniLM-L6-v2"
CACHE_ROOT = Path.home() / ".cache" / "counsel-search"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    # Data and index
    index_dir: Path = Field(Path("indexes/counselchat"), description="Index directory (holds versions and a `current` pointer).")
    counselchat_csv: Path | None = Field(None, description="Local CounselChat CSV; when unset the public file is fetched and cached.")
    data_cache_dir: Path = Field(CACHE_ROOT, description="Where a fetched corpus is cached.")
    embedding_model: str = Field(DEFAULT_MODEL, description="sentence-transformers model name or path.")
    # onnx is the default: same model, cosine > 0.99 to torch per text, same evaluation quality, a third of
    # the memory and a fast cold start. The crisis check's thresholds hold on both backends (prototypes.py).
    embedding_backend: Literal["onnx", "torch"] = Field(
        "onnx", description="Runs the model: `onnx` (ONNX Runtime, int8 export, no torch import, fast) or `torch` (sentence-transformers, fp32).")
    onnx_file: Path | None = Field(None, description="ONNX file for EMBEDDING_BACKEND=onnx; unset = the packaged int8 export.")
    model_cache_dir: Path = Field(CACHE_ROOT / "models", description="Where builds keep the int8 graph they derive from the ONNX model (once, ~10 s), and the service the crisis prototypes' vectors.")
    embedding_threads: int = Field(0, ge=0, description="ONNX Runtime threads per model run; 0 = all cores when building; when serving, cores / WORKERS (and / SEARCH_THREADS too without micro-batching).")
    query_cache_size: int = Field(2048, ge=0, description="Query embeddings kept in an LRU cache (keyed by a hash, not the text); 0 = off.")
    passage_tokens: int = Field(128, ge=32, le=512, description="Max model tokens per passage when answers are split.")
    keep_versions: int = Field(3, ge=1, description="Index versions kept on disk after a build.")

    # Vector backend (see README "Backends"): FAISS in-process, or Milvus shared by every replica
    vector_backend: Literal["faiss", "milvus"] = Field(
        "faiss", description="Where vectors live: faiss (in the index directory) or milvus (a Milvus engine).")
    milvus_uri: str = Field("./milvus.db", description="A milvus-lite file (./milvus.db) or a server (http://host:19530).")
    milvus_token: str = Field("", description="Milvus token (user:password or an API key); empty = none.")
    milvus_collection_prefix: str = Field(
        "counsel", pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$",
        description="Prefix of this deployment's collections; two index directories on one Milvus need two prefixes.")
    milvus_index_type: Literal["auto", "FLAT", "IVF_FLAT", "HNSW", "AUTOINDEX"] = Field(
        "auto", description="Vector index; auto = FLAT on milvus-lite, IVF_FLAT on a server (exact under filters).")
    milvus_consistency: Literal["Strong", "Bounded", "Session", "Eventually"] = Field(
        "Bounded", description="Read consistency of searches (builds always check with Strong). Strong waits "
                               "for every write, which costs a time-tick (up to ~200 ms) per call.")

    # Crisis safety (see README "Crisis safety")
    safety_region: str = Field("us", description="Packaged help resources to show: us, gb or intl.")
    safety_resources_file: Path | None = Field(
        None, description="Your own resources JSON (same format as retriever/safety/data/us.json); overrides SAFETY_REGION.")

    # Query limits
    max_query_chars: int = Field(2000, ge=1)
    default_k: int = Field(10, ge=1)
    max_k: int = Field(50, ge=1)

    # Ranking (see docs/ranking.md for how the defaults were measured)
    ranking_fusion: Literal["learned", "weighted", "rrf"] = Field(
        "learned", description="How the signals combine: learned (the model trained on the judged worries), weighted "
                               "(round 1's hand weights) or rrf.")
    ranking_model_file: Path | None = Field(None, description="The learned ranking model; unset = the packaged one.")
    ranking_group_by_question: bool = Field(True, description="Keep the answers to one question together.")
    ranking_question_candidates: int = Field(100, ge=1, description="Questions each question view returns per query.")
    ranking_passage_candidates: int = Field(400, ge=1, description="Passages fetched from the vector store per query.")
    ranking_lexical_candidates: int = Field(50, ge=0, description="Best BM25 questions and answers added as candidates.")
    ranking_confidence_threshold: float | None = Field(
        None, ge=0, le=1, description="A response is low_confidence when its best result's confidence is below this; "
                                      "unset = the learned model's own threshold.")

    # Service
    host: str = "127.0.0.1"
    port: int = 8000
    log_queries: bool = Field(False, description="Log query text (hashed). Off by default: worries are private.")
    log_queries_raw: bool = Field(False, description="With LOG_QUERIES, log the raw text instead of its hash (debugging only).")
    workers: int = Field(1, ge=0, le=64, description="Server processes sharing the port (scripts/serve.py); 0 = one per core. Each loads its own model and index.")
    search_threads: int = Field(8, ge=1, description="Searches in progress at once (the rest queue); with ENCODE_BATCH_MAX > 1 their encodes share model calls.")
    malloc_arenas: int = Field(2, ge=0, le=64, description="glibc malloc arenas a server process may use (api/allocator.py: the default, 8 per core, keeps idle threads' freed memory); 0 = glibc's default.")
    encode_batch_max: int = Field(16, ge=0, le=256, description="Most queries encoded in one model call by the micro-batcher (retriever/batching.py); 0 or 1 = every search encodes alone.")

    # Production limits and operations (see README "Operations")
    max_body_bytes: int = Field(64 * 1024, ge=1024, description="Largest request body accepted; larger gets 413.")
    search_timeout_s: float = Field(10.0, gt=0, description="A search slower than this gets 504.")
    rate_limit_per_minute: int = Field(0, ge=0, description="Requests per minute per client on /v1; 0 = no limit.")
    rate_limit_burst: int = Field(20, ge=1, description="Requests a client may send at once before the rate applies.")
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Comma-separated origins allowed to call the API from a browser; empty = none.")
    metrics_enabled: bool = Field(True, description="Serve Prometheus metrics at /metrics.")
    shutdown_drain_s: float = Field(5.0, ge=0, description="On SIGTERM, seconds /readyz answers 503 before the server stops.")

    # Reindexing while serving (see README "Operators")
    reload_poll_seconds: float = Field(5.0, ge=0, description="How often the API checks the index's `current` pointer "
                                                             "for a new version to load; 0 = never (reload on request only).")
    admin_token: SecretStr | None = Field(None, description="Bearer token for /v1/admin/*; unset = the admin API is off.")

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value):
        """CORS_ORIGINS=https://a.example,https://b.example (a list is accepted too)."""
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value
