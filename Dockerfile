# syntax=docker/dockerfile:1
# Pulsewire as one image: every process is a `pulsewire` subcommand (deploy/compose.yaml runs
# gateway, processors, alert sinks and the simulator from it). Not built in this project's CI,
# which has no Docker engine; test/unit/deploy/compose.test.ts checks this file's COPY sources
# and entrypoint against the tree and the build.

# --- build: the native node-rdkafka (bundled librdkafka, built by node-gyp) and the TypeScript
FROM node:20-bookworm AS build
# librdkafka's configure silently leaves out zstd and GSSAPI without these (deploy/scripts/setup.sh).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential python3 libssl-dev zlib1g-dev libzstd-dev liblz4-dev libsasl2-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY core core
COPY gateway gateway
COPY processors processors
COPY devices-sim devices-sim
COPY proto proto
COPY deploy deploy
COPY cli cli
COPY bench bench
COPY types types
RUN npm run build && npm prune --omit=dev

# --- runtime: the built tree, production dependencies, the shared libraries librdkafka links
FROM node:20-bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates libssl3 zlib1g libzstd1 liblz4-1 libsasl2-2 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/proto ./proto
COPY --from=build /app/deploy/rules ./deploy/rules
COPY --from=build /app/deploy/fleets ./deploy/fleets
COPY --from=build /app/deploy/sinks ./deploy/sinks
# The console's page (HTML, JS, CSS) is served from the source tree, not compiled into dist/.
COPY --from=build /app/processors/web/public ./processors/web/public
# State (device store, credentials, dead letters) lives under /app/.pulsewire: a volume in compose.
RUN mkdir -p /app/.pulsewire && chown node:node /app/.pulsewire
USER node
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["--help"]
