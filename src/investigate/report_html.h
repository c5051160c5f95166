// report.html: the Investigation as one page for the security officer who has to explain an
// incident: a headline, a timeline chart, the known domains and the senders most affected and
// every misdirected message, with those that carried sensitive content marked.
//
// The page is one self-contained file: inline CSS and JavaScript, no fonts, images or scripts
// from anywhere, and a Content-Security-Policy that forbids loading any, so it opens offline
// and tells nobody that it was opened. Everything a person must read is static HTML; the
// script only draws the chart (from the data embedded as JSON in a
// <script type="application/json" id="report-data"> element: to_json(Investigation) and the
// per-period counts) and adds sorting and filtering to the message table.
// Every value is written escaped, and the embedded JSON cannot end its element, so an address
// or a message id crafted as markup shows as text. The CSP's nonce makes any script that
// escaping missed inert all the same.
//
// Pure function (it draws the nonce from std::random_device): thread-safe.
#pragma once

#include <string>

#include "investigate/investigation.h"

namespace sendguard {

std::string render_report_html(const Investigation& investigation);

}  // namespace sendguard
