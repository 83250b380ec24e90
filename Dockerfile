# Production image: compiled worker + committed migrations, no dev dependencies.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production LOG_FORMAT=json
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY migrations ./migrations
# `docker compose exec worker approvals-sync status` works like on a host install. The embedded
# database's default folder must be writable by `node` (the app folder is root's): without
# DATABASE_URL the image would otherwise fail with EACCES on /app/.data.
RUN printf '#!/bin/sh\nexec node /app/dist/cli.js "$@"\n' > /usr/local/bin/approvals-sync \
 && chmod 755 /usr/local/bin/approvals-sync \
 && mkdir -p /app/.data && chown node:node /app/.data
VOLUME /app/.data
USER node
EXPOSE 9464
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["daemon"]
