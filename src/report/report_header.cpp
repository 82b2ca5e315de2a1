// The reports' common header (report_header.h).
#include "gptbench/report/report_header.h"  // this file's declarations

#include <fmt/format.h>  // fmt::format

#include "gptbench/report/field_list.h"  // write_fields, read_fields

namespace gptbench::report {

constexpr auto kToolFields = [](auto& io, auto& tool) {
  io("name", tool.name)("version", tool.version)("git_sha", tool.git_sha);
};

nlohmann::json to_json(const ToolInfo& tool) { return write_fields(tool, kToolFields); }

void from_json(const JsonFields& in, ToolInfo& tool) { read_fields(in, tool, kToolFields); }

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
  header.env = in.raw_object("env");  // env and config keep their keys (report_header.h)
  header.config = in.raw_object("config");
}

void write_outcome(const std::string& status, const std::optional<std::string>& error, nlohmann::json& report) {
  report["status"] = status;
  report["error"] = nullable(error);
}

void read_outcome(const JsonFields& in, std::string& status, std::optional<std::string>& error) {
  status = in.string("status");
  if (status != "ok" && status != "error") in.fail("status", "\"ok\" or \"error\"");
  error = in.optional_string("error");
}

}  // namespace gptbench::report
