// The reports' common header (report_header.h).
#include "gptbench/report/report_header.h"  // this file's declarations

#include <fmt/format.h>  // fmt::format

namespace gptbench::report {

nlohmann::json to_json(const ToolInfo& tool) {
  return {{"name", tool.name}, {"version", tool.version}, {"git_sha", tool.git_sha}};
}

void from_json(const JsonFields& in, ToolInfo& tool) {
  tool.name = in.string("name");
  tool.version = in.string("version");
  tool.git_sha = in.string("git_sha");
}

void write_header(const ReportHeader& header, nlohmann::json& report) {
  report["schema_version"] = header.schema.major;
  if (header.schema.minor > 0) report["schema_minor"] = header.schema.minor;
  report["tool"] = to_json(header.tool);
  report["env"] = header.env;
  report["config"] = header.config;
}

void from_json(const JsonFields& in, ReportHeader& header, int expected_major) {
  header.schema.major = static_cast<int>(in.integer("schema_version"));
  if (header.schema.major != expected_major)
    throw ReportError(fmt::format("{}: {} is not {}, the version this gptbench reads", in.path_of("schema_version"),
                                  header.schema.major, expected_major));
  header.schema.minor = static_cast<int>(in.optional_integer("schema_minor").value_or(0));
  from_json(in.object("tool"), header.tool);
  in.object("env");  // both must be objects; their keys are not the report's (report_header.h)
  in.object("config");
  header.env = in.any("env");
  header.config = in.any("config");
}

}  // namespace gptbench::report
