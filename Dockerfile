# syntax=docker/dockerfile:1
# Latchkey runs its TypeScript sources directly on Node (type stripping): no build step, only
# production dependencies. The base is the official Node 24 slim image, pinned to the exact
# release the test suite runs on (package.json devDependencies.node): Node 20, once planned,
# is past its end of life and oidc-provider 9 needs Node >= 22.

# Build stage: production dependencies, with a toolchain for argon2 and better-sqlite3 when no
# prebuilt binary fits. The toolchain and npm's cache stay in this stage.
FROM node:24.21.0-bookworm-slim AS deps
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
 && node -e "Promise.all([import('argon2'), import('better-sqlite3')]).catch((e) => { console.error(e); process.exit(1); })" \
 && npm cache clean --force

FROM node:24.21.0-bookworm-slim
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="Latchkey" \
      org.opencontainers.image.description="Self-hosted OpenID Connect identity provider" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.base.name="docker.io/library/node:24.21.0-bookworm-slim"
# Secrets (COOKIE_KEYS, KEY_ENCRYPTION_KEY, DATABASE_URL, ...) come from the runtime environment only.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data
WORKDIR /app
# Everything under /app stays owned by root and read-only to the process.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY src ./src
COPY views ./views
COPY public ./public
COPY migrations ./migrations
COPY config ./config
# `latchkey <command>` on PATH for migrations and admin commands; DATA_DIR is the only place
# the process writes (the root file system may be mounted read-only, with a tmpfs on /tmp).
RUN ln -s /app/bin/latchkey.js /usr/local/bin/latchkey \
 && mkdir -p /data \
 && chown 1000:1000 /data \
 && chmod 0700 /data
VOLUME ["/data"]
# uid 1000 is the base image's unprivileged "node" user; numeric, so Kubernetes can check runAsNonRoot
USER 1000:1000
EXPOSE 3000
# the slim image has no curl: Node's fetch asks /healthz
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM drains in-flight requests for up to 30 s: stop with `docker stop -t 40`
STOPSIGNAL SIGTERM
CMD ["node", "src/main.ts"]
