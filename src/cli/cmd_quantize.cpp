// gptbench quantize: a checkpoint's linear weights quantized (int8 / int4 / nf4) into a new checkpoint folder
// that `run --model` loads directly (docs/quantization.md), written whole or not at all.
#include <fmt/format.h>  // fmt::format, fmt::print

#include <filesystem>  // std::filesystem
#include <memory>      // std::make_shared
#include <string>      // std::string
#include <system_error>  // std::error_code

#include <ftw.h>     // nftw
#include <unistd.h>  // getpid
#include <cstdio>    // std::remove

#include "command.h"                                      // register_quantize_command
#include "gptbench/model/checkpoint.h"                    // check_tokenizer_files, copy_tokenizer_files
#include "gptbench/model/quantized_model_checkpoint.h"    // save_quantized_model
#include "gptbench/quant/quant_format.h"                  // describe
#include "gptbench/run/model_selection.h"                 // ModelSelection, resolve_selection, load_selected_model
#include "gptbench/util/error.h"                          // Error, UsageError
#include "model_options.h"                                // add_model_dir_option, add_dtype_option, ...

namespace fs = std::filesystem;

namespace gptbench::cli {
namespace {

// --out must not hold anything yet: the folder appears by one rename, complete.
void check_out(const fs::path& out) {
  std::error_code ec;
  if (fs::exists(out, ec) && !(fs::is_directory(out, ec) && fs::is_empty(out, ec))) {
    throw UsageError(fmt::format("--out {}: already exists; give a new folder", out.string()));
  }
  const fs::path parent = fs::absolute(out).parent_path();
  if (!fs::is_directory(parent, ec)) throw UsageError(fmt::format("--out {}: no folder {}", out.string(), parent.string()));
}

// Removes `dir` and what it holds. (std::filesystem::remove_all resolves into libtorch's copy of it,
// which crashes: POSIX nftw instead.)
void remove_tree(const fs::path& dir) {
  nftw(dir.c_str(), [](const char* path, const struct stat*, int, struct FTW*) { return std::remove(path); }, 16,
       FTW_DEPTH | FTW_PHYS);
}

// Writes the quantized model and the tokenizer into a sibling temporary folder, then renames it to `out`.
void write_atomically(const model::CausalLm& m, const fs::path& model_dir, const fs::path& out) {
  const fs::path abs = fs::absolute(out);
  const fs::path tmp = abs.parent_path() / fmt::format(".{}.tmp-{}", abs.filename().string(), getpid());
  remove_tree(tmp);
  try {
    fs::create_directory(tmp);
    model::save_quantized_model(m, tmp);
    model::copy_tokenizer_files(model_dir, tmp);
    std::error_code ec;
    if (fs::is_directory(abs, ec)) fs::remove(abs, ec);  // an empty folder (check_out)
    fs::rename(tmp, abs);
  } catch (...) {
    remove_tree(tmp);
    throw;
  }
}

}  // namespace

void register_quantize_command(CLI::App& app) {
  struct Options {
    run::ModelSelection model;
    std::string out;
  };
  auto o = std::make_shared<Options>();
  o->model.dtype = "fp16";
  CLI::App* cmd = app.add_subcommand(
      "quantize", "Write a checkpoint with every linear weight quantized (int8 | int4 | nf4) that run --model loads");
  add_model_dir_option(cmd, o->model);
  add_dtype_option(cmd, o->model);
  add_device_option(cmd, o->model);
  add_quant_options(cmd, o->model);
  cmd->add_option("--out", o->out, "output folder (must not exist; appears complete or not at all)")->required();
  cmd->callback([o] {
    if (!o->model.quant || *o->model.quant == "none") {
      throw UsageError("--quant: gptbench quantize needs a format: int8, int4 or nf4");
    }
    const run::ResolvedSelection selection = run::resolve_selection(o->model);
    check_out(o->out);
    model::check_tokenizer_files(o->model.model_dir);
    const model::LoadedModel loaded = run::load_selected_model(selection);
    if (loaded.quant->from_checkpoint) {
      throw UsageError(fmt::format("--model {}: already a quantized checkpoint", o->model.model_dir));
    }
    write_atomically(*loaded.model, o->model.model_dir, o->out);
    fmt::print(stderr, "gptbench quantize: {} layers as {}{}: {:.1f} MiB -> {:.1f} MiB of linear weights; wrote {}\n",
               loaded.quant->layers.size(), quant::describe(loaded.quant->spec),
               loaded.quant->lm_head ? " (lm_head included)" : "", loaded.quant->bytes_before / 1048576.0,
               loaded.quant->bytes_after / 1048576.0, o->out);
  });
}

}  // namespace gptbench::cli
