// The `gptbench train` report (train_report.h).
#include "gptbench/report/train_report.h"  // this file's declarations

namespace gptbench::report {
namespace {

nlohmann::json to_json(const TrainModelInfo& m) {
  nlohmann::json j = to_json(m.shape);
  j["trained_parameters"] = m.trained_parameters;
  j["weight_decayed_parameters"] = m.weight_decayed_parameters;
  j["started_from"] = m.started_from;
  return j;
}

void from_json(const JsonFields& in, TrainModelInfo& m) {
  from_json(in, m.shape);
  m.trained_parameters = in.integer("trained_parameters");
  m.weight_decayed_parameters = in.integer("weight_decayed_parameters");
  m.started_from = in.string("started_from");
}

nlohmann::json to_json(const TrainingInfo& t) {
  nlohmann::json evaluations = nlohmann::json::array();
  for (const Evaluation& e : t.evaluations)
    evaluations.push_back({{"type", "eval"}, {"step", e.step}, {"val_loss", e.val_loss}});  // as in the loss curve
  nlohmann::json j = {{"first_step", t.first_step},
                      {"last_step", t.last_step},
                      {"total_steps", t.total_steps},
                      {"examples_consumed", t.examples_consumed},
                      {"epochs", t.epochs},
                      {"final_train_loss", t.final_train_loss},
                      {"evaluations", evaluations},
                      {"loss_curve", t.loss_curve},
                      {"precision", t.precision},
                      {"loss_impl", t.loss_impl},
                      {"tf32", t.tf32},
                      {"optimizer", t.optimizer},
                      {"loss_scale", nullable(t.loss_scale)}};
  if (t.deterministic) j["deterministic"] = *t.deterministic;
  return j;
}

void from_json(const JsonFields& in, TrainingInfo& t) {
  t.first_step = in.integer("first_step");
  t.last_step = in.integer("last_step");
  t.total_steps = in.integer("total_steps");
  t.examples_consumed = in.integer("examples_consumed");
  t.epochs = in.number("epochs");
  t.final_train_loss = in.number("final_train_loss");
  const nlohmann::json& evaluations = in.any("evaluations");
  if (!evaluations.is_array()) in.fail("evaluations", "an array");
  for (size_t i = 0; i < evaluations.size(); ++i) {
    const JsonFields e(evaluations[i], in.path_of("evaluations") + "[" + std::to_string(i) + "]");
    t.evaluations.push_back({e.integer("step"), e.number("val_loss")});
  }
  t.loss_curve = in.string("loss_curve");
  t.precision = in.string("precision");
  t.loss_impl = in.string("loss_impl");
  t.tf32 = in.boolean("tf32");
  t.deterministic = in.optional_boolean("deterministic");
  t.optimizer = in.string("optimizer");
  t.loss_scale = in.optional_number("loss_scale");
}

nlohmann::json to_json(const ThroughputInfo& t) {
  return {{"step_ms", to_json(t.step_ms)},         {"timed_steps", t.timed_steps},
          {"skipped_steps", t.skipped_steps},       {"tokens_per_s", t.tokens_per_s},
          {"samples_per_s", t.samples_per_s},       {"mean_sequence_tokens", t.mean_sequence_tokens},
          {"tokens_counted", t.tokens_counted}};
}

void from_json(const JsonFields& in, ThroughputInfo& t) {
  from_json(in.object("step_ms"), t.step_ms, RawSamples::kInclude);
  t.timed_steps = in.integer("timed_steps");
  t.skipped_steps = in.integer("skipped_steps");
  t.tokens_per_s = in.number("tokens_per_s");
  t.samples_per_s = in.number("samples_per_s");
  t.mean_sequence_tokens = in.number("mean_sequence_tokens");
  t.tokens_counted = in.string("tokens_counted");
}

nlohmann::json to_json(const MfuInfo& m) {
  return {{"formula", m.formula},
          {"flops_per_token", m.flops_per_token},
          {"model_flops_per_s", m.model_flops_per_s},
          {"peak_flops_per_s", nullable(m.peak_flops_per_s)},
          {"peak_source", m.peak_source},
          {"mfu", nullable(m.mfu)}};
}

void from_json(const JsonFields& in, MfuInfo& m) {
  m.formula = in.string("formula");
  m.flops_per_token = in.number("flops_per_token");
  m.model_flops_per_s = in.number("model_flops_per_s");
  m.peak_flops_per_s = in.optional_number("peak_flops_per_s");
  m.peak_source = in.string("peak_source");
  m.mfu = in.optional_number("mfu");
}

nlohmann::json to_json(const RougeEval& r) {
  return {{"split", r.split},
          {"n_samples", r.n_samples},
          {"quality", r.quality ? to_json(*r.quality) : nlohmann::json(nullptr)}};
}

void from_json(const JsonFields& in, RougeEval& r) {
  r.split = in.string("split");
  r.n_samples = in.integer("n_samples");
  if (!in.is_null("quality")) from_json(in.object("quality"), r.quality.emplace());
}

void write_results(const TrainResults& t, AttentionLayout layout, nlohmann::json& j) {
  j["attention"] = to_json(t.attention, layout);
  j["model"] = to_json(t.model);
  j["dataset"] = t.dataset;
  j["training"] = to_json(t.training);
  j["throughput"] = to_json(t.throughput);
  j["mfu"] = to_json(t.mfu);
  j["memory"] = to_json(t.memory);
  j["checkpoint"] = {{"dir", t.checkpoint.dir}, {"step", t.checkpoint.step}};
  j["profile"] = t.profile;
  if (t.rouge_eval) j["rouge_eval"] = to_json(*t.rouge_eval);
}

TrainResults read_results(const JsonFields& in) {
  TrainResults t;
  from_json(in.object("attention"), t.attention);
  from_json(in.object("model"), t.model);
  in.object("dataset");  // an object; its keys depend on the dataset kind
  t.dataset = in.any("dataset");
  from_json(in.object("training"), t.training);
  from_json(in.object("throughput"), t.throughput);
  from_json(in.object("mfu"), t.mfu);
  from_json(in.object("memory"), t.memory);
  const JsonFields checkpoint = in.object("checkpoint");
  t.checkpoint = {checkpoint.string("dir"), checkpoint.integer("step")};
  if (!in.is_null("profile")) {
    in.object("profile");
    t.profile = in.any("profile");
  }
  if (in.has("rouge_eval")) from_json(in.object("rouge_eval"), t.rouge_eval.emplace());
  return t;
}

}  // namespace

nlohmann::json to_json(const TrainReport& r) {
  nlohmann::json j = nlohmann::json::object();
  write_header(r.header, j);
  const AttentionLayout layout = r.header.schema.minor >= 1 ? AttentionLayout::kUnified : AttentionLayout::kTrainV1_0;
  if (r.results) write_results(*r.results, layout, j);
  j["status"] = r.status;
  j["error"] = nullable(r.error);
  return j;
}

void from_json(const JsonFields& in, TrainReport& r) {
  from_json(in, r.header, kTrainSchemaVersion.major);
  r.status = in.string("status");
  if (r.status != "ok" && r.status != "error") in.fail("status", "\"ok\" or \"error\"");
  r.error = in.optional_string("error");
  if (in.has("training")) r.results = read_results(in);  // an error report has the header only
}

TrainReport train_report_from_json(const nlohmann::json& json) {
  TrainReport r;
  from_json(JsonFields(json, ""), r);
  return r;
}

}  // namespace gptbench::report
