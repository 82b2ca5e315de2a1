// Markdown and CSV renderings of the side-by-side report table (report_table.h).
#include "gptbench/compare/report_table.h"  // this file's declarations

#include <fmt/format.h>  // fmt::format

#include "gptbench/util/table_cells.h"  // csv_field, markdown_cell

namespace gptbench::compare {
namespace {

std::string csv_number(const std::optional<double>& v) { return v ? fmt::format("{}", *v) : std::string(); }

std::string md_number(const ReportRow& row, size_t i, int decimals) {
  const std::optional<double>& v = row.values[i];
  if (!v) return "-";  // not measured, or withheld (a p90 of fewer than 10 samples)
  std::string cell = fmt::format("{:.{}f}", *v, decimals);
  if (i < row.ratios.size() && row.ratios[i]) cell += fmt::format(" ({:.2f}x)", *row.ratios[i]);
  return cell;
}

}  // namespace

std::string format_report_markdown(const ReportTable& table) {
  const std::vector<ReportColumn>& columns = report_columns();
  std::vector<size_t> shown;  // the number columns some report has
  for (size_t i = 0; i < columns.size(); ++i)
    for (const ReportRow& row : table.rows)
      if (row.values[i]) {
        shown.push_back(i);
        break;
      }
  std::string out = "| report | variant | device | kernel |";
  std::string rule = "|---|---|---|---|";
  for (size_t i : shown) {
    out += " " + columns[i].header + " |";
    rule += "---:|";
  }
  out += "\n" + rule + "\n";
  for (const ReportRow& row : table.rows) {
    const std::string variant = row.status == "ok" ? row.variant : row.variant + " (failed)";
    out += fmt::format("| {} | {} | {} | {} |", markdown_cell(row.path), markdown_cell(variant), markdown_cell(row.device),
                       markdown_cell(row.kernel));
    for (size_t i : shown) out += " " + md_number(row, i, columns[i].decimals) + " |";
    out += "\n";
  }
  if (table.rows.size() > 1) out += "\nRatios in parentheses are against the first report (" + markdown_cell(table.rows[0].path) + ").\n";
  if (!table.notes.empty()) {
    out += "\n";
    for (const std::string& note : table.notes) out += "- " + note + "\n";
  }
  return out;
}

std::string format_report_csv(const ReportTable& table) {
  std::string out = "report,status,variant,device,kernel";
  for (const ReportColumn& c : report_columns()) out += "," + c.key + "," + c.key + "_ratio";
  out += "\n";
  for (const ReportRow& row : table.rows) {
    out += fmt::format("{},{},{},{},{}", csv_field(row.path), csv_field(row.status), csv_field(row.variant),
                       csv_field(row.device), csv_field(row.kernel));
    for (size_t i = 0; i < row.values.size(); ++i)
      out += "," + csv_number(row.values[i]) + "," + csv_number(i < row.ratios.size() ? row.ratios[i] : std::nullopt);
    out += "\n";
  }
  return out;
}

}  // namespace gptbench::compare
