# syntax=docker/dockerfile:1
# Latchkey runs TypeScript directly on Node 24 (type stripping): no build step, only
# production dependencies. Native modules (argon2, better-sqlite3) are compiled in the
# build stage. oidc-provider 9 does not support Node 20, hence the Node 24 base.

FROM node:24.11.1-bookworm-slim AS deps
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:24.11.1-bookworm-slim
LABEL org.opencontainers.image.title="Latchkey" \
      org.opencontainers.image.description="Self-hosted OpenID Connect identity provider" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://example.invalid/latchkey"
ENV NODE_ENV=production \
    DATA_DIR=/data \
    PORT=3000
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY src ./src
COPY views ./views
COPY public ./public
COPY migrations ./migrations
COPY config ./config
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "src/main.ts"]
