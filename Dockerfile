# vendorwatch production image: one probe + collector (`vendorwatch run`) by default.
# Build: docker build -t vendorwatch .
# Run:   docker run -p 9797:9797 -v $PWD/my.yaml:/etc/vendorwatch/vendorwatch.yaml:ro -e VENDORWATCH_TOKEN=... \
#          vendorwatch run --config /etc/vendorwatch/vendorwatch.yaml --listen 0.0.0.0:9797
# (a file outside /app: /app/config holds the code's config modules). deploy/ runs it in Kubernetes
# and Docker Compose.

# The browser beacon (beacon/dist), built with esbuild, a dev dependency the image leaves out.
FROM node:22-bookworm-slim AS beacon
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY beacon ./beacon
COPY config ./config
RUN npm run build:beacon

FROM node:22-bookworm-slim

# Debian's Chromium for browser transaction checks (playwright-core drives it; no browser download).
RUN apt-get update \
 && apt-get install -y --no-install-recommends chromium fonts-liberation ca-certificates tini \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY agent ./agent
COPY config ./config
COPY beacon ./beacon
COPY --from=beacon /app/beacon/dist ./beacon/dist

RUN useradd --system --uid 10001 --home-dir /app vendorwatch \
 && mkdir -p /app/data && chown vendorwatch /app/data
USER vendorwatch
VOLUME ["/app/data"]
EXPOSE 9797

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:9797/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"

ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/bin/vendorwatch.js"]
CMD ["run", "--config", "/app/config/vendorwatch.yaml", "--listen", "0.0.0.0:9797"]
