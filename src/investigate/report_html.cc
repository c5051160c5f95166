#include "investigate/report_html.h"

#include <algorithm>
#include <cstdio>
#include <random>

#include "investigate/report_assets.h"
#include "investigate/report_json.h"
#include "investigate/summary.h"
#include "investigate/text_escape.h"
#include "investigate/timeline.h"

namespace sendguard {
namespace {

using investigate_internal::html_escape;
using investigate_internal::InvestigationSummary;
using investigate_internal::PeriodUnit;
using investigate_internal::Timeline;

constexpr std::size_t kTopSenders = 10;

// A fresh nonce for each page: a script that escaping missed cannot know it, so the page's
// Content-Security-Policy will not run it.
std::string make_nonce() {
  std::random_device random;
  std::string nonce;
  for (int i = 0; i < 4; ++i) {
    char buffer[9];
    std::snprintf(buffer, sizeof buffer, "%08x", static_cast<unsigned>(random()));
    nonce += buffer;
  }
  return nonce;
}

// "2026-11-03 09:15 UTC", for people.
std::string readable_time(std::chrono::system_clock::time_point time) {
  const std::string rfc3339 = rfc3339_utc(time);
  return rfc3339.substr(0, 10) + " " + rfc3339.substr(11, 5) + " UTC";
}

std::string plural(std::size_t count, std::string_view one, std::string_view many) {
  return std::to_string(count) + " " + std::string(count == 1 ? one : many);
}

std::string period_word(PeriodUnit unit) { return std::string(to_string(unit)); }

std::string joined(const std::vector<std::string>& values, std::string_view separator) {
  std::string out;
  for (const std::string& value : values) {
    if (!out.empty()) out += separator;
    out += value;
  }
  return out;
}

nlohmann::ordered_json timeline_json(const Timeline& timeline) {
  nlohmann::ordered_json j;
  j["unit"] = std::string(to_string(timeline.unit));
  j["periods"] = nlohmann::ordered_json::array();
  for (const investigate_internal::Period& p : timeline.periods) {
    j["periods"].push_back({{"start", investigate_internal::iso_date(p.start)},
                            {"end", investigate_internal::iso_date(p.end)},
                            {"label", period_label(timeline.unit, p)},
                            {"tick", period_tick(timeline.unit, p)},
                            {"messages", p.messages},
                            {"sensitive_messages", p.sensitive_messages}});
  }
  return j;
}

void head(std::string& out, const Investigation& investigation, const std::string& nonce) {
  out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  // Nothing may be loaded: the report works offline and its opening is seen by nobody.
  out +=
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "style-src 'nonce-" +
      nonce + "'; script-src 'nonce-" + nonce + "'; base-uri 'none'; form-action 'none'\">\n";
  out += "<meta name=\"referrer\" content=\"no-referrer\">\n";
  out += "<meta name=\"generator\" content=\"sendguard investigate\">\n";
  out += "<title>Mail to lookalike domains: investigation report, " +
         readable_time(investigation.generated_at) + "</title>\n";
  out += "<style nonce=\"" + nonce + "\">\n";
  out += investigate_internal::report_css();
  out += "</style>\n</head>\n";
}

void masthead(std::string& out, const Investigation& investigation) {
  out +=
      "<header class=\"masthead\">\n<p class=\"eyebrow\">sendguard &middot; investigation "
      "report</p>\n<h1>Mail sent to lookalike domains</h1>\n";
  out += "<p class=\"meta\">Generated " + readable_time(investigation.generated_at) +
         ". All times are UTC.</p>\n</header>\n";
}

std::string window_text(const Investigation& investigation) {
  if (!investigation.since && !investigation.until) return "everything in the sources";
  if (!investigation.until) return "from " + readable_time(*investigation.since);
  if (!investigation.since) return "up to " + readable_time(*investigation.until);
  return readable_time(*investigation.since) + " to " + readable_time(*investigation.until);
}

void scope(std::string& out, const Investigation& investigation) {
  out += "<dl class=\"scope\">\n";
  out += "<div><dt>Window searched</dt><dd>" + html_escape(window_text(investigation)) +
         "</dd></div>\n";
  out += "<div><dt>Messages read</dt><dd>" + std::to_string(investigation.messages_read) +
         "</dd></div>\n";
  out += "<div><dt>Recipients checked</dt><dd>" + std::to_string(investigation.recipients_checked) +
         "</dd></div>\n";
  out += "<div><dt>Known domains</dt><dd>" + std::to_string(investigation.known_domains) +
         " <span class=\"muted\">(configured and learned)</span></dd></div>\n";
  out += "<div class=\"wide\"><dt>Sources read</dt><dd>";
  if (investigation.sources.empty()) {
    out += "<span class=\"muted\">none</span>";
  } else {
    out += "<ul class=\"sources\">";
    for (const std::string& source : investigation.sources) {
      out += "<li><code>" + html_escape(source) + "</code></li>";
    }
    out += "</ul>";
  }
  out += "</dd></div>\n</dl>\n";
}

void figure_box(std::string& out, std::string_view label, std::size_t value,
                std::string_view modifier = "") {
  out += "<div class=\"figure";
  if (!modifier.empty()) out += " " + std::string(modifier);
  out += "\"><dt>" + std::string(label) + "</dt><dd>" + std::to_string(value) + "</dd></div>\n";
}

void summary_section(std::string& out, const Investigation& investigation,
                     const InvestigationSummary& summary) {
  out +=
      "<section id=\"summary\" aria-labelledby=\"summary-heading\">\n"
      "<h2 id=\"summary-heading\">Summary</h2>\n";
  if (summary.messages == 0) {
    out +=
        "<div class=\"all-clear\" role=\"status\">\n<p class=\"all-clear-title\">No "
        "misdirected messages found</p>\n<p>None of the " +
        plural(investigation.messages_read, "message", "messages") +
        " read went to a lookalike of the " +
        plural(investigation.known_domains, "known domain", "known domains") + " (" +
        plural(investigation.recipients_checked, "recipient", "recipients") +
        " checked).</p>\n</div>\n";
  } else {
    out += "<p class=\"headline\"><strong>" + plural(summary.messages, "message", "messages") +
           "</strong> went to lookalike domains";
    if (summary.first && summary.last && *summary.first == *summary.last) {
      out += " at " + readable_time(*summary.first);
    } else if (summary.first && summary.last) {
      out += " between " + readable_time(*summary.first) + " and " + readable_time(*summary.last);
    }
    out += ": " + plural(summary.recipients, "recipient", "recipients") + ", sent by " +
           plural(summary.senders, "sender", "senders") + ".";
    if (summary.sensitive_messages > 0) {
      out += " <strong class=\"sensitive-text\">" +
             plural(summary.sensitive_messages, "message", "messages") +
             " carried sensitive content.</strong>";
    }
    out += "</p>\n<dl class=\"figures\">\n";
    figure_box(out, "Misdirected messages", summary.messages);
    figure_box(out, "Lookalike recipients", summary.recipients);
    figure_box(out, "Senders", summary.senders);
    figure_box(out, "With sensitive content", summary.sensitive_messages,
               summary.sensitive_messages > 0 ? "figure-sensitive" : "");
    out += "</dl>\n";
    if (summary.uninspected_messages > 0) {
      out += "<p class=\"note\">" +
             plural(summary.uninspected_messages, "message was", "messages were") +
             " found in mail logs, which record no content: whether they carried sensitive "
             "content is not known.</p>\n";
    }
  }
  scope(out, investigation);
  out += "</section>\n";
}

void timeline_section(std::string& out, const Timeline& timeline) {
  const std::string unit = period_word(timeline.unit);
  const auto busiest =
      std::max_element(timeline.periods.begin(), timeline.periods.end(),
                       [](const auto& a, const auto& b) { return a.messages < b.messages; });
  out +=
      "<section id=\"timeline\" aria-labelledby=\"timeline-heading\">\n"
      "<h2 id=\"timeline-heading\">Timeline</h2>\n<figure class=\"chart-figure\">\n";
  out +=
      "<svg id=\"timeline-chart\" class=\"chart\" role=\"img\" "
      "aria-labelledby=\"timeline-title timeline-desc\" viewBox=\"0 0 960 300\" "
      "data-unit=\"" +
      unit + "\">\n";
  out += "<title id=\"timeline-title\">Misdirected messages per " + unit + "</title>\n";
  out += "<desc id=\"timeline-desc\">Bar chart of the misdirected messages per " + unit +
         ", from " + html_escape(period_label(timeline.unit, timeline.periods.front())) + " to " +
         html_escape(period_label(timeline.unit, timeline.periods.back())) + ". The busiest " +
         unit + " was " + html_escape(period_label(timeline.unit, *busiest)) + " with " +
         plural(busiest->messages, "message", "messages") +
         ". The same counts are in the table below the chart.</desc>\n</svg>\n";
  out +=
      "<p class=\"no-script\" id=\"timeline-no-script\">The chart is drawn by the page's "
      "script, which did not run; the counts are in the table below.</p>\n";
  out += "<figcaption>Misdirected messages per " + unit +
         " (UTC). <span class=\"key key-sensitive\"></span> with sensitive content, "
         "<span class=\"key key-other\"></span> others.</figcaption>\n</figure>\n";
  out += "<details id=\"timeline-counts\" open>\n<summary>Counts per " + unit +
         "</summary>\n<table class=\"compact\">\n<thead><tr><th scope=\"col\">" +
         (timeline.unit == PeriodUnit::kDay ? std::string("Day") : "Period") +
         "</th><th scope=\"col\" class=\"num\">Messages</th><th scope=\"col\" "
         "class=\"num\">With sensitive content</th></tr></thead>\n<tbody>\n";
  for (const investigate_internal::Period& p : timeline.periods) {
    out += "<tr><td>" + html_escape(period_label(timeline.unit, p)) + "</td><td class=\"num\">" +
           std::to_string(p.messages) + "</td><td class=\"num\">" +
           std::to_string(p.sensitive_messages) + "</td></tr>\n";
  }
  out += "</tbody>\n</table>\n</details>\n</section>\n";
}

std::string lookalike_list(const std::vector<std::string>& lookalikes) {
  std::vector<std::string> escaped;
  for (const std::string& domain : lookalikes) {
    escaped.push_back("<span class=\"domain lookalike\">" + html_escape(domain) + "</span>");
  }
  return joined(escaped, ", ");
}

std::string sensitive_cell(std::size_t sensitive) {
  if (sensitive == 0) return "<td class=\"num\">0</td>";
  return "<td class=\"num sensitive-text\"><strong>" + std::to_string(sensitive) + "</strong></td>";
}

// One table of groups (known domains, senders): name, lookalikes, messages, recipients,
// sensitive messages.
void group_table(std::string& out, std::string_view name_heading,
                 std::string_view lookalikes_heading, std::string_view name_class,
                 std::string_view lookalikes_prefix,
                 const std::vector<investigate_internal::GroupSummary>& groups, std::size_t limit) {
  out += "<table>\n<thead><tr><th scope=\"col\">" + std::string(name_heading) +
         "</th><th scope=\"col\">" + std::string(lookalikes_heading) +
         "</th><th scope=\"col\" class=\"num\">Messages</th><th scope=\"col\" "
         "class=\"num\">Recipients</th><th scope=\"col\" class=\"num\">With sensitive "
         "content</th></tr></thead>\n<tbody>\n";
  for (std::size_t i = 0; i < std::min(limit, groups.size()); ++i) {
    const investigate_internal::GroupSummary& g = groups[i];
    out += std::string("<tr") + (g.sensitive_messages > 0 ? " class=\"sensitive\"" : "") +
           "><th scope=\"row\"><span class=\"" + std::string(name_class) + "\">" +
           html_escape(g.name) + "</span></th><td>" + std::string(lookalikes_prefix) +
           lookalike_list(g.lookalikes) + "</td><td class=\"num\">" + std::to_string(g.messages) +
           "</td><td class=\"num\">" + std::to_string(g.recipients) + "</td>" +
           sensitive_cell(g.sensitive_messages) + "</tr>\n";
  }
  out += "</tbody>\n</table>\n";
}

void domains_section(std::string& out, const InvestigationSummary& summary) {
  out +=
      "<section id=\"domains\" aria-labelledby=\"domains-heading\">\n"
      "<h2 id=\"domains-heading\">Known domains most affected</h2>\n"
      "<p class=\"section-note\">Mail meant for each known domain, and the lookalikes it went "
      "to instead.</p>\n";
  group_table(out, "Intended domain", "Went to instead", "domain", "&larr; ",
              summary.intended_domains, summary.intended_domains.size());
  out += "</section>\n";
}

void senders_section(std::string& out, const InvestigationSummary& summary) {
  const auto& senders = summary.senders_by_messages;
  out +=
      "<section id=\"senders\" aria-labelledby=\"senders-heading\">\n"
      "<h2 id=\"senders-heading\">Top senders</h2>\n<p class=\"section-note\">";
  out += senders.size() > kTopSenders ? "The " + std::to_string(kTopSenders) +
                                            " senders with the most misdirected messages, of " +
                                            std::to_string(senders.size()) + "."
                                      : std::string("Everyone who sent a misdirected message.");
  out += "</p>\n";
  group_table(out, "Sender", "Lookalike domains written to", "address", "", senders, kTopSenders);
  out += "</section>\n";
}

std::string findings_cell(const MisdirectedMessage& m) {
  if (!m.body_inspected && m.findings.empty()) {
    return "<span class=\"muted\">not known (log)</span>";
  }
  if (m.findings.empty()) return "<span class=\"muted\">none found</span>";
  std::string out = "<span class=\"badge badge-sensitive\">Sensitive</span><ul class=\"findings\">";
  for (const Finding& f : m.findings) {
    out += "<li><code>" + html_escape(f.detector) + "</code>";
    if (!f.level.empty()) out += " <strong>" + html_escape(f.level) + "</strong>";
    out += " &times;" + std::to_string(f.count) + " <span class=\"muted\">in " +
           html_escape(f.where) + ", " + std::string(to_string(f.confidence)) +
           " confidence</span>";
    if (!f.excerpt.empty()) {
      out += "<br><q class=\"excerpt\">" + html_escape(f.excerpt) + "</q>";
    }
    out += "</li>";
  }
  return out + "</ul>";
}

std::string trace_cell(const MisdirectedMessage& m) {
  std::string out = "<dl class=\"trace\">";
  if (!m.queue_id.empty()) {
    out += "<dt>Queue ID</dt><dd><code>" + html_escape(m.queue_id) + "</code></dd>";
  }
  if (!m.message_id.empty()) {
    out += "<dt>Message-ID</dt><dd><code>" + html_escape(m.message_id) + "</code></dd>";
  }
  out += "<dt>Found in</dt><dd><code>" + html_escape(m.origin) + "</code></dd></dl>";
  return out;
}

void message_row(std::string& out, const MisdirectedMessage& m) {
  const std::string time = rfc3339_utc(m.time);
  char score[16];
  std::snprintf(score, sizeof score, "%.2f", m.score);
  out += std::string("<tr") +
         (investigate_internal::is_sensitive(m) ? " class=\"sensitive\"" : "") + ">";
  out += "<td data-sort=\"" + time + "\"><time datetime=\"" + time + "\">" + time.substr(0, 10) +
         "<br>" + time.substr(11, 8) + "</time></td>";
  out += "<td><span class=\"address\">" + html_escape(m.sender) + "</span></td>";
  out += "<td><span class=\"address\">" + html_escape(m.recipient) + "</span></td>";
  out += "<td><span class=\"domain lookalike\">" + html_escape(m.domain) +
         "</span> <span class=\"muted\">for</span> <span class=\"domain\">" +
         html_escape(m.intended) + "</span><div class=\"explanation\">" + html_escape(m.kind) +
         (m.kind.empty() || m.explanation.empty() ? "" : ": ") + html_escape(m.explanation) +
         "</div></td>";
  out += "<td class=\"num\" data-sort=\"" + std::string(score) + "\">" + score + "</td>";
  out += "<td>" + findings_cell(m) + "</td>";
  out += "<td>" + trace_cell(m) + "</td></tr>\n";
}

void messages_section(std::string& out, const Investigation& investigation) {
  out +=
      "<section id=\"messages\" aria-labelledby=\"messages-heading\">\n"
      "<h2 id=\"messages-heading\">All misdirected messages</h2>\n"
      "<p class=\"section-note\">One row per lookalike recipient, oldest first. Rows marked "
      "<span class=\"badge badge-sensitive\">Sensitive</span> carried sensitive content; "
      "excerpts are redacted.</p>\n";
  // Shown by the script, which makes them work.
  out +=
      "<div class=\"table-controls\" id=\"message-controls\" hidden>\n"
      "<label>Filter <input type=\"search\" id=\"message-filter\" autocomplete=\"off\" "
      "placeholder=\"address, domain, message id\"></label>\n"
      "<label class=\"check\"><input type=\"checkbox\" id=\"sensitive-only\"> Only messages "
      "with sensitive content</label>\n<span id=\"message-count\" class=\"muted\" "
      "aria-live=\"polite\"></span>\n</div>\n";
  out +=
      "<div class=\"table-scroll\">\n<table id=\"message-table\" class=\"messages\">\n"
      "<thead><tr><th scope=\"col\" data-sort-type=\"text\">Time (UTC)</th>"
      "<th scope=\"col\" data-sort-type=\"text\">Sender</th>"
      "<th scope=\"col\" data-sort-type=\"text\">Recipient</th>"
      "<th scope=\"col\" data-sort-type=\"text\">Lookalike domain</th>"
      "<th scope=\"col\" data-sort-type=\"number\" class=\"num\">Score</th>"
      "<th scope=\"col\">Content</th><th scope=\"col\">Trace</th></tr></thead>\n<tbody>\n";
  for (const MisdirectedMessage& m : investigation.misdirected) message_row(out, m);
  out += "</tbody>\n</table>\n</div>\n</section>\n";
}

void data_and_script(std::string& out, const Investigation& investigation, const Timeline& timeline,
                     const std::string& nonce) {
  nlohmann::ordered_json data;
  data["timeline"] = timeline_json(timeline);
  data["investigation"] = to_json(investigation);
  out += "<script type=\"application/json\" id=\"report-data\">" +
         investigate_internal::script_safe_json(data) + "</script>\n";
  out += "<script nonce=\"" + nonce + "\">\n";
  out += investigate_internal::report_js();
  out += "</script>\n";
}

}  // namespace

std::string render_report_html(const Investigation& investigation) {
  const InvestigationSummary summary = investigate_internal::summarize(investigation);
  const Timeline timeline = investigate_internal::build_timeline(investigation.misdirected);
  const std::string nonce = make_nonce();
  std::string out;
  head(out, investigation, nonce);
  out += "<body>\n";
  masthead(out, investigation);
  out += "<main>\n";
  summary_section(out, investigation, summary);
  if (summary.messages > 0) {
    timeline_section(out, timeline);
    domains_section(out, summary);
    senders_section(out, summary);
    messages_section(out, investigation);
  }
  out +=
      "</main>\n<footer class=\"footer\">Produced by <code>sendguard investigate</code>. The "
      "same data is in <code>investigation.json</code> and <code>misdirected.csv</code> "
      "beside this file.</footer>\n";
  data_and_script(out, investigation, timeline, nonce);
  out += "</body>\n</html>\n";
  return out;
}

}  // namespace sendguard
