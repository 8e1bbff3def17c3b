# One image for both halves of the bridge: `node dist/src/worker-main.js` or `node dist/src/api-main.js`.
#
# Node 24, an LTS line supported until April 2028 (Node 20 has been out of support since April
# 2026; Node 22 is in maintenance until April 2027). Pinned to an exact release, NOT yet by
# digest: the digest could not be looked up where this file was written (no access to Docker
# Hub), and an invented one would be worse than none. Pin it where you build:
#   docker buildx imagetools inspect node:24.11.1-bookworm-slim   # prints the index digest
#   docker build --build-arg NODE_IMAGE=node:24.11.1-bookworm-slim@sha256:<that digest> .
# and move to the newest 24.x release (new tag, new digest) with each Node security release.
ARG NODE_IMAGE=node:24.11.1-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# `npm run build`: tsc, then the workflow bundles (dist/src/workflow-bundles/, one per payload
# encryption mode), which the worker loads instead of bundling its workflow code at every start.
# Then the dev dependencies go (TypeScript, tsx, jest). swc stays a dependency of the Temporal
# worker package but only ever compiles .ts inside a bundling, and the bundles are made from the
# compiled .js: nothing in the image loads it, so its native compiler is removed too.
RUN npm run build && npm prune --omit=dev && rm -rf node_modules/@swc

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
# Owned by root, read-only for the `node` user the processes run as.
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# `npx ticket-bridge …` (the ops CLI) runs dist/src/cli/main.js through this shim.
COPY bin ./bin
# The API's inbox volume (INBOX_DIR under it, see docker-compose.yml): a new named volume takes
# this directory's owner, so the unprivileged user can write there.
RUN mkdir -p /var/lib/ticket-bridge && chown node:node /var/lib/ticket-bridge
USER node
CMD ["node", "dist/src/api-main.js"]
