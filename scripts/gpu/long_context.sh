# Sourced by the long-context GPU scripts (learned_bench.sh, nsa_bench.sh): a GPT-2-small shape with
# n_positions 65536 (random fp16 weights from `gptbench init`, made once per machine under /tmp) and one
# `gptbench run` of it on a synthetic prompt, batch 1, fp16.

# long_context_model BIN DATA LOG: prints the model folder, making it first if absent.
long_context_model() {
  local bin=$1 data=$2 log=$3 model=/tmp/gpt2-64k
  if [ ! -f $model/model.safetensors ]; then
    mkdir -p /tmp/gpt2-64k-config
    cat >/tmp/gpt2-64k-config/config.json <<'JSON'
{"model_type": "gpt2", "n_layer": 12, "n_head": 12, "n_embd": 768, "n_positions": 65536, "vocab_size": 50257,
 "bos_token_id": 50256, "eos_token_id": 50256, "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5}
JSON
    timeout 120 "$bin" init --config /tmp/gpt2-64k-config/config.json --seed 0 --out $model --dtype fp16 \
      --tokenizer "$data/gpt2_tokenizer" >"$log" 2>&1 || { tail -3 "$log" >&2; return 1; }
  fi
  echo $model
}

# long_context_run BIN MODEL VARIANT T NEW LIMIT SECONDS REPORT ERR: a prompt of T - NEW tokens, NEW new
# tokens, LIMIT timed samples after one warm-up; prints one line and returns 1 on failure.
long_context_run() {
  local bin=$1 model=$2 v=$3 t=$4 new=$5 limit=$6 seconds=$7 report=$8 err=$9
  timeout "$seconds" "$bin" run --model "$model" --variant "$v" --dtype fp16 --device cuda --dataset synthetic \
    --prompt-tokens $((t - new)) --max-new-tokens "$new" --min-new-tokens "$new" --batch-size 1 --limit "$limit" \
    --warmup 1 --quiet --out "$report" >/dev/null 2>"$err" || { echo "run $v T=$t failed: $(tail -1 "$err")"; return 1; }
}
