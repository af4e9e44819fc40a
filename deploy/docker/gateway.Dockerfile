# HeartBeat gateway. Build from the repository root:
#   docker build -f deploy/docker/gateway.Dockerfile -t heartbeat/gateway .
# TypeScript runs directly through @swc-node/register, as in development (docs/CONTRACTS.md).
FROM node:24-bookworm-slim

ENV NODE_ENV=production \
    ONNXRUNTIME_NODE_INSTALL=skip \
    NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app

# The whole workspace (see .dockerignore), then the exact locked dependencies. Dev dependencies are
# included because @swc-node/register runs the TypeScript at start-up.
COPY . .
# scripts/install-deps.sh is npm ci, with a fallback for a lock that lacks other platforms' binaries.
RUN bash scripts/install-deps.sh && npm cache clean --force

USER node
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(\"http://127.0.0.1:\"+(process.env.PORT||8000)+\"/health\").then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
WORKDIR /app/apps/gateway
CMD ["node", "-r", "@swc-node/register", "src/main.ts"]
