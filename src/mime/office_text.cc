// Office Open XML (DOCX, XLSX, PPTX) and OpenDocument text with libzip and pugixml.
//
// Only the parts a reader sees are read: the body, headers, footers, notes and comments of a
// document, every sheet (hidden ones too: they are delivered), every slide and its notes.
// Tree walks use pugixml's non-recursive traverse(), so deeply nested XML cannot exhaust the
// stack; pugixml does not expand DTD entities, so "billion laughs" has nothing to expand.
#include <zip.h>

#include <pugixml.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mime/extract.h"

namespace sendguard::mime_internal {
namespace {

// An open, read-only view of a ZIP in memory.
class ZipPackage {
 public:
  static std::unique_ptr<ZipPackage> open(std::string_view bytes) {
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
    if (source == nullptr) {
      zip_error_fini(&error);
      return nullptr;
    }
    zip_t* archive = zip_open_from_source(source, ZIP_RDONLY, &error);
    zip_error_fini(&error);
    if (archive == nullptr) {
      zip_source_free(source);  // only an opened archive takes the source over
      return nullptr;
    }
    return std::unique_ptr<ZipPackage>(new ZipPackage(archive));
  }
  ~ZipPackage() { zip_discard(archive_); }
  ZipPackage(const ZipPackage&) = delete;
  ZipPackage& operator=(const ZipPackage&) = delete;

  std::vector<std::string> names() const {
    std::vector<std::string> result;
    zip_int64_t count = zip_get_num_entries(archive_, 0);
    for (zip_int64_t i = 0; i < count; ++i) {
      const char* name = zip_get_name(archive_, static_cast<zip_uint64_t>(i), 0);
      if (name != nullptr) result.emplace_back(name);
    }
    return result;
  }

  enum class Read { kOk, kMissing, kEncrypted, kCorrupt, kOverBudget };

  // Reads one member, counting its decompressed bytes against the budget as they come, so a
  // member that lies about its size is stopped at the cap all the same.
  Read read(const std::string& name, Budget& budget, std::string& out) const {
    out.clear();
    zip_int64_t index = zip_name_locate(archive_, name.c_str(), 0);
    if (index < 0) return Read::kMissing;
    zip_stat_t stat;
    zip_stat_init(&stat);
    if (zip_stat_index(archive_, static_cast<zip_uint64_t>(index), 0, &stat) != 0) {
      return Read::kCorrupt;
    }
    if ((stat.valid & ZIP_STAT_ENCRYPTION_METHOD) && stat.encryption_method != ZIP_EM_NONE) {
      return Read::kEncrypted;
    }
    if ((stat.valid & ZIP_STAT_SIZE) && stat.size > budget.bytes_left()) {
      budget.take_bytes(budget.bytes_left() + 1);  // declared too large: stop before inflating
      return Read::kOverBudget;
    }
    zip_file_t* file = zip_fopen_index(archive_, static_cast<zip_uint64_t>(index), 0);
    if (file == nullptr) return Read::kCorrupt;
    char buffer[64 * 1024];
    Read result = Read::kOk;
    for (;;) {
      zip_int64_t got = zip_fread(file, buffer, sizeof buffer);
      if (got < 0) {
        result = Read::kCorrupt;
        break;
      }
      if (got == 0) break;
      if (!budget.take_bytes(static_cast<std::size_t>(got))) {
        result = Read::kOverBudget;
        break;
      }
      out.append(buffer, static_cast<std::size_t>(got));
    }
    zip_fclose(file);
    return result;
  }

