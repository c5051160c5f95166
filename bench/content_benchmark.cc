// Detection throughput, beside ripgrep searching the same patterns over the same bytes.
//
// 1. Text: a deterministic corpus of prose with sensitive items sprinkled in (valid cards,
//    IBANs, NHS numbers, NINOs, SSNs, keys, passwords, markings, topic words) is scanned by
//    ContentScanner::scan_text (Hyperscan + validators + context) and by ripgrep given every
//    built-in pattern, context word list and topic term, each exactly as the detector means
//    it (not the cheaper stand-ins the scanner's database may look for); MB/s and the ratios
//    are printed.
// 2. Messages: a mixed corpus of generated messages (plain, HTML alternatives, base64 CSV and
//    text attachments, quoted-printable) goes through Guard::inspect (parse + scan) on one
//    core; messages/s are printed beside rg over the same files.
//
// Like with like:
//  - ripgrep runs twice per run: `--count-matches` finds every match, which is what the
//    scanner must do (it counts and validates each one); `--count` stops at the first match
//    of each line, a shortcut the scanner cannot take, and is printed for reference.
//  - Times are CPU time (the scanner's thread; ripgrep's process, from wait4), since on these
//    shared machines wall time mostly measures the wait for a core.
//  - The scanner's database is compiled once before timing, so ripgrep's start-up (compiling
//    the same patterns; measured each run as rg over an empty file) is subtracted from its
//    times.
// Medians of several runs: these machines are shared and noisy.
//
// usage: content_benchmark [--text-mb N] [--messages N] [--runs N] [--workdir DIR]
#include <fcntl.h>
#include <hs/hs.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "bench_options.h"
#include "bench_timing.h"
#include "content/content.h"
#include "content/patterns.h"
#include "content/topics.h"
#include "guard/guard.h"

namespace {

namespace fs = std::filesystem;

using sendguard::bench::median;
using sendguard::bench::thread_cpu_seconds;

// ---- deterministic corpus -------------------------------------------------------------

class Generator {
 public:
  explicit Generator(unsigned seed) : rng_(seed) {}

  int digit() { return static_cast<int>(rng_() % 10); }
  std::size_t pick(std::size_t n) { return rng_() % n; }

  std::string digits(int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += static_cast<char>('0' + digit());
    return s;
  }

  std::string sentence() {
    static const char* kWords[] = {
        "the",      "meeting",  "report",   "team",     "will",     "review",   "draft",
        "on",       "monday",   "please",   "send",     "comments", "before",   "we",
        "agreed",   "to",       "update",   "budget",   "for",      "next",     "quarter",
        "project",  "schedule", "and",      "with",     "office",   "training", "customer",
        "delivery", "plan",     "thanks",   "regards",  "minutes",  "attached", "summary",
        "changes",  "section",  "contract", "supplier", "invoice",  "approved", "policy",
        "a",        "of",       "is"};
    std::string s;
    int n = 8 + static_cast<int>(pick(10));
    for (int i = 0; i < n; ++i) {
      if (i) s += ' ';
      s += kWords[pick(std::size(kWords))];
    }
    s[0] = static_cast<char>(std::toupper(s[0]));
    return s + ".";
  }

