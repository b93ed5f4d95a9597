PYTHON ?= python3
MODEL_DIR ?= checkpoints/latest
HOST ?= 127.0.0.1
PORT ?= 8000
# Extra flags for training, e.g. `make train ARGS="--base_model /path/to/camelbert --num_train_epochs 3"`
ARGS ?=
BASE_MODEL ?= embedded

.PHONY: install train data validate-data eval eval-seeds serve test test-all lint clean

install:  ## install the CPU build of torch, then the project with all extras
	$(PYTHON) -m pip install "torch==2.13.0"
	$(PYTHON) -m pip install -e ".[train,serve,dev]"

data:  ## merge nothing, just assemble pages from data/ into data/build/
	$(PYTHON) -m training.build_data

validate-data:  ## check the registry and every authored article (file, line and field on error)
	$(PYTHON) -m training.validate

train:  ## fine-tune; writes $(MODEL_DIR). BASE_MODEL= (empty) tries CAMeLBERT first
	$(PYTHON) -m training.train $(if $(BASE_MODEL),--base_model $(BASE_MODEL)) --output_dir $(MODEL_DIR) $(ARGS)

eval:  ## evaluate $(MODEL_DIR) on the corpus test split, against peers
	$(PYTHON) -m evaluation.evaluate --model-dir $(MODEL_DIR) $(ARGS)

eval-seeds:  ## evaluate on the seed gold files beside the repo (../shared/eval)
	$(PYTHON) -m evaluation.evaluate --model-dir $(MODEL_DIR) --gold ../shared/eval/seeds-gold.jsonl --name seeds-gold
	$(PYTHON) -m evaluation.evaluate --model-dir $(MODEL_DIR) --gold ../shared/eval/seeds-kinds.jsonl --name seeds-kinds

serve:  ## serve $(MODEL_DIR) with uvicorn
	MODEL_DIR=$(MODEL_DIR) $(PYTHON) -m uvicorn --factory serving.app:app_factory --host $(HOST) --port $(PORT)

test:  ## the test suite (no network, no GPU)
	$(PYTHON) -m pytest -q -m "not gpu"

lint:
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .
	$(PYTHON) -m mypy models training serving evaluation

clean:
	rm -rf data/build reports/*/ checkpoints/
