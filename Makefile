# Every target wraps a go command; CI runs `make test` through .ci/run.
GO ?= go
BIN := bin/rankloop
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

.PHONY: build run test bench bench-serve parity clean

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/rankloop

# The main job: the tutorial's coffee experiment on the embedded loop.
run: build
	./$(BIN) run experiments/coffee.yaml

test:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 45m ./...

# Benchmarks: five runs each, so benchstat can take the median.
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./...

# rankloop serve under load from wrk on loopback (installs wrk with apt-get
# when it is missing).
bench-serve:
	bash bench/serve-load.sh

# Rankloop's learning curves beside Vowpal Wabbit's on the coffee problem.
parity:
	$(GO) run ./cmd/parity

clean:
	rm -rf bin
