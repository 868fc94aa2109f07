# Ramp's build. Run `make help` for the targets.
#
# Versions: every tool built from Go source (the Kubernetes control-plane
# binaries, etcd, kwok, controller-gen, golangci-lint) is pinned in one
# place, hack/tools/go.mod. Debian packages used by tests are installed by
# the targets that need them.

SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec
.DEFAULT_GOAL := help

GO ?= go
BIN := $(CURDIR)/bin
TOOLS_DIR := $(CURDIR)/hack/tools
# k8s.io/kubernetes is not served by the checksum database; hack/tools/go.sum
# carries its sums.
TOOLS_ENV := GONOSUMDB=k8s.io/kubernetes GOFLAGS=-mod=mod GOWORK=off

CONTROLLER_GEN := $(BIN)/controller-gen
GOLANGCI_LINT := $(BIN)/golangci-lint
HELM := $(BIN)/helm
HELM_DIR := $(CURDIR)/hack/helm

# Packages whose tests need no control plane.
UNIT_PKGS = $$($(GO) list ./... | grep -v '/test/')
# Packages whose tests start a local control plane.
E2E_PKGS = ./test/...

# Timeouts leave room for the first build of the control-plane binaries.
UNIT_TIMEOUT ?= 10m
E2E_TIMEOUT ?= 40m
GOTEST_FLAGS ?=

.PHONY: help
help: ## Show the targets.
	@awk 'BEGIN {FS = ":.*##"} /^[a-zA-Z_-]+:.*##/ {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

##@ Build

.PHONY: build
build: ## Build ramp-controller and kubectl-ramp into bin/ (static binaries).
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w" -o $(BIN)/ramp-controller ./cmd/ramp-controller
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w" -o $(BIN)/kubectl-ramp ./cmd/kubectl-ramp

.PHONY: generate
generate: $(CONTROLLER_GEN) ## Generate deepcopy code (zz_generated.deepcopy.go).
	$(CONTROLLER_GEN) object paths=./api/...

.PHONY: manifests
manifests: $(CONTROLLER_GEN) ## Generate CRDs into charts/ramp/crds and RBAC from the code's markers.
	$(CONTROLLER_GEN) crd:generateEmbeddedObjectMeta=true paths=./api/... output:crd:artifacts:config=charts/ramp/crds
	$(GO) run ./hack/crdpostprocess charts/ramp/crds
	$(CONTROLLER_GEN) rbac:roleName=ramp-controller paths=./cmd/... paths=./controllers/... paths=./internal/... paths=./trafficrouting/... output:rbac:artifacts:config=charts/ramp/files/rbac

