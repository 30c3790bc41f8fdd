# syntax=docker/dockerfile:1
#
# The one image of every Parley process: the gateway (the default command, serving the web client at /), the users,
# chat, models and translation subgraphs, the chat worker, the migrations and the backups. docker-compose.yml and the
# Helm chart (deploy/helm/parley) run it with a `command` per process:
#
#   node --import tsx gateway/src/index.ts                 (likewise subgraphs/<name>/src/index.ts)
#   node --import tsx subgraphs/chat/src/worker.ts
#   node --import tsx scripts/migrate.ts                   (once per release, before the services; MIGRATE_ON_START=false)
#   node --import tsx scripts/backup.ts | scripts/restore.ts   (pg_dump and pg_restore 15 are in the image)
#
#   docker build -t parley:0.1.0 .
#
# Two stages. `build` installs every dependency and makes the web client's production build (web/dist). The runtime
# stage installs the production dependencies only (tsx, the TypeScript loader the processes start with, is one) and
# copies the sources the processes load plus web/dist: no tests, no dev tools, no build cache, no .env.
# scripts/test/compose-file.test.ts checks that every workspace's manifest is copied before each `npm ci`, that the
# runtime stage copies every file the processes load, and that everything they import is a production dependency.
#
# It runs as `node` (uid 1000) on a read-only root filesystem: the files are root's, and at run time nothing is
# written outside /tmp, where tsx keeps its compile cache (os.tmpdir()/tsx-1000; tsx fails to start when it cannot
# create it), pg_dump its archive before an upload, and nothing else. Give /tmp a tmpfs (compose) or an emptyDir
# (Kubernetes). No HEALTHCHECK: each process has its own port (PORT), so compose and Kubernetes probe /readyz
# themselves.

ARG NODE_IMAGE=node:24-bookworm-slim

# ---- build: all dependencies, then the web client's production build ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app

# Every workspace's manifest (root package.json "workspaces") before `npm ci`, so the dependency layer is reused until
# one of them changes.
COPY package.json package-lock.json ./
COPY gateway/package.json gateway/
COPY platform/package.json platform/
COPY web/package.json web/
COPY libs/auth/package.json libs/auth/
COPY libs/client/package.json libs/client/
COPY libs/composition/package.json libs/composition/
COPY libs/database/package.json libs/database/
COPY libs/errors/package.json libs/errors/
COPY libs/events/package.json libs/events/
COPY libs/message-stream/package.json libs/message-stream/
COPY libs/moderation/package.json libs/moderation/
COPY libs/pubsub/package.json libs/pubsub/
COPY libs/runtime/package.json libs/runtime/
COPY libs/service-host/package.json libs/service-host/
COPY libs/telemetry/package.json libs/telemetry/
COPY libs/testing/package.json libs/testing/
COPY subgraphs/chat/package.json subgraphs/chat/
COPY subgraphs/models/package.json subgraphs/models/
COPY subgraphs/translation/package.json subgraphs/translation/
COPY subgraphs/users/package.json subgraphs/users/
RUN --mount=type=cache,target=/root/.npm \
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund

# What the web client's build reads (scripts/web-build.ts, WEB_BUILD.sources; web/tsconfig.json extends the base).
# NODE_ENV=production: Vite bundles React's production build.
COPY tsconfig.base.json ./
COPY libs/client/src libs/client/src
COPY web/index.html web/vite.config.ts web/tsconfig.json web/
COPY web/public web/public
COPY web/src web/src
RUN NODE_ENV=production npm run build -w web

# ---- runtime: production dependencies, the processes' sources, web/dist ----
FROM ${NODE_IMAGE} AS runtime

ARG NODE_IMAGE
ARG PARLEY_VERSION=0.1.0
ARG PARLEY_REVISION=unknown
LABEL org.opencontainers.image.title="Parley" \
      org.opencontainers.image.description="Parley, the federated GraphQL multi-model chat platform: gateway, users, chat, models and translation subgraphs, chat worker, migrations, backups and web client" \
      org.opencontainers.image.version="${PARLEY_VERSION}" \
      org.opencontainers.image.revision="${PARLEY_REVISION}" \
      org.opencontainers.image.base.name="${NODE_IMAGE}"

# pg_dump and pg_restore for scripts/backup.ts and scripts/restore.ts: the server's major version or newer
# (docker-compose.yml runs PostgreSQL 15).
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-client-15 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

COPY package.json package-lock.json ./
COPY gateway/package.json gateway/
COPY platform/package.json platform/
COPY web/package.json web/
COPY libs/auth/package.json libs/auth/
COPY libs/client/package.json libs/client/
COPY libs/composition/package.json libs/composition/
COPY libs/database/package.json libs/database/
COPY libs/errors/package.json libs/errors/
COPY libs/events/package.json libs/events/
COPY libs/message-stream/package.json libs/message-stream/
COPY libs/moderation/package.json libs/moderation/
COPY libs/pubsub/package.json libs/pubsub/
COPY libs/runtime/package.json libs/runtime/
COPY libs/service-host/package.json libs/service-host/
COPY libs/telemetry/package.json libs/telemetry/
COPY libs/testing/package.json libs/testing/
COPY subgraphs/chat/package.json subgraphs/chat/
COPY subgraphs/models/package.json subgraphs/models/
COPY subgraphs/translation/package.json subgraphs/translation/
COPY subgraphs/users/package.json subgraphs/users/
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --no-audit --no-fund

# The sources the processes load (each workspace's src; each subgraph's schema; the composed supergraph the gateway
# serves; the migration and backup scripts). platform, libs/testing and web are installed for their manifests only.
COPY libs/auth/src libs/auth/src
COPY libs/client/src libs/client/src
COPY libs/composition/src libs/composition/src
COPY libs/database/src libs/database/src
COPY libs/errors/src libs/errors/src
COPY libs/events/src libs/events/src
COPY libs/message-stream/src libs/message-stream/src
COPY libs/moderation/src libs/moderation/src
COPY libs/pubsub/src libs/pubsub/src
COPY libs/runtime/src libs/runtime/src
COPY libs/service-host/src libs/service-host/src
COPY libs/telemetry/src libs/telemetry/src
COPY subgraphs/chat/schema.graphql subgraphs/chat/
COPY subgraphs/chat/src subgraphs/chat/src
COPY subgraphs/models/schema.graphql subgraphs/models/
COPY subgraphs/models/src subgraphs/models/src
COPY subgraphs/translation/schema.graphql subgraphs/translation/
COPY subgraphs/translation/src subgraphs/translation/src
COPY subgraphs/users/schema.graphql subgraphs/users/
COPY subgraphs/users/src subgraphs/users/src
COPY gateway/src gateway/src
COPY supergraph.graphql ./
COPY scripts/migrate.ts scripts/backup.ts scripts/restore.ts scripts/
COPY scripts/backups scripts/backups
COPY --from=build /app/web/dist web/dist

# TMPDIR: tsx's cache and every other temporary file under /tmp, the one writable path. PARLEY_SKIP_WEB_BUILD: the
# image carries its web build (web/dist) and has no Vite to make another.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    TMPDIR=/tmp \
    PARLEY_SKIP_WEB_BUILD=1 \
    NPM_CONFIG_UPDATE_NOTIFIER=false

USER node
EXPOSE 4000

CMD ["node", "--import", "tsx", "gateway/src/index.ts"]
