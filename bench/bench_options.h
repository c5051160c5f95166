// The "--name VALUE" options of the benchmark programs, read one way for all of them.
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <initializer_list>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <variant>

namespace sendguard::bench {

struct Option {
  std::string_view name;  // with its dashes: "--runs"
  std::variant<int*, std::size_t*, std::filesystem::path*> value;
};

// Stores each "--name VALUE" pair of the command line in its option. An unknown name, a name
// without a value, or a number that is not a whole number above zero prints `usage` and exits
// with status 2: a benchmark that ran with a mistyped option would print figures for the wrong
// thing, and one with no runs has no median.
inline void read_options(int argc, char** argv, std::initializer_list<Option> options,
                         std::string_view usage) {
  auto fail = [&](std::string_view what, std::string_view arg) {
    std::fprintf(stderr, "%.*s '%.*s'\nusage: %.*s\n", static_cast<int>(what.size()), what.data(),
                 static_cast<int>(arg.size()), arg.data(), static_cast<int>(usage.size()),
                 usage.data());
    std::exit(2);
  };
  for (int i = 1; i < argc; i += 2) {
    std::string_view name = argv[i];
    const Option* option = nullptr;
    for (const Option& o : options)
      if (o.name == name) option = &o;
    if (option == nullptr) fail("unknown option", name);
    if (i + 1 >= argc) fail("no value after", name);
    std::string_view text = argv[i + 1];
    auto parse = [&](auto* target) {
      if constexpr (std::is_same_v<decltype(target), std::filesystem::path*>) {
        *target = text;
      } else {
        auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), *target);
        if (error != std::errc() || end != text.data() + text.size() || !(*target > 0))
          fail("not a whole number above zero:", text);
      }
    };
    std::visit(parse, option->value);
  }
}

}  // namespace sendguard::bench
