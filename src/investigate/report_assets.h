// The stylesheet and script of report.html (investigate module internal), kept as
// report.css and report.js beside this file and compiled in, so that the page needs no file
// at run time and the sources stay readable and checkable as CSS and JavaScript.
#pragma once

#include <string_view>

namespace sendguard::investigate_internal {

std::string_view report_css();  // report.css
std::string_view report_js();   // report.js

}  // namespace sendguard::investigate_internal
