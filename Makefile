# Empathy Engine — build, demo and test entry points.
#   make demo   install system packages, build, grade the bundled demo clip
#               and write its emotion track (face + recorded heartbeat)
#   make test   install system packages, build, run the tests
SWIFT ?= swift
CONFIG ?= release
BIN = .build/$(CONFIG)/empathy
DEMO_CLIP = footage/demo/astronaut.mp4
DEMO_OUT = out/demo
DEMO_LUT = neon-noir/midnight
DEMO_SESSION = footage/demo/astronaut.session.csv

.PHONY: deps build demo test bench bench-analyze clean luts

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build -c $(CONFIG) --product empathy

demo: build
	@test -f $(DEMO_CLIP) || footage/make-demo.sh
	$(BIN) grade $(DEMO_CLIP) --lut $(DEMO_LUT) --out $(DEMO_OUT)
	$(BIN) analyze $(DEMO_CLIP) --sensor $(DEMO_SESSION) --out $(DEMO_OUT)/astronaut.track.csv
	@echo "Demo sequence: $(CURDIR)/$(DEMO_OUT)/astronaut/"
	@echo "Emotion track: $(CURDIR)/$(DEMO_OUT)/astronaut.track.csv (plot: astronaut.track.plot.png)"

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

bench: build
	scripts/bench-grade.sh

bench-analyze: build
	scripts/bench-analyze.sh

luts: deps
	$(SWIFT) run -c $(CONFIG) neon-noir-gen shaders/luts/neon-noir

clean:
	rm -rf .build out
