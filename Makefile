# The front door: `make demo` and `make test`. Both install what is missing, configure and build.
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
JOBS       ?= $(shell nproc)
CMAKE_ARGS ?=

.PHONY: all deps build build-asan build-fuzz fuzz kernel test unit e2e demo bench format clean

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

# The libFuzzer targets of tests/fuzz (clang-16: see the top CMakeLists.txt for why not 14).
$(FUZZ_BUILD)/build.ninja: | deps
	@cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DCMAKE_C_COMPILER=clang-16 -DCMAKE_CXX_COMPILER=clang++-16 -DMICROVM_FUZZ=ON \
		$(CMAKE_ARGS) >/dev/null

build-fuzz: deps $(FUZZ_BUILD)/build.ninja
	@cmake --build $(FUZZ_BUILD) -j $(JOBS)

# Every fuzz target for FUZZ_SECONDS each; new inputs stay in $(FUZZ_BUILD)/fuzz/<target>/ unless
# FUZZ_MERGE=1 merges them into tests/fuzz/corpus/. FUZZ_TARGETS="unpack reference" picks some.
FUZZ_SECONDS ?= 60
FUZZ_MERGE   ?= 0
FUZZ_TARGETS ?=
fuzz: build-fuzz
	@bash tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_MERGE) $(FUZZ_TARGETS)

# The microvm guest kernel (kernel/microvm.config over tinyconfig, kernel/patches/ applied),
# built once per machine and cached where the library finds it (scripts/build-kernel.sh; ~9
# minutes on 2 cores).
kernel: deps
	@bash scripts/build-kernel.sh >/dev/null

# The distribution kernel the read-only e2e tests also run on: the newest one with modules.
DISTRO_KERNEL ?= $(shell for k in $$(ls -1 /boot/vmlinuz-* 2>/dev/null | sort -rV); do \
	[ -d "/lib/modules/$$(basename $$k | cut -d- -f2-)" ] && { echo $$k; break; }; done)

# Every test: the unit tests under ASan+UBSan, each fuzz target over its corpus, then the whole
# suite (unit, fakes, real VMs) on the microvm kernel, then the read-only share, kernel, stop and
# Debian userland tests again on the distribution kernel (modules in the initramfs), so both
# boot paths stay working.
test: build build-asan build-fuzz kernel
	@echo "== unit tests (AddressSanitizer + UndefinedBehaviorSanitizer)"
	@cd $(ASAN_BUILD) && ctest --output-on-failure -L unit -j $(JOBS)
	@echo "== fuzz targets over their corpora (libFuzzer, no new inputs)"
	@cd $(FUZZ_BUILD) && ctest --output-on-failure -L fuzz -j $(JOBS)
	@echo "== all tests (guest kernel: $$(dirname $$(bash scripts/build-kernel.sh --path)))"
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	@test -n "$(DISTRO_KERNEL)" || { echo "no distribution kernel with modules in /boot" >&2; exit 1; }
	@echo "== e2e read-only, kernel, stop and Debian userland tests on the distribution kernel ($(DISTRO_KERNEL))"
	@cd $(BUILD) && MICROVM_KERNEL=$(DISTRO_KERNEL) ctest --output-on-failure -L e2e \
		-R 'ReadOnly|Kernel\.|Stop\.|DebianUserland\.'

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
	@rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
