# specgate container image.
#
#   docker build -t specgate .
#   docker run --env-file .env -e NODE_ENV=production -e HOST=0.0.0.0 -e DATA_DIR=/data \
#     -v "$PWD/certs:/certs:ro" -e TLS_CERT_FILE=/certs/tls.crt -e TLS_KEY_FILE=/certs/tls.key \
#     -p 8443:8443 specgate
#   (-e wins over --env-file, so a .env written for `npm run dev` works.)
#
# (docker-compose.yml wires the API to Redis and PostgreSQL.)

ARG NODE_IMAGE=node:24-bookworm-slim

# ---------------------------------------------------------------------------
# build: install every dependency, compile TypeScript to dist/, then drop the
# dev dependencies so node_modules can be copied as-is into the runtime stage.
# ---------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app

# Manifests first so the `npm ci` layer is reused while only sources change.
# argon2 loads its prebuilt linux-x64 glibc binary, so no compiler is needed.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

COPY . .
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

# ---------------------------------------------------------------------------
# runtime: production dependencies, compiled output and the OpenAPI document.
# ---------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime

ENV NODE_ENV=production \
    PORT=8443 \
    DATA_DIR=/data

WORKDIR /app

# Everything under /app stays owned by root, so the service cannot rewrite its own code.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Read at runtime: the spec (routing, validation, security) and, via node_modules,
# redoc/bundles/redoc.standalone.js for the documentation page.
COPY --from=build /app/openapi ./openapi

# Writable home for the embedded PGlite database (used only when DATABASE_URL is unset);
# mount a volume here to keep it.
RUN mkdir -p /data && chown node:node /data

# The image's unprivileged user (uid 1000); port 8443 needs no capability.
USER node

EXPOSE 8443

# Liveness probe with node itself (slim images have no curl). It speaks HTTPS to the
# loopback address with certificate verification off -- the certificate names the public
# host, not 127.0.0.1 -- and plain HTTP when PLAIN_HTTP=true (TLS terminated by a proxy).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const plain=['1','true','yes'].includes((process.env.PLAIN_HTTP||'').toLowerCase()); const req=require(plain?'http':'https').get({host:'127.0.0.1',port:Number(process.env.PORT||8443),path:'/healthz',rejectUnauthorized:false,timeout:4000},res=>process.exit(res.statusCode===200?0:1)); req.on('timeout',()=>req.destroy()); req.on('error',()=>process.exit(1));"]

# glibc returns every allocation of 128 KiB or more to the system when it is freed, as `npm start`
# has it: by default its threshold rises to the size of the last large block freed, and each argon2
# hash's 19 MiB then stays resident in the thread pool's arenas (+76 MiB RSS with 4 threads).
ENV MALLOC_MMAP_THRESHOLD_=131072
# node as PID 1 directly (not `npm start`) so SIGTERM reaches the service. The young generation is
# capped at 16 MB a semi-space, as `npm start` does: V8 grows it to 64 MB under load, which only
# makes the heap larger (little survives a request; see README "Memory and pauses").
CMD ["node", "--max-semi-space-size=16", "dist/src/main.js"]
