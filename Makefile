# tensorlite developer tasks.  `make test` builds everything it needs.
#
# The editable install is keyed on a stamp file: it reruns only when pyproject.toml,
# setup.py or a csrc/ source changed since the last install.  pip then finds the
# dependencies already satisfied (no reinstall of torch & co.) and rebuilds the package,
# which recompiles tensorlite._C.

PYTHON      ?= python3
VENV        := .venv
PY          := $(VENV)/bin/python
PIP         := $(VENV)/bin/pip
STAMP       := $(VENV)/.tensorlite-installed
CSRC        := $(wildcard csrc/*.cpp csrc/*.h csrc/*.inc)
PYTEST_ARGS ?=

.PHONY: install test test-fast demo bench gradcheck info gpu-check clean distclean

$(VENV):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -U pip

# Order-only prerequisite on $(VENV): the folder's mtime changes whenever anything is
# installed into it, which must not trigger a reinstall.
$(STAMP): pyproject.toml setup.py $(CSRC) | $(VENV)
	$(PIP) install -e ".[dev]"
	touch $@

install: $(STAMP)

# The suite runs on the fastest kernels available (native where built); then the op registry and
# the nn layers run once more on the NumPy reference kernels alone (TENSORLITE_NO_EXT=1), so both
# implementations of every kernel pass the same op-level tests.
REFERENCE_TESTS := tests/test_ops.py tests/test_nn_conv_modules.py tests/test_nn_attention.py tests/test_nn_layers.py
test: install
	$(PY) -m pytest $(PYTEST_ARGS)
	TENSORLITE_NO_EXT=1 $(PY) -m pytest $(REFERENCE_TESTS) $(PYTEST_ARGS)

test-fast: install
	$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

# The main job: a small ResNet trained on 4,000 real MNIST digits, tested on 1,000 held out.
DEMO_EPOCHS ?= 8
demo: install
	$(VENV)/bin/tensorlite train resnet_mini --dataset mnist5k --epochs $(DEMO_EPOCHS) --out runs --name demo

bench: install
	$(VENV)/bin/tensorlite bench

# On a machine with an NVIDIA GPU: the `gpu` tests, a short training run on cuda, and the Triton
# kernels against PyTorch on the same GPU (table + JSON + PNG in $(GPU_OUT)); at most ~8 minutes.
# It runs from the checkout with the Python that has CuPy, Triton and torch (no venv needed there).
GPU_PYTHON ?= python3
GPU_OUT    ?= gpu_out
gpu-check:
	PYTHONPATH=$(CURDIR) $(GPU_PYTHON) benchmarks/gpu_check.py $(GPU_OUT)

gradcheck: install
	$(VENV)/bin/tensorlite gradcheck

info: install
	$(VENV)/bin/tensorlite info

# Build outputs only; the venv stays (distclean removes it too).
clean:
	rm -rf build dist *.egg-info .pytest_cache .benchmarks
	rm -f tensorlite/_C*.so tensorlite/_C*.pyd tensorlite/_C_build_status.json $(STAMP)
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
