// The `gptbench train` report (train_report.h).
#include "gptbench/report/train_report.h"  // this file's declarations

#include "gptbench/report/field_list.h"  // write_fields, read_fields

namespace gptbench::report {
// The model's shape (ModelInfo's keys) and what training did with it, in one object.
constexpr auto kTrainModelFields = [](auto& io, auto& m) {
  io("trained_parameters", m.trained_parameters)("weight_decayed_parameters", m.weight_decayed_parameters);
  io.if_present("frozen_parameters", m.frozen_parameters)("started_from", m.started_from);
};

constexpr auto kEvaluationFields = [](auto& io, auto& e) {
  io("step", e.step)("val_loss", e.val_loss).if_present("val_kl", e.val_kl);
};

constexpr auto kTrainingFields = [](auto& io, auto& t) {
  io("first_step", t.first_step)("last_step", t.last_step)("total_steps", t.total_steps);
  io("examples_consumed", t.examples_consumed)("epochs", t.epochs)("final_train_loss", t.final_train_loss);
  io("evaluations", t.evaluations)("loss_curve", t.loss_curve)("precision", t.precision)("loss_impl", t.loss_impl);
  io("tf32", t.tf32).if_present("deterministic", t.deterministic)("optimizer", t.optimizer);
  io("loss_scale", t.loss_scale).if_present("mode", t.mode);
};

constexpr auto kDistillFields = [](auto& io, auto& d) {
  io("teacher", d.teacher)("variant", d.variant)("kernel", d.kernel)("temperature", d.temperature)("alpha", d.alpha);
  io("objective", d.objective)("final_kl", d.final_kl)("final_cross_entropy", d.final_cross_entropy);
};

constexpr auto kLoraFields = [](auto& io, auto& l) {
  io("rank", l.rank)("alpha", l.alpha)("dropout", l.dropout)("targets", l.targets)("sites", l.sites);
  io("parameters", l.parameters)("adapter_bytes", l.adapter_bytes)("adapter_dir", l.adapter_dir)("base", l.base);
  io("base_quant", l.base_quant).if_present("base_dtype", l.base_dtype);
};

constexpr auto kThroughputFields = [](auto& io, auto& t) {
  io("step_ms", t.step_ms, RawSamples::kInclude)("timed_steps", t.timed_steps)("skipped_steps", t.skipped_steps);
  io("tokens_per_s", t.tokens_per_s)("samples_per_s", t.samples_per_s);
  io("mean_sequence_tokens", t.mean_sequence_tokens)("tokens_counted", t.tokens_counted);
};

constexpr auto kMfuFields = [](auto& io, auto& m) {
  io("formula", m.formula)("flops_per_token", m.flops_per_token)("model_flops_per_s", m.model_flops_per_s);
  io("peak_flops_per_s", m.peak_flops_per_s)("peak_source", m.peak_source)("mfu", m.mfu);
};

constexpr auto kCheckpointFields = [](auto& io, auto& c) { io("dir", c.dir)("step", c.step); };

constexpr auto kRougeEvalFields = [](auto& io, auto& r) {
  io("split", r.split)("n_samples", r.n_samples)("quality", r.quality);
};

// The results' blocks are top-level keys of the report; attention goes beside them (its layout
// depends on the header).
constexpr auto kResultsFields = [](auto& io, auto& t) {
  io("model", t.model)("dataset", t.dataset)("training", t.training)("throughput", t.throughput)("mfu", t.mfu);
  io("memory", t.memory)("checkpoint", t.checkpoint).object_or_null("profile", t.profile);
  io.if_present("rouge_eval", t.rouge_eval).if_present("distill", t.distill).if_present("lora", t.lora);
};

// Found by the field lists through argument-dependent lookup, so in this namespace.
static nlohmann::json to_json(const TrainModelInfo& m) {
  nlohmann::json j = to_json(m.shape);
  j.update(write_fields(m, kTrainModelFields));
  return j;
}
static void from_json(const JsonFields& in, TrainModelInfo& m) {
  from_json(in, m.shape);
  read_fields(in, m, kTrainModelFields);
}
// An evaluation as the loss curve writes it: {"type": "eval", "step", "val_loss"}.
static nlohmann::json to_json(const Evaluation& e) {
  nlohmann::json j = write_fields(e, kEvaluationFields);
  j["type"] = "eval";
  return j;
}
static void from_json(const JsonFields& in, Evaluation& e) { read_fields(in, e, kEvaluationFields); }
static nlohmann::json to_json(const TrainingInfo& t) { return write_fields(t, kTrainingFields); }
static void from_json(const JsonFields& in, TrainingInfo& t) { read_fields(in, t, kTrainingFields); }
static nlohmann::json to_json(const ThroughputInfo& t) { return write_fields(t, kThroughputFields); }
static void from_json(const JsonFields& in, ThroughputInfo& t) { read_fields(in, t, kThroughputFields); }
static nlohmann::json to_json(const MfuInfo& m) { return write_fields(m, kMfuFields); }
static void from_json(const JsonFields& in, MfuInfo& m) { read_fields(in, m, kMfuFields); }
static nlohmann::json to_json(const CheckpointInfo& c) { return write_fields(c, kCheckpointFields); }
static void from_json(const JsonFields& in, CheckpointInfo& c) { read_fields(in, c, kCheckpointFields); }
static nlohmann::json to_json(const DistillInfo& d) { return write_fields(d, kDistillFields); }
static void from_json(const JsonFields& in, DistillInfo& d) { read_fields(in, d, kDistillFields); }
static nlohmann::json to_json(const LoraInfo& l) { return write_fields(l, kLoraFields); }
static void from_json(const JsonFields& in, LoraInfo& l) { read_fields(in, l, kLoraFields); }
static nlohmann::json to_json(const RougeEval& r) { return write_fields(r, kRougeEvalFields); }
static void from_json(const JsonFields& in, RougeEval& r) { read_fields(in, r, kRougeEvalFields); }

nlohmann::json to_json(const TrainReport& r) {
  nlohmann::json j = nlohmann::json::object();
  write_header(r.header, j);
  if (r.results) {
    const AttentionLayout layout = r.header.schema.minor >= 1 ? AttentionLayout::kUnified : AttentionLayout::kTrainV1_0;
    j["attention"] = to_json(r.results->attention, layout);
    j.update(write_fields(*r.results, kResultsFields));
  }
  write_outcome(r.status, r.error, j);
  return j;
}

void from_json(const JsonFields& in, TrainReport& r) {
  from_json(in, r.header, kTrainSchemaVersion.major);
  read_outcome(in, r.status, r.error);
  if (!in.has("training")) return;  // an error report has the header only
  TrainResults& t = r.results.emplace();
  from_json(in.object("attention"), t.attention);
  read_fields(in, t, kResultsFields);
}

TrainReport train_report_from_json(const nlohmann::json& json) {
  TrainReport r;
  from_json(JsonFields(json, ""), r);
  return r;
}

}  // namespace gptbench::report
