# HeartBeat console (Next.js). Build from the repository root:
#   docker build -f deploy/docker/console.Dockerfile -t heartbeat/console .
FROM node:24-bookworm-slim

ENV NODE_ENV=production \
    ONNXRUNTIME_NODE_INSTALL=skip \
    NEXT_TELEMETRY_DISABLED=1 \
    NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app

COPY . .
# scripts/install-deps.sh is npm ci, with a fallback for a lock that lacks other platforms' binaries.
RUN bash scripts/install-deps.sh && npm cache clean --force
WORKDIR /app/apps/console
RUN node /app/node_modules/next/dist/bin/next build

USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(\"http://127.0.0.1:3000/api/health\").then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "/app/node_modules/next/dist/bin/next", "start", "-p", "3000", "-H", "0.0.0.0"]