  std::string luhn_card() {
    std::string s = "4" + digits(14);
    int sum = 0;
    for (int i = static_cast<int>(s.size()) - 1, k = 0; i >= 0; --i, ++k) {
      int d = s[i] - '0';
      if (k % 2 == 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
      sum += d;
    }
    s += static_cast<char>('0' + (10 - sum % 10) % 10);
    return s.substr(0, 4) + " " + s.substr(4, 4) + " " + s.substr(8, 4) + " " + s.substr(12, 4);
  }

  std::string nhs() {
    for (;;) {
      std::string s = "4" + digits(8);
      int sum = 0;
      for (int i = 0; i < 9; ++i) sum += (s[i] - '0') * (10 - i);
      int check = 11 - sum % 11;
      if (check == 10) continue;
      if (check == 11) check = 0;
      s += static_cast<char>('0' + check);
      return s.substr(0, 3) + " " + s.substr(3, 3) + " " + s.substr(6);
    }
  }

  std::string iban() {
    std::string bban = "NWBK" + digits(14);
    // mod-97 over BBAN + "GB00" with letters as numbers.
    std::string rearranged = bban + "GB00";
    int rem = 0;
    for (char c : rearranged) {
      std::string part = std::isdigit(static_cast<unsigned char>(c)) ? std::string(1, c)
                                                                     : std::to_string(c - 'A' + 10);
      for (char d : part) rem = (rem * 10 + (d - '0')) % 97;
    }
    int check = 98 - rem;
    char buf[3];
    std::snprintf(buf, sizeof buf, "%02d", check);
    return std::string("GB") + buf + bban;
  }

  std::string sensitive_line() {
    switch (pick(9)) {
      case 0:
        return "Card number " + luhn_card() + " expiry 09/27.";
      case 1:
        return "Patient NHS number " + nhs() + " seen in clinic.";
      case 2:
        return "Please pay to IBAN " + iban() + " by Friday.";
      case 3:
        return "National Insurance number AB " + digits(2) + " " + digits(2) + " " + digits(2) +
               " C.";
      case 4:
        return "SSN 2" + digits(2) + "-" + std::to_string(10 + pick(89)) + "-" +
               std::to_string(1000 + pick(8999)) + " on file.";
      case 5:
        return "OFFICIAL-SENSITIVE";
      case 6:
        return "password: Xk9#mP2q" + digits(3);
      case 7:
        return "Diagnosis: type 2 diabetes (E11.9), prescribed metformin 500mg.";
      default:
        return "Flight BA" + digits(3) + " on 12 March, booking reference QX7RT2.";
    }
  }

  std::string paragraph_text(std::size_t bytes) {
    std::string out;
    while (out.size() < bytes) {
      out += pick(40) == 0 ? sensitive_line() : sentence();
      out += '\n';
    }
    return out;
  }

 private:
  std::mt19937 rng_;
};

std::string make_message(Generator& g, int i) {
  std::ostringstream m;
  m << "From: sender" << i << "@example.org\r\nTo: partner@example.com\r\nSubject: Update " << i
    << "\r\nMessage-ID: <" << i << "@bench>\r\nMIME-Version: 1.0\r\n";
  std::string body = g.paragraph_text(2000 + g.pick(6000));
  switch (i % 3) {
    case 0:
      m << "Content-Type: text/plain; charset=utf-8\r\n\r\n" << body;
      break;
    case 1: {
      std::string html = "<html><body><p>" + body + "</p></body></html>";
      m << "Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\n"
        << "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        << body << "\r\n--b\r\n"
        << "Content-Type: text/html; charset=utf-8\r\n\r\n"
        << html << "\r\n--b--\r\n";
      break;
    }
    default: {
      static const char kAlphabet[] =
          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
      std::string csv = "name,reference\n" + g.paragraph_text(3000);
      std::string b64;
      for (std::size_t k = 0; k < csv.size(); k += 3) {
        unsigned v = static_cast<unsigned char>(csv[k]) << 16;
        if (k + 1 < csv.size()) v |= static_cast<unsigned char>(csv[k + 1]) << 8;
        if (k + 2 < csv.size()) v |= static_cast<unsigned char>(csv[k + 2]);
        b64 += kAlphabet[(v >> 18) & 63];
        b64 += kAlphabet[(v >> 12) & 63];
        b64 += k + 1 < csv.size() ? kAlphabet[(v >> 6) & 63] : '=';
        b64 += k + 2 < csv.size() ? kAlphabet[v & 63] : '=';
        if ((k / 3 + 1) % 19 == 0) b64 += "\r\n";
      }
      m << "Content-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\n"
        << "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        << body << "\r\n--m\r\n"
        << "Content-Type: text/csv; name=data.csv\r\nContent-Disposition: attachment; "
           "filename=data.csv\r\n"
        << "Content-Transfer-Encoding: base64\r\n\r\n"
        << b64 << "\r\n--m--\r\n";
    }
  }
  return m.str();
}

// ---- ripgrep ----------------------------------------------------------------------------

// Hyperscan flags as a group with inline flags that ripgrep understands. The group matters:
// rg joins the lines of a pattern file with `|`, and a bare `(?i)` would make every pattern
// after it case-insensitive too.
std::string as_rg_regex(const std::string& expression, unsigned flags) {
  std::string prefix;
  if (flags & HS_FLAG_CASELESS) prefix += "i";
  if (flags & HS_FLAG_DOTALL) prefix += "s";
  if (flags & HS_FLAG_MULTILINE) prefix += "m";
  return "(?" + prefix + ":" + expression + ")";
}

std::vector<std::string> all_patterns() {
  std::vector<std::string> out;
  for (const auto& p : sendguard::content::builtin_patterns())
    out.push_back(as_rg_regex(p.expression, p.flags));
  for (const auto& p : sendguard::content::context_patterns())
    out.push_back(as_rg_regex(p.expression, p.flags));
  for (const auto& t : sendguard::content::topic_terms())
    out.push_back(as_rg_regex(t.expression, t.flags));
  return out;
}

// Runs rg with every pattern over `paths` and returns its CPU time in seconds, or -1.
// `count` is --count-matches or --count.
double time_ripgrep(const fs::path& pattern_file, const std::vector<std::string>& paths,
                    const std::string& count) {
  // One thread, as the scanner runs on one core here; counts only, so output costs nothing.
  std::vector<std::string> args = {"rg", "--no-config",        count, "--no-filename", "-j1",
                                   "-f", pattern_file.string()};
  args.insert(args.end(), paths.begin(), paths.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  // posix_spawn, not fork: a fork marks every page of this process copy-on-write, and the
  // scanner's next run would pay for the page faults.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  int spawned = posix_spawnp(&pid, "rg", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) return -1;
  int status = 0;
  rusage usage{};
  if (wait4(pid, &status, 0, &usage) != pid) return -1;
  if (!WIFEXITED(status) || WEXITSTATUS(status) > 1) return -1;  // 1 = no match, fine
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec * 1e-6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// ripgrep's CPU times over `paths` (every match, first match per line) and over an empty file
// (its start-up), in seconds; -1 when rg could not run.
struct RipgrepRun {
  double matches = -1, lines = -1, startup = -1;
};
RipgrepRun time_ripgrep_runs(const fs::path& pattern_file, const fs::path& empty_file,
                             const std::vector<std::string>& paths) {
  RipgrepRun r;
  r.startup = time_ripgrep(pattern_file, {empty_file.string()}, "--count-matches");
  r.matches = time_ripgrep(pattern_file, paths, "--count-matches");
  r.lines = time_ripgrep(pattern_file, paths, "--count");
  if (r.startup < 0 || r.matches < 0 || r.lines < 0) return {};
  return r;
}

// Rates per run, with ripgrep's start-up (the median over all runs, which is steadier than
// any one run's) taken off its times; the ratio is taken run by run, so that both sides of it
// saw the same load.
struct Comparison {
  double sendguard = 0, rg_matches = 0, rg_lines = 0, ratio_matches = 0, ratio_lines = 0;
  double startup = 0;  // seconds
  bool have_rg = false;
};
Comparison compare(double amount, const std::vector<double>& sendguard_seconds,
                   const std::vector<RipgrepRun>& rg) {
  Comparison c;
  c.sendguard = amount / median(sendguard_seconds);
  c.have_rg = std::all_of(rg.begin(), rg.end(), [](const RipgrepRun& r) { return r.startup >= 0; });
  if (!c.have_rg) return c;
  std::vector<double> startups, matches, lines, ratio_matches, ratio_lines;
  for (const RipgrepRun& r : rg) startups.push_back(r.startup);
  c.startup = median(startups);
  for (std::size_t i = 0; i < rg.size(); ++i) {
    // A search faster than the start-up's noise would divide by nearly nothing.
    double m = amount / std::max(rg[i].matches - c.startup, 1e-3);
    double l = amount / std::max(rg[i].lines - c.startup, 1e-3);
    double s = amount / sendguard_seconds[i];
    matches.push_back(m);
    lines.push_back(l);
    ratio_matches.push_back(s / m);
    ratio_lines.push_back(s / l);
  }
  c.rg_matches = median(matches);
  c.rg_lines = median(lines);
  c.ratio_matches = median(ratio_matches);
  c.ratio_lines = median(ratio_lines);
  return c;
}

void print(const Comparison& c, const char* unit, const char* sendguard_what, const char* rg_what) {
  std::printf("  %-46s %9.1f %s\n", sendguard_what, c.sendguard, unit);
  if (!c.have_rg) {
    std::printf("  ripgrep could not run (install Debian package ripgrep)\n");
    return;
  }
  std::printf("  %-46s %9.1f %s   ratio sendguard / ripgrep %5.2fx\n",
              (std::string(rg_what) + " --count-matches (every match):").c_str(), c.rg_matches,
              unit, c.ratio_matches);
  std::printf("  %-46s %9.1f %s   ratio sendguard / ripgrep %5.2fx\n",
              (std::string(rg_what) + " --count (first match a line):").c_str(), c.rg_lines, unit,
              c.ratio_lines);
  std::printf("  (CPU time; medians of per-run figures; ripgrep's start-up, %.0f ms, taken off)\n",
              c.startup * 1e3);
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t text_mb = 32;
  int messages = 2000, runs = 5;
  fs::path workdir = fs::temp_directory_path() / "sendguard-content-benchmark";
  sendguard::bench::read_options(
      argc, argv,
      {{"--text-mb", &text_mb}, {"--messages", &messages}, {"--runs", &runs}, {"--workdir", &workdir}},
      "content_benchmark [--text-mb N] [--messages N] [--runs N] [--workdir DIR]");
  fs::create_directories(workdir / "messages");

  auto config = sendguard::default_config();
  if (!config) {
    std::cerr << config.error().message << '\n';
    return 2;
  }
  auto guard = sendguard::Guard::build(*config, {});
  auto scanner = sendguard::ContentScanner::build({});
  if (!guard || !scanner) {
    std::cerr << "cannot build the guard\n";
    return 2;
  }

  Generator g(20261124);
  std::string text = g.paragraph_text(text_mb << 20);
  fs::path text_file = workdir / "corpus.txt";
  std::ofstream(text_file, std::ios::binary) << text;
  fs::path pattern_file = workdir / "patterns.txt";
  {
    std::ofstream out(pattern_file);
    for (const auto& p : all_patterns()) out << p << '\n';
  }

  fs::path empty_file = workdir / "empty.txt";
  std::ofstream(empty_file, std::ios::binary).flush();

  std::vector<double> scan_seconds;
  std::vector<RipgrepRun> rg_runs;
  std::size_t findings = 0;
  for (int r = 0; r < runs; ++r) {
    std::vector<sendguard::Finding> out;
    double start = thread_cpu_seconds();
    (*scanner)->scan_text(text, "body", out);
    scan_seconds.push_back(thread_cpu_seconds() - start);
    findings = out.size();
    rg_runs.push_back(time_ripgrep_runs(pattern_file, empty_file, {text_file.string()}));
  }
  double mb = static_cast<double>(text.size()) / (1 << 20);
  std::printf(
      "text corpus: %.1f MB, %zu patterns (built-in, context words, topic terms), %zu findings\n",
      mb, all_patterns().size(), findings);
  print(compare(mb, scan_seconds, rg_runs), "MB/s",
        "sendguard scan_text (validation included):", "ripgrep -j1");

  std::vector<std::string> corpus, paths;
  std::size_t corpus_bytes = 0;
  for (int i = 0; i < messages; ++i) {
    corpus.push_back(make_message(g, i));
    corpus_bytes += corpus.back().size();
    fs::path p = workdir / "messages" / (std::to_string(i) + ".eml");
    std::ofstream(p, std::ios::binary) << corpus.back();
    paths.push_back(p.string());
  }
  std::vector<double> inspect_seconds;
  rg_runs.clear();
  for (int r = 0; r < runs; ++r) {
    double start = thread_cpu_seconds();
    for (const std::string& m : corpus) (void)(*guard)->inspect(m, {});
    inspect_seconds.push_back(thread_cpu_seconds() - start);
    rg_runs.push_back(
        time_ripgrep_runs(pattern_file, empty_file, {(workdir / "messages").string()}));
  }
  std::printf("mixed messages: %d (%.1f MB: plain, HTML alternative, base64 CSV attachment)\n",
              messages, static_cast<double>(corpus_bytes) / (1 << 20));
  print(compare(messages, inspect_seconds, rg_runs), "messages/s",
        "sendguard Guard::inspect (parse + scan):", "ripgrep -j1");
  fs::remove_all(workdir);
  return 0;
}
