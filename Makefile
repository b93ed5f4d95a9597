PYTHON ?= python3
MODEL_DIR ?= checkpoints/latest
HOST ?= 127.0.0.1
PORT ?= 8000
# Extra flags for training, e.g. `make train ARGS="--base_model /path/to/camelbert --num_train_epochs 3"`
ARGS ?=
BASE_MODEL ?=

.PHONY: install train calibrate data validate-data registry-extend eval-real registry-coverage eval eval-seeds gate serve test lint load-test api-fuzz bench export-onnx classify clean

install:  ## install the CPU build of torch, then the project with all extras
	$(PYTHON) -m pip install "torch==2.13.0"
	$(PYTHON) -m pip install -e ".[train,serve,dev,bench,crawl]"

data:  ## merge nothing, just assemble pages from data/ into data/build/
	$(PYTHON) -m training.build_data

validate-data:  ## check the registry and every authored article (file, line and field on error)
	$(PYTHON) -m training.validate

registry-extend: data  ## report what data/registry_additions/*.json would add to the registry (ARGS=--write: add it; training.registry_extend)
	$(PYTHON) -m training.registry_extend data/registry_additions/*.json $(ARGS)

train:  ## fine-tune; writes $(MODEL_DIR). Default base: CAMeLBERT, else (offline) the embedded small BERT
	$(PYTHON) -m training.train $(if $(BASE_MODEL),--base_model $(BASE_MODEL)) --output_dir $(MODEL_DIR) $(ARGS)

calibrate:  ## fit the stance and triple decision offsets of $(MODEL_DIR) again on the dev pages (after a change of decoding)
	$(PYTHON) -m training.calibrate $(MODEL_DIR)

REAL_DEV ?= ../shared/eval/real-dev.jsonl
eval-real:  ## evaluate $(MODEL_DIR) on real scraped pages (the yardstick), against peers → reports/real-dev/
	$(PYTHON) -m evaluation.evaluate --model-dir $(MODEL_DIR) --gold $(REAL_DEV) --name real-dev $(ARGS)

registry-coverage:  ## list the actors of real-dev that the registry cannot name (ids it lacks, names it lacks)
	$(PYTHON) -m evaluation.registry_coverage --gold $(REAL_DEV)

eval:  ## evaluate $(MODEL_DIR) on the authored test split (a regression check), against peers
	$(PYTHON) -m evaluation.evaluate --model-dir $(MODEL_DIR) $(ARGS)

eval-seeds:  ## evaluate on the seed gold files beside the repo (../shared/eval)
	$(PYTHON) -m evaluation.evaluate --model-dir $(MODEL_DIR) --gold ../shared/eval/seeds-gold.jsonl --name seeds-gold
	$(PYTHON) -m evaluation.evaluate --model-dir $(MODEL_DIR) --gold ../shared/eval/seeds-kinds.jsonl --name seeds-kinds

WORKERS ?= 1
gate:  ## fail when the reports of `make eval-real eval eval-seeds` fall below evaluation/floors.json
	$(PYTHON) -m evaluation.gate reports/real-dev/metrics.json reports/test/metrics.json reports/seeds-gold/metrics.json reports/seeds-kinds/metrics.json

serve:  ## serve $(MODEL_DIR) with uvicorn (settings from the environment, see README)
	MODEL_DIR=$(MODEL_DIR) $(PYTHON) -m uvicorn --factory serving.app:app_factory --host $(HOST) --port $(PORT) --workers $(WORKERS) --timeout-graceful-shutdown 30 --no-access-log

load-test:  ## loopback load test, with and without dynamic batching → bench/results/load_test.json
	$(PYTHON) -m bench.load_test --model-dir $(MODEL_DIR) --compare --out bench/results/load_test.json $(ARGS)

ENGINE ?= local
classify:  ## classify a crawl: make classify IN=pages.jsonl|folder|'glob' OUT=folder [ENGINE=ray] (a rerun resumes)
	$(PYTHON) -m serving.crawl $(IN) --out $(OUT) --engine $(ENGINE) --model-dir $(MODEL_DIR) $(ARGS)

export-onnx:  ## export the encoder of $(MODEL_DIR) to ONNX (float32 and dynamic int8) into $(MODEL_DIR)/onnx/
	$(PYTHON) -m models.onnx_encoder $(MODEL_DIR)

bench:  ## inference benchmark side by side (CPU here; ARGS="--device cuda --max-batch-tokens 65536 --cpu-workers 12" on a GPU) → bench/results/
	$(PYTHON) -m bench.inference --model-dir $(MODEL_DIR) --out bench/results/inference-$$(hostname)-$$(date +%Y%m%d).json $(ARGS)

api-fuzz:  ## schemathesis against the service's own OpenAPI schema, on loopback; fails on any server error
	bash bench/api_fuzz.sh $(MODEL_DIR)

test:  ## the test suite (no network, no GPU)
	$(PYTHON) -m pytest -q -m "not gpu"

lint:
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .
	$(PYTHON) -m mypy models training serving evaluation bench

clean:
	rm -rf data/build reports/*/ checkpoints/
