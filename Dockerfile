# zpa-relay container image.
#
#   docker build -t zpa-relay .
#   docker run --read-only -p 9015-9019:9015-9019 -p 9100:9100 \
#     -v zpa-spool:/var/lib/zpa-relay/spool -v zpa-dead-letter:/var/lib/zpa-relay/dead-letter \
#     -v zpa-out:/var/lib/zpa-relay/out zpa-relay
#
# Two stages: `build` compiles the TypeScript and the native addons (simdjson, msgpackr-extract and
# native/: the simdjson checker and the ISA-L gzip module) with the compilers of the full Debian image, then drops the dev dependencies; `runtime` is the
# slim image with only what `node bin/zpa-relay.js run` loads. Every path the relay writes is a volume, so
# the container runs with a read-only root filesystem. test-long/deploy/dockerfile.test.ts replays these
# steps without a container engine: keep every RUN of the build stage relative to WORKDIR.

ARG NODE_IMAGE=node:20-bookworm

FROM ${NODE_IMAGE} AS build
# node:20-bookworm is built on buildpack-deps, which already carries python3, make and g++ for node-gyp.
# libisal-dev: ISA-L's headers, so that npm ci builds the igzip module (gzip bodies at about 3.6x zlib's speed).
RUN apt-get update && apt-get install -y --no-install-recommends libisal-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /build
COPY . .
# `npm ci` runs the `prepare` script: tsc (a dev dependency) and the native addon build, so the dev
# dependencies are pruned only after it. ZPA_NATIVE_REQUIRED=1: an image must not ship without the simdjson
# engine because a compiler was missing (the relay would fall back to the slower reference engine).
ENV ZPA_NATIVE_REQUIRED=1
RUN npm ci --no-audit --no-fund
RUN npm prune --omit=dev --no-audit --no-fund
# The runtime needs only the compiled addons: keep native/build/Release/*.node (the directory always
# exists, possibly empty, so the COPY below works with or without a native addon).
RUN mkdir -p native/build/Release volumes/spool volumes/dead-letter volumes/out && find native/build/Release -mindepth 1 -maxdepth 1 ! -name '*.node' -exec rm -rf {} +

FROM ${NODE_IMAGE}-slim AS runtime
# tini as PID 1 reaps zombies and forwards SIGTERM to node, which drains and exits 0; libisal2 is the ISA-L
# shared library the igzip module loads.
RUN apt-get update && apt-get install -y --no-install-recommends tini libisal2 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# The application tree is owned by root and not writable by the relay's user.
COPY --from=build /build/package.json ./package.json
COPY --from=build /build/node_modules/ ./node_modules/
COPY --from=build /build/dist/src/ ./dist/src/
COPY --from=build /build/dist/workers/ ./dist/workers/
COPY --from=build /build/bin/ ./bin/
COPY --from=build /build/schemas/ ./schemas/
COPY --from=build /build/native/build/Release/ ./native/build/Release/
COPY deploy/image/relay.yaml /etc/zpa-relay/relay.yaml
# The only writable paths: spool, dead-letter store and directory output, owned by the relay's user.
COPY --from=build --chown=10001:10001 /build/volumes/ /var/lib/zpa-relay/
ENV NODE_ENV=production \
    ZPA_RELAY_CONFIG=/etc/zpa-relay/relay.yaml
USER 10001:10001
VOLUME ["/var/lib/zpa-relay/spool", "/var/lib/zpa-relay/dead-letter", "/var/lib/zpa-relay/out"]
# 9015-9019: one listener per ZPA log type; 9100: admin (/metrics, /healthz, /readyz).
EXPOSE 9015 9016 9017 9018 9019 9100
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s CMD ["node", "-e", "fetch('http://127.0.0.1:9100/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "bin/zpa-relay.js", "run"]
