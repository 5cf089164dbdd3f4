# syntax=docker/dockerfile:1

# The base images are build arguments: pin them by digest for reproducible builds
# (--build-arg BUILD_IMAGE=golang:1.26-bookworm@sha256:...), or point them at a private registry.
ARG BUILD_IMAGE=golang:1.26-bookworm
ARG RUNTIME_IMAGE=gcr.io/distroless/static-debian12:nonroot

# Build: a static binary (no cgo), reproducible paths, no debug symbols. GOPROXY and GOFLAGS pass
# through, for air-gapped builds against a private module proxy.
FROM ${BUILD_IMAGE} AS build
ARG GOPROXY
ARG GOFLAGS
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w" -o /out/gateway .

# Run: distroless static (CA certificates and tzdata, no shell), as the non-root user 65532.
FROM ${RUNTIME_IMAGE}
COPY --from=build /out/gateway /gateway
USER 65532:65532
ENV PORT=8080
EXPOSE 8080
# The image has no shell or curl: the binary checks its own /healthz.
HEALTHCHECK --interval=15s --timeout=5s --start-period=5s --retries=3 CMD ["/gateway", "healthcheck"]
ENTRYPOINT ["/gateway"]
