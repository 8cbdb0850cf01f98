# Empathy Engine — build, demo and test entry points.
#   make demo   install system packages, build, grade the bundled demo clip
#   make test   install system packages, build, run the tests
SWIFT ?= swift
CONFIG ?= release
BIN = .build/$(CONFIG)/empathy
DEMO_CLIP = footage/demo/astronaut.mp4
DEMO_OUT = out/demo
DEMO_LUT = neon-noir/midnight

.PHONY: deps build demo test bench clean luts

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build -c $(CONFIG) --product empathy

demo: build
	@test -f $(DEMO_CLIP) || footage/make-demo.sh
	$(BIN) grade $(DEMO_CLIP) --lut $(DEMO_LUT) --out $(DEMO_OUT)
	@echo "Demo sequence: $(CURDIR)/$(DEMO_OUT)/astronaut/"

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

bench: build
	scripts/bench-grade.sh

luts: deps
	$(SWIFT) run -c $(CONFIG) neon-noir-gen shaders/luts/neon-noir

clean:
	rm -rf .build out
