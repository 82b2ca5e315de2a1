// The progress flags.
#include "progress_options.h"  // this file's declarations

#include <fmt/format.h>  // fmt::format

#include <cmath>  // std::isfinite

namespace gptbench::cli {

void add_progress_options(CLI::App* cmd, bench::ProgressOptions& options) {
  cmd->add_flag("!--no-progress", options.enabled, "no progress bar or lines on stderr");
  cmd->add_option("--progress-every", options.every_s,
                  "seconds between progress lines when stderr is not a terminal (0: every step)")
      ->type_name("S")
      ->check([](const std::string& text) {
        double s = -1;
        try {
          s = std::stod(text);
        } catch (const std::exception&) {
        }
        return s >= 0 && std::isfinite(s) ? std::string() : fmt::format("must be a number of seconds >= 0, got {}", text);
      })
      ->capture_default_str();
}

}  // namespace gptbench::cli
