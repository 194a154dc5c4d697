# The front door: `make demo` and `make test`. Both install what is missing, configure and build.
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
CMAKE_ARGS ?=

.PHONY: all deps build build-asan test unit e2e demo bench format clean

all: build

deps:
	@bash scripts/setup-deps.sh

$(BUILD)/build.ninja: | deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS) >/dev/null

build: deps $(BUILD)/build.ninja
	@cmake --build $(BUILD) -j $(JOBS)

$(ASAN_BUILD)/build.ninja: | deps
	@cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DMICROVM_SANITIZE=ON \
		-DMICROVM_UNIT_ONLY=ON $(CMAKE_ARGS) >/dev/null

build-asan: deps $(ASAN_BUILD)/build.ninja
	@cmake --build $(ASAN_BUILD) -j $(JOBS)

# Every test: the unit tests under ASan+UBSan, then the whole suite (unit, fakes, real VMs).
test: build build-asan
	@echo "== unit tests (AddressSanitizer + UndefinedBehaviorSanitizer)"
	@cd $(ASAN_BUILD) && ctest --output-on-failure -L unit -j $(JOBS)
	@echo "== all tests"
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

unit: build
	@cd $(BUILD) && ctest --output-on-failure -L unit -j $(JOBS)

e2e: build
	@cd $(BUILD) && ctest --output-on-failure -L e2e

demo: build
	@bash scripts/demo.sh $(BUILD)

# Boot time: microvm run -- true against raw qemu with a power-off init, side by side.
bench: build
	@bash bench/boot/run.sh $(BUILD)

format:
	@git ls-files '*.cpp' '*.hpp' '*.c' '*.h' | xargs clang-format -i

clean:
	@rm -rf $(BUILD) $(ASAN_BUILD)
