# Sightline. `make demo` and `make test` are the two commands; both install
# what a fresh Debian machine lacks (run as root there).
SHELL   := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/sightline-dev/sightline/internal/version.Version=$(VERSION)
PLATFORMS := linux/amd64 linux/arm64 darwin/arm64 windows/amd64

.PHONY: build cross package test test-unit demo bench bench-ingest bench-scan bench-host bench-ldap bench-db bench-api bench-console bench-load eval fuzz vet clean chart-test image

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/sightline-agent ./agent
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/sightline-collector ./collector

cross:
	@set -e; for p in $(PLATFORMS); do \
	  os=$${p%/*}; arch=$${p#*/}; ext=; [ $$os = windows ] && ext=.exe; \
	  for b in agent collector; do \
	    echo "dist/$$os-$$arch/sightline-$$b$$ext"; \
	    CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags '$(LDFLAGS)' \
	      -o dist/$$os-$$arch/sightline-$$b$$ext ./$$b; \
	  done; \
	done

# .deb and .rpm packages of the agent and the collector for Linux
# (PKG_ARCHES), built with nfpm as a Go library: dist/packages/. The package
# version is VERSION, as the binaries report it (v1.2.3 -> 1.2.3; an
# untagged build -> 0.0.0~COMMIT, older than any release).
PKG_ARCHES ?= amd64 arm64
package:
	@set -e; for a in $(PKG_ARCHES); do \
	  for b in agent collector; do \
	    echo "dist/linux-$$a/sightline-$$b"; \
	    CGO_ENABLED=0 GOOS=linux GOARCH=$$a $(GO) build -trimpath -ldflags '$(LDFLAGS)' \
	      -o dist/linux-$$a/sightline-$$b ./$$b; \
	  done; \
	done
	$(GO) run -ldflags '$(LDFLAGS)' ./deploy/package -dist dist -out dist/packages -arch '$(PKG_ARCHES)'

# Everything: installs ClickHouse if missing, starts a private one, runs
# unit, integration and end-to-end tests, stops it.
test:
	deploy/scripts/test.sh

# Unit tests only: no services needed (integration tests skip).
test-unit:
	$(GO) test ./...

demo:
	deploy/scripts/demo.sh

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./internal/... ./agent/...
	deploy/scripts/bench-ingest.sh
	deploy/scripts/bench-host.sh
	deploy/scripts/bench-ldap.sh

bench-ingest:
	deploy/scripts/bench-ingest.sh

FUZZTIME ?= 20s
fuzz:
	$(GO) test ./internal/wire -run '^$$' -fuzz FuzzDecode -fuzztime $(FUZZTIME)
	$(GO) test ./internal/pii -run '^$$' -fuzz FuzzDetect -fuzztime $(FUZZTIME)
	$(GO) test ./internal/pii -run '^$$' -fuzz FuzzSubjectForms -fuzztime $(FUZZTIME)
	$(GO) test ./agent/content -run '^$$' -fuzz FuzzSniffDialect -fuzztime $(FUZZTIME)
	$(GO) test ./agent/fsscan -run '^$$' -fuzz FuzzScanFile -fuzztime $(FUZZTIME)
	$(GO) test ./internal/extract -run '^$$' -fuzz FuzzDOCX -fuzztime $(FUZZTIME)
	$(GO) test ./internal/extract -run '^$$' -fuzz FuzzXLSX -fuzztime $(FUZZTIME)
	$(GO) test ./internal/extract -run '^$$' -fuzz FuzzPDF -fuzztime $(FUZZTIME)
	$(GO) test ./internal/extract -run '^$$' -fuzz FuzzPPTX -fuzztime $(FUZZTIME)
	$(GO) test ./internal/pii -run '^$$' -fuzz FuzzParseDefinitions -fuzztime $(FUZZTIME)

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l agent collector internal)" || (gofmt -l agent collector internal; exit 1)

clean:
	rm -rf bin dist

bench-scan:
	deploy/scripts/bench-scan.sh

# Detector accuracy on the generated, labeled corpus (also part of make test).
eval:
	$(GO) test -count=1 -run TestPrecisionRecall -v ./internal/pii/evalcorpus ./agent/fsscan

bench-host:
	deploy/scripts/bench-host.sh

bench-ldap:
	deploy/scripts/bench-ldap.sh

# Database sampling: a 10M-row table in a private PostgreSQL and MariaDB;
# the scan's rows against its budget and its time against a full read.
bench-db:
	deploy/scripts/bench-db.sh

bench-api:
	deploy/scripts/bench-api.sh

# Web console render time per page in headless Chromium over the bench-api
# data generator (BENCH_ROWS pii rows, default 10,000,000: the make
# bench-api size), with the page's API calls from Go as the baseline.
bench-console:
	deploy/scripts/bench-console.sh

# Load proof: 200 simulated agents + API readers against the collector binary
# for 3 minutes (BENCH_SHORT=1: a 15-second smoke run). See deploy/scripts/bench-load.sh.
bench-load:
	deploy/scripts/bench-load.sh

# The Helm chart (deploy/helm/sightline) rendered as `helm template` does,
# every object decoded strictly into its Kubernetes type (also in make test).
chart-test:
	$(GO) test -count=1 ./deploy/helm/

# Container images of both programs, built without a Docker daemon
# (deploy/image): static binaries on an empty base, non-root, no shell.
# Writes dist/image/sightline-{agent,collector}-VERSION-ARCH.tar (docker
# load / podman load / crane push). IMAGE_ARCH=arm64 for another architecture.
IMAGE_ARCH ?= $(shell $(GO) env GOARCH)
IMAGE_REPO ?= ghcr.io/sightline-dev
IMAGE_CA   ?= $(wildcard /etc/ssl/certs/ca-certificates.crt)
image:
	@set -e; d=dist/image/$(IMAGE_ARCH); mkdir -p $$d; \
	for p in agent collector deploy/image/sightline-init; do \
	  n=$${p##*/}; n=sightline-$${n#sightline-}; \
	  CGO_ENABLED=0 GOOS=linux GOARCH=$(IMAGE_ARCH) $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $$d/$$n ./$$p; \
	done; \
	for b in agent collector; do \
	  $(GO) run ./deploy/image -program $$b -binary $$d/sightline-$$b -init $$d/sightline-init \
	    -ca-bundle '$(IMAGE_CA)' -version '$(VERSION)' -arch $(IMAGE_ARCH) -repository '$(IMAGE_REPO)' \
	    -out dist/image/sightline-$$b-$(VERSION)-$(IMAGE_ARCH).tar; \
	done
