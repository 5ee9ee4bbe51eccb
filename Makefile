# vkcnn — the two commands a new user needs are `make train` and `make test`.
export PATH := $(PATH):/usr/local/go/bin
# simd/archsimd: the CPU engine's 8-wide AVX2+FMA convolutions (scalar without it).
export GOEXPERIMENT ?= simd
GO ?= go
FUZZTIME ?= 5s
MNIST := data/mnist/train-images-idx3-ubyte.gz data/mnist/train-labels-idx1-ubyte.gz \
         data/mnist/t10k-images-idx3-ubyte.gz data/mnist/t10k-labels-idx1-ubyte.gz

.PHONY: build data test fuzz train bench shaders check-shaders vet clean device-kit

build: bin/train

bin/train: $(shell find . -name '*.go' -not -path './data/*') go.mod go.sum $(wildcard shaders/*.spv)
	$(GO) build -o bin/train ./cmd/train

data: $(MNIST)

$(MNIST) &: scripts/fetch-mnist.sh
	scripts/fetch-mnist.sh data/mnist

# The GPU tests run on whatever Vulkan device is present (lavapipe in CI) and fail, not
# skip, when there is none: VKCNN_REQUIRE_GPU=1. VKCNN_REQUIRE_DATA=1 makes the tests on
# real MNIST fail when the data is missing, VKCNN_REQUIRE_BROWSER=1 the test of the serve
# page in headless Chromium when there is no chromium.
test: data vet
	VKCNN_REQUIRE_GPU=1 VKCNN_REQUIRE_DATA=1 VKCNN_REQUIRE_BROWSER=1 $(GO) test -count=1 -timeout 40m ./...
	GOEXPERIMENT= $(GO) test -count=1 ./cpu ./internal/optest
	$(MAKE) fuzz

fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzReadImages$$' -fuzztime $(FUZZTIME) ./mnist
	$(GO) test -run '^$$' -fuzz '^FuzzReadLabels$$' -fuzztime $(FUZZTIME) ./mnist
	$(GO) test -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME) ./checkpoint

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet ./...

train: data build
	./bin/train

# Training samples/s of both engines at batch 1 and 64 on real MNIST.
bench: data
	$(GO) test -run '^$$' -bench 'BenchmarkTrain' -benchtime 1x -timeout 60m ./internal/enginetest

# The CPU engine and PyTorch (/usr/bin/python3 with python3-torch) side by side on the same
# cores: every preset, one epoch of 12,800 samples at batch 64 and of 2,000 at batch 1 (the
# script's LIMIT64, LIMIT1, THREADS, REPEAT, PRESETS change that), a table with the ratios.
.PHONY: bench-torch
bench-torch: data build
	scripts/bench_torch.sh

# The original study's comparison in one command: every preset of the study with its
# per-sample recipe and with the default batch-64 one over SEEDS seeds (SEEDS=1: quick),
# on the GPU when there is one, then 13 epochs of repeated training with and without
# dropout; writes out/compare.md and out/dropout.png (bin/train compare -h: the knobs).
SEEDS ?= 3
.PHONY: compare
compare: data build
	./bin/train compare -seeds $(SEEDS)

-include shaders/shaders.mk

# CI: the committed SPIR-V must be what glslc makes of the committed GLSL (rebuilt
# unconditionally: a fresh clone's timestamps say nothing).
check-shaders:
	$(MAKE) --always-make shaders
	git diff --exit-code -- shaders/

# What scripts/gpu-check.sh needs on a GPU machine that builds nothing: the binary, the data,
# Debian's Vulkan loader and the PyTorch reference, in the git-ignored .device/.
device-kit: build data
	mkdir -p .device/mnist
	cp bin/train .device/train
	cp data/mnist/*.gz .device/mnist/
	cp ../shared/bench/torch_lenet.py .device/
	cd .device && rm -f libvulkan1_*.deb && apt-get download libvulkan1

clean:
	rm -rf bin
