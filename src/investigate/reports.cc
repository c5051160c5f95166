#include "investigate/reports.h"

#include <filesystem>

#include "investigate/output_files.h"
#include "investigate/report_csv.h"
#include "investigate/report_html.h"
#include "investigate/report_json.h"

namespace sendguard {
namespace {

constexpr unsigned kDirectoryMode = 0750;
constexpr unsigned kFileMode = 0640;

}  // namespace

Result<ReportPaths> write_investigation_reports(const Investigation& investigation,
                                                const std::string& out_dir) {
  if (auto made = investigate_internal::make_directories(out_dir, kDirectoryMode); !made) {
    return std::unexpected(made.error());
  }
  const std::filesystem::path dir(out_dir);
  ReportPaths paths{(dir / "report.html").string(), (dir / "misdirected.csv").string(),
                    (dir / "investigation.json").string()};

  investigate_internal::StagedFiles files;
  const std::pair<const std::string*, std::string> reports[] = {
      {&paths.json, render_investigation_json(investigation)},
      {&paths.csv, render_misdirected_csv(investigation)},
      {&paths.html, render_report_html(investigation)},
  };
  for (const auto& [path, content] : reports) {
    if (auto staged = files.stage(*path, content, kFileMode); !staged) {
      return std::unexpected(staged.error());
    }
  }
  if (auto committed = files.commit(); !committed) return std::unexpected(committed.error());
  return paths;
}

}  // namespace sendguard
