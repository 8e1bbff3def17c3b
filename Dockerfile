# One image for both halves of the bridge: `npm run worker` or `npm run api`.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
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
