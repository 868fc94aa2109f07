# The ramp-controller image. It does not compile anything: `make build`
# builds bin/ramp-controller as a static binary (CGO_ENABLED=0, -trimpath),
# and the image copies that very file onto a base with no shell and no
# package manager, running as a non-root user.
#
#   make build && docker build -t ramp-controller:dev .
FROM gcr.io/distroless/static-debian12:nonroot

COPY bin/ramp-controller /ramp-controller

# nonroot (65532:65532) from the base; the chart also sets runAsNonRoot,
# a read-only root filesystem and drops every capability.
USER 65532:65532

# Metrics, health probes and the dashboard.
EXPOSE 8080 8081 3100

ENTRYPOINT ["/ramp-controller"]