 private:
  explicit ZipPackage(zip_t* archive) : archive_(archive) {}
  zip_t* archive_;
};

std::string_view local_name(const pugi::xml_node& node) {
  std::string_view name = node.name();
  std::size_t colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

void new_line(std::string& out) {
  while (!out.empty() && (out.back() == ' ' || out.back() == '\t')) out.pop_back();
  if (!out.empty() && out.back() != '\n') out += '\n';
}

// Text of a word-processing, presentation or OpenDocument part: paragraphs (and headings,
// list items, table rows) on lines of their own.
class TextWalker : public pugi::xml_tree_walker {
 public:
  // In OOXML only the text of <w:t>/<a:t> (and deleted-revision <w:delText>, which is still in
  // the file the recipient gets) is document text; other character data is layout numbers.
  explicit TextWalker(bool ooxml) : ooxml_(ooxml) {}

  bool for_each(pugi::xml_node& node) override {
    if (node.type() == pugi::node_pcdata || node.type() == pugi::node_cdata) {
      if (ooxml_) {
        std::string_view parent = local_name(node.parent());
        if (parent != "t" && parent != "delText") return true;
      }
      text_ += node.value();
      return true;
    }
    if (node.type() != pugi::node_element) return true;
    std::string_view name = local_name(node);
    if (name == "p" || name == "h" || name == "tr" || name == "br" || name == "cr" ||
        name == "line-break" || name == "list-item") {
      new_line(text_);
    } else if (name == "tab") {
      text_ += '\t';
    } else if (name == "s" && !ooxml_) {
      text_ += ' ';  // <text:s/>: a run of spaces in OpenDocument
    }
    return true;
  }

  std::string take() { return std::move(text_); }

 private:
  bool ooxml_;
  std::string text_;
};

// Concatenated <t> text below `node` (a shared string or an inline string), phonetic runs
// (<rPh>, furigana readings) left out.
std::string string_item_text(const pugi::xml_node& node) {
  std::string text;
  struct Walker : pugi::xml_tree_walker {
    std::string* out;
    bool for_each(pugi::xml_node& n) override {
      if (n.type() == pugi::node_pcdata && local_name(n.parent()) == "t" &&
          local_name(n.parent().parent()) != "rPh") {
        *out += n.value();
      }
      return true;
    }
  } walker;
  walker.out = &text;
  const_cast<pugi::xml_node&>(node).traverse(walker);
  return text;
}

pugi::xml_node child_named(const pugi::xml_node& node, std::string_view name) {
  for (pugi::xml_node child : node.children()) {
    if (local_name(child) == name) return child;
  }
  return {};
}

std::string sheet_text(const pugi::xml_document& sheet, const std::vector<std::string>& shared) {
  std::string text;
  pugi::xml_node data = child_named(child_named(sheet, "worksheet"), "sheetData");
  for (pugi::xml_node row : data.children()) {
    if (local_name(row) != "row") continue;
    new_line(text);
    bool first = true;
    for (pugi::xml_node cell : row.children()) {
      if (local_name(cell) != "c") continue;
      std::string_view type = cell.attribute("t").value();
      std::string value;
      if (type == "inlineStr") {
        value = string_item_text(child_named(cell, "is"));
      } else {
        value = child_named(cell, "v").text().get();
        if (type == "s") {
          // A shared-string index; out of range in a damaged file, then shown as it is.
          char* end = nullptr;
          unsigned long index = std::strtoul(value.c_str(), &end, 10);
          if (end != value.c_str() && *end == '\0' && index < shared.size()) value = shared[index];
        }
      }
      if (value.empty()) continue;
      if (!first) text += '\t';
      text += value;
      first = false;
    }
  }
  return text;
}

// Trailing number of a part name ("ppt/slides/slide12.xml" → 12), so slides sort as shown.
long part_number(const std::string& name) {
  std::size_t end = name.rfind('.');
  if (end == std::string::npos) end = name.size();
  std::size_t begin = end;
  while (begin > 0 && std::isdigit(static_cast<unsigned char>(name[begin - 1]))) --begin;
  if (begin == end || end - begin > 9) return 0;
  return std::stol(name.substr(begin, end - begin));
}

bool starts_with(const std::string& s, std::string_view prefix) {
  return std::string_view(s).substr(0, prefix.size()) == prefix;
}
bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && std::string_view(s).substr(s.size() - suffix.size()) == suffix;
}

// The parts to read, in reading order, with the prefix that selects them.
std::vector<std::string> select_parts(const std::vector<std::string>& names,
                                      std::initializer_list<std::string_view> prefixes) {
  std::vector<std::string> result;
  for (std::string_view prefix : prefixes) {
    std::vector<std::string> group;
    for (const std::string& name : names) {
      if (starts_with(name, prefix) && ends_with(name, ".xml") &&
          name.find('/', prefix.size()) == std::string::npos) {
        group.push_back(name);
      }
    }
    std::sort(group.begin(), group.end(), [](const std::string& a, const std::string& b) {
      long na = part_number(a), nb = part_number(b);
      return na != nb ? na < nb : a < b;
    });
    result.insert(result.end(), group.begin(), group.end());
  }
  return result;
}

}  // namespace

void extract_office(Sink& sink, std::string_view bytes, const FileType& type,
                    const std::string& where) {
  // "DOCX", "ODT", ...: the reason names the format the sender knows.
  std::string kind = "Office document";
  if (type.name != "ooxml" && type.name != "odf") {
    kind.clear();
    for (char c : type.name) kind += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }

  std::unique_ptr<ZipPackage> package = ZipPackage::open(bytes);
  if (!package) {
    sink.add_unscannable(where, "corrupt " + kind);
    return;
  }
  std::vector<std::string> names = package->names();
  const bool ooxml = type.kind == FileKind::kOoxml;
  std::vector<std::string> parts;
  if (type.name == "docx") {
    parts = select_parts(names, {"word/document", "word/header", "word/footer", "word/footnotes",
                                 "word/endnotes", "word/comments"});
  } else if (type.name == "xlsx") {
    parts = select_parts(names, {"xl/worksheets/sheet", "xl/comments"});
  } else if (type.name == "pptx") {
    parts = select_parts(names, {"ppt/slides/slide", "ppt/notesSlides/notesSlide",
                                 "ppt/comments/"});
  } else if (ooxml) {
    // Another OOXML flavour (Visio, ...): read whatever XML it has, as text runs.
    for (const std::string& name : names) {
      if (ends_with(name, ".xml") && name.find("_rels") == std::string::npos) parts.push_back(name);
    }
  } else {
    parts = {"content.xml", "styles.xml"};  // styles.xml holds page headers and footers
  }

  std::vector<std::string> shared_strings;
  std::string data;
  auto read_part = [&](const std::string& name) -> bool {
    switch (package->read(name, sink.budget(), data)) {
      case ZipPackage::Read::kOk:
        return true;
      case ZipPackage::Read::kMissing:
        return false;
      case ZipPackage::Read::kEncrypted:
        sink.add_unscannable(where, "password-protected " + kind);
        return false;
      case ZipPackage::Read::kCorrupt:
        sink.add_unscannable(where, "corrupt " + kind + " (" + name + ")");
        return false;
      case ZipPackage::Read::kOverBudget:
        sink.report_stop(where);
        return false;
    }
    return false;
  };
  const unsigned parse_options =
      ooxml ? (pugi::parse_default | pugi::parse_ws_pcdata) : pugi::parse_default;

  if (type.name == "xlsx" && read_part("xl/sharedStrings.xml")) {
    pugi::xml_document doc;
    if (!doc.load_buffer(data.data(), data.size(), parse_options)) {
      sink.add_unscannable(where, "corrupt XLSX (xl/sharedStrings.xml)");
    }
    for (pugi::xml_node item : child_named(doc, "sst").children()) {
      if (local_name(item) == "si") shared_strings.push_back(string_item_text(item));
    }
  }

  bool main_part_seen = false;
  std::string text;
  for (const std::string& name : parts) {
    if (sink.budget().stopped() || !sink.budget().check_time()) {
      sink.add_text(where, std::move(text));
      sink.report_stop(where);
      return;
    }
    if (text.size() > sink.budget().text_left()) break;
    if (!read_part(name)) continue;
    main_part_seen = true;
    pugi::xml_document doc;
    if (!doc.load_buffer(data.data(), data.size(), parse_options)) {
      sink.add_unscannable(where, "corrupt " + kind + " (" + name + ")");
      // pugixml keeps what it parsed before the error; that text is read all the same.
    }
    std::string part_text;
    if (type.name == "xlsx" && starts_with(name, "xl/worksheets/")) {
      part_text = sheet_text(doc, shared_strings);
    } else {
      TextWalker walker(ooxml);
      doc.traverse(walker);
      part_text = walker.take();
    }
    if (part_text.empty()) continue;
    new_line(text);
    text += part_text;
  }
  if (!main_part_seen && !sink.budget().stopped()) {
    sink.add_unscannable(where, "corrupt " + kind + " (no document content found)");
  }
  sink.add_text(where, std::move(text));
}

}  // namespace sendguard::mime_internal