.PHONY: fmt
fmt: ## Format the Go code.
	$(GO) fmt ./...
	gofmt -w $(TOOLS_DIR)/*.go

.PHONY: vet
vet: ## Run go vet.
	$(GO) vet ./...

.PHONY: lint
lint: $(GOLANGCI_LINT) ## Run golangci-lint with .golangci.yml.
	$(GOLANGCI_LINT) run ./...

.PHONY: verify
verify: generate manifests fmt ## Regenerate and format, then fail if that changed any file.
	$(GO) mod tidy
	cd $(TOOLS_DIR) && $(TOOLS_ENV) $(GO) mod tidy
	cd $(HELM_DIR) && GOWORK=off $(GO) mod tidy
	@if ! git diff --quiet || [ -n "$$(git ls-files --others --exclude-standard)" ]; then \
		echo "make verify: generated or formatted files are out of date; commit these changes:"; \
		git --no-pager diff --stat; git ls-files --others --exclude-standard; exit 1; \
	fi

##@ Test

.PHONY: test
# make test runs each fuzz target briefly, beside its corpus run as a unit test.
test: FUZZTIME = 3s
test: test-unit fuzz e2e ## Run the whole test suite (unit, fuzz targets briefly, then end-to-end).

.PHONY: test-unit
test-unit: ## Run the unit tests (no control plane).
	$(GO) test -timeout $(UNIT_TIMEOUT) $(GOTEST_FLAGS) $(UNIT_PKGS)

# Each fuzz target runs for FUZZTIME. A new input the fuzzer finds is
# shrunk for at most FUZZMINIMIZETIME (go's default, 60s, would spend a
# short run on shrinking the first large manifest it finds).
FUZZTIME ?= 10s
FUZZMINIMIZETIME ?= 1s

.PHONY: fuzz
fuzz: ## Run every fuzz target (func Fuzz... in the tests) for FUZZTIME (10s) each, one after another.
	@$(GO) list -f '{{.ImportPath}} {{.Dir}}' ./... | while read -r pkg dir; do \
		for name in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$$dir"/*_test.go 2>/dev/null); do \
			echo "$$name ($$pkg)"; \
			$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME) -parallel 1 "$$pkg" || exit 1; \
		done; \
	done

.PHONY: chaos
chaos: testbin debs ## Run the long crash suite: 30 rollouts, 20 SIGKILLs, a new seed each run (RAMP_CHAOS_SEED repeats one); see docs/reliability.md.
	RAMP_CHAOS=long $(GO) test -count=1 -timeout 60m -v -run 'TestControllerKilledDuringRollouts' ./test/e2e/crash/

.PHONY: testbin
testbin: ## Build the control-plane binaries into the cache (once per version).
	$(GO) run ./test/cluster/cmd/testbin

PROMETHEUS_BIN := /usr/bin/prometheus
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: debs prometheus tmux chromium
debs: ## Install the Debian packages the e2e tests use (prometheus, tmux, chromium, nodejs, npm), only those missing.
	@missing=""; \
	[ -x $(PROMETHEUS_BIN) ] || missing="$$missing prometheus"; \
	command -v tmux >/dev/null || missing="$$missing tmux"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	command -v node >/dev/null || missing="$$missing nodejs"; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:$$missing"; \
		$(SUDO) apt-get update; \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y --no-install-recommends $$missing; \
	fi
prometheus tmux chromium: debs

.PHONY: e2e
e2e: testbin debs $(HELM) ## Run the end-to-end tests: local control planes, a real Prometheus, tmux, Chromium, and the chart through helm.
	$(GO) test -count=1 -timeout $(E2E_TIMEOUT) $(GOTEST_FLAGS) $(E2E_PKGS)

BENCH_FLAGS ?=

.PHONY: bench
bench: testbin ## Measure ramp-controller beside 100 idle Rollouts: latency, API writes per step and per no-op reconcile, steps/s, memory, abort time, throttling (docs/performance.md).
	$(GO) run ./hack/bench -json $(BIN)/bench/report.json $(BENCH_FLAGS)

.PHONY: bench-full
bench-full: testbin ## make bench beside 1,000 and then 10,000 idle Rollouts (the better part of an hour on 2 cores).
	$(GO) run ./hack/bench -full -json $(BIN)/bench/report-full.json $(BENCH_FLAGS)

.PHONY: bench-judge
bench-judge: ## Measure the canary judge's false alarms and detections on synthetic data (table in docs/judge.md).
	$(GO) run ./analysis/judge/classify/internal/quality/benchjudge

##@ Run

.PHONY: dev
dev: testbin ## Start a local control plane, the controller and an example Rollout (Ctrl-C stops all).
	$(GO) run ./hack/dev

##@ Tools

$(CONTROLLER_GEN): $(TOOLS_DIR)/go.mod
	cd $(TOOLS_DIR) && $(TOOLS_ENV) $(GO) build -o $@ sigs.k8s.io/controller-tools/cmd/controller-gen

$(HELM): $(HELM_DIR)/go.mod
	cd $(HELM_DIR) && GOWORK=off $(GO) build -o $@ helm.sh/helm/v3/cmd/helm

.PHONY: helm
helm: $(HELM) ## Build bin/helm (pinned in hack/helm/go.mod) for the chart's tests.

$(GOLANGCI_LINT): $(TOOLS_DIR)/go.mod
	cd $(TOOLS_DIR) && $(TOOLS_ENV) $(GO) build -o $@ github.com/golangci/golangci-lint/v2/cmd/golangci-lint

.PHONY: clean
clean: ## Remove bin/.
	rm -rf $(BIN)
