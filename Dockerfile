# vendorwatch production image: one probe + collector (`vendorwatch run`) by default.
# Build: docker build -t vendorwatch .
# Run:   docker run -p 9797:9797 -v $PWD/my.yaml:/etc/vendorwatch/vendorwatch.yaml:ro -e VENDORWATCH_TOKEN=... \
#          vendorwatch run --config /etc/vendorwatch/vendorwatch.yaml --listen 0.0.0.0:9797
# (a file outside /app: /app/config holds the code's config modules). deploy/ runs it in Kubernetes
# and Docker Compose.

# The compiled CLI (dist/) and the browser beacon (beacon/dist), both built with esbuild, a dev
# dependency the image leaves out. Scripts are skipped at install: `prepare` builds once the
# sources are in.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY bin ./bin
COPY agent ./agent
COPY config ./config
COPY lab ./lab
COPY beacon ./beacon
RUN npm run build && npm run build:beacon

FROM node:22-bookworm-slim

# Debian's Chromium for browser transaction checks (playwright-core drives it; no browser download).
RUN apt-get update \
 && apt-get install -y --no-install-recommends chromium fonts-liberation ca-certificates tini \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY config ./config
COPY --from=build /app/dist ./dist
COPY --from=build /app/beacon/dist ./beacon/dist
# Read at run time beside its source: the script browser checks put into pages.
COPY agent/probe/checks/browser/pageReporter.js ./agent/probe/checks/browser/pageReporter.js

RUN useradd --system --uid 10001 --home-dir /app vendorwatch \
 && mkdir -p /app/data && chown vendorwatch /app/data
USER vendorwatch
VOLUME ["/app/data"]
EXPOSE 9797

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:9797/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"

ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/bin/vendorwatch.js"]
CMD ["run", "--config", "/app/config/vendorwatch.yaml", "--listen", "0.0.0.0:9797"]
