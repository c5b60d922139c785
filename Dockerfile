# syntax=docker/dockerfile:1
# One image for every tickstream service (producer, edge, broker, up): `tickstream <command>`.
# Build: docker build -t tickstream .   Run: docker compose up (docker-compose.yml).

# --- build: all dependencies; npm ci's prepare step runs `npm run build` (tsc -b, then the dashboard)
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY . .
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund

# --- production dependencies only, without build scripts
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/schemas/package.json schemas/
COPY --from=build /app/broker/package.json broker/
COPY --from=build /app/analytics/package.json analytics/
COPY --from=build /app/producer/package.json producer/
COPY --from=build /app/edge/package.json edge/
COPY --from=build /app/bench/package.json bench/
COPY --from=build /app/client/package.json client/
COPY --from=build /app/cli/package.json cli/
COPY --from=build /app/dashboard/package.json dashboard/
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --ignore-scripts --no-audit --no-fund --workspaces --include-workspace-root

# --- runtime: compiled code, production node_modules, an unprivileged user, no secrets
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/package.json ./
COPY --from=build /app/schemas/package.json ./schemas/
COPY --from=build /app/schemas/dist ./schemas/dist
COPY --from=build /app/broker/package.json ./broker/
COPY --from=build /app/broker/dist ./broker/dist
# `tickstream up` runs the analytics job where Java and Maven are present; this image has neither
# (compose runs the job on its own Flink services), so `up` here says so in one line.
COPY --from=build /app/analytics/package.json ./analytics/
COPY --from=build /app/analytics/dist ./analytics/dist
COPY --from=build /app/producer/package.json ./producer/
COPY --from=build /app/producer/dist ./producer/dist
COPY --from=build /app/edge/package.json ./edge/
COPY --from=build /app/edge/dist ./edge/dist
COPY --from=build /app/bench/package.json ./bench/
COPY --from=build /app/bench/dist ./bench/dist
# tickstream watch speaks the protocol through the client SDK.
COPY --from=build /app/client/package.json ./client/
COPY --from=build /app/client/dist ./client/dist
COPY --from=build /app/cli/package.json ./cli/
COPY --from=build /app/cli/bin ./cli/bin
COPY --from=build /app/cli/dist ./cli/dist
COPY --from=build /app/dashboard/dist ./dashboard/dist
# The node image's unprivileged user; the embedded broker's data goes to /data when that command is used.
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 8080
# The edge's readiness (200 once history is loaded and Kafka answers, 503 while draining); services that are not an
# edge (producer, broker) turn it off in docker-compose.yml.
HEALTHCHECK --interval=5s --timeout=2s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "cli/bin/tickstream.js"]
CMD ["up"]
