# One image for every Parley service (gateway and the four subgraphs), with the web client's build.
# The default command starts the gateway; docker-compose.yml overrides `command`
# per subgraph, e.g. ["node","--import","tsx","subgraphs/users/src/index.ts"].
FROM node:24-bookworm-slim

WORKDIR /app

# Manifests first so the dependency layer is reused until one of them changes.
COPY package.json package-lock.json ./
COPY gateway/package.json gateway/
COPY platform/package.json platform/
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
COPY subgraphs/users/package.json subgraphs/users/
COPY subgraphs/chat/package.json subgraphs/chat/
COPY subgraphs/models/package.json subgraphs/models/
COPY subgraphs/translation/package.json subgraphs/translation/
COPY web/package.json web/

# NODE_ENV is set only after this step on purpose: tsx (the runtime loader) is a
# devDependency, and npm ci would skip it under NODE_ENV=production.
RUN npm ci --no-audit --no-fund

COPY . .

# The web client the gateway serves at / (web/dist; .dockerignore keeps a local build out). Vite is a
# devDependency too, so this runs before NODE_ENV is set as well.
RUN npm run build -w web

ENV NODE_ENV=production HOST=0.0.0.0

USER node

CMD ["node", "--import", "tsx", "gateway/src/index.ts"]
