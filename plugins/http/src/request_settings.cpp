// Reading `http.request` settings into a request: one pass that collects every problem, so a
// user fixes them all at once.

#include "request_settings.hpp"

#include <sluice/ascii.hpp>
#include <sluice/duration.hpp>
#include <sluice/encoding.hpp>
#include <sluice/error.hpp>

#include <algorithm>
#include <cctype>

namespace sluice::http_plugin {

namespace {

// A query or header value: strings as they are, numbers and booleans as JSON writes them.
bool scalar_text(const Value& value, std::string& out) {
  if (value.is_string()) {
    out = std::string(value.as_string());
    return true;
  }
  if (value.is_int() || value.is_double() || value.is_bool()) {
    out = value.to_json();
    return true;
  }
  return false;
}

// "2xx", 404, or "404": one rule.
bool parse_status_rule(const Value& value, StatusRule& rule) {
  if (value.is_int()) {
    const std::int64_t status = value.as_int();
    if (status < 100 || status > 599)
      return false;
    rule = {static_cast<int>(status), static_cast<int>(status)};
    return true;
  }
  if (!value.is_string())
    return false;
  const std::string_view text = value.as_string();
  if (text.size() == 3 && text[0] >= '1' && text[0] <= '5' &&
      (text.substr(1) == "xx" || text.substr(1) == "XX")) {
    const int hundreds = (text[0] - '0') * 100;
    rule = {hundreds, hundreds + 99};
    return true;
  }
  if (text.size() == 3 &&
      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return parse_status_rule(Value(std::int64_t{std::stoi(std::string(text))}), rule);
  return false;
}

// A path setting of `paginate`; false (with a problem) when it does not parse.
bool read_path(const Value& value, const std::string& name, Path& path,
               std::vector<std::string>& problems) {
  if (!value.is_string()) {
    problems.push_back("paginate." + name + ": must be a path such as data.next or meta.cursor");
    return false;
  }
  try {
    path = Path::parse(value.as_string());
    return true;
  } catch (const std::invalid_argument& e) {
    problems.push_back("paginate." + name + ": " + e.what());
    return false;
  }
}

void read_pagination(const Value& settings, Pagination& out, std::vector<std::string>& problems) {
  if (settings.is_null())
    return;
  if (!settings.is_object()) {
    problems.push_back("paginate: must be an object (link_header, next_url or cursor, and "
                       "max_pages)");
    return;
  }
  for (const auto& [key, value] : settings.as_object()) {
    static const char* const known[] = {"link_header",  "next_url", "cursor",
                                        "cursor_param", "items",    "max_pages"};
    if (std::find(std::begin(known), std::end(known), key) == std::end(known))
      problems.push_back("paginate." + printable(key) +
                         ": unknown (known: link_header, next_url, cursor, cursor_param, "
                         "items, max_pages)");
  }
  const Value& link = settings["link_header"];
  const Value& next_url = settings["next_url"];
  const Value& cursor = settings["cursor"];
  const bool by_link = link.is_bool() && link.as_bool();
  if (!link.is_null() && !link.is_bool())
    problems.push_back("paginate.link_header: must be true or false");
  if (by_link + !next_url.is_null() + !cursor.is_null() != 1) {
    problems.push_back("paginate: say how to find the next page with exactly one of "
                       "link_header: true, next_url: PATH or cursor: PATH");
  } else if (by_link) {
    out.style = PageStyle::link_header;
  } else if (!next_url.is_null()) {
    if (read_path(next_url, "next_url", out.next, problems))
      out.style = PageStyle::next_url;
  } else if (read_path(cursor, "cursor", out.next, problems)) {
    out.style = PageStyle::cursor;
    if (const Value& param = settings["cursor_param"];
        param.is_string() && !param.as_string().empty()) {
      out.cursor_param = std::string(param.as_string());
    } else if (!param.is_null()) {
      problems.push_back("paginate.cursor_param: must be a query parameter name");
    } else if (!out.next.empty() &&
               std::holds_alternative<std::string>(out.next.segments().back())) {
      out.cursor_param = std::get<std::string>(out.next.segments().back());
    } else {
      problems.push_back("paginate.cursor_param: name the query parameter that sends the "
                         "cursor back");
    }
  }
  if (!settings["cursor_param"].is_null() && out.style != PageStyle::cursor && cursor.is_null())
    problems.push_back("paginate.cursor_param: only used with cursor");
  if (const Value& items = settings["items"]; items.is_string() && items.as_string() == ".") {
    out.items = Path(); // each page is the list itself
  } else if (!items.is_null()) {
    Path path;
    if (read_path(items, "items", path, problems))
      out.items = std::move(path);
  }
  const Value& max_pages = settings["max_pages"];
  if (!max_pages.is_int())
    problems.push_back("paginate.max_pages: required, the most pages to fetch (1 to 10000)");
  else if (max_pages.as_int() < 1 || max_pages.as_int() > 10000)
    problems.push_back("paginate.max_pages: must be between 1 and 10000");
  else
    out.max_pages = static_cast<int>(max_pages.as_int());
}

} // namespace

bool idempotent_by_method(const std::string& method) noexcept {
  return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "PUT" ||
         method == "DELETE";
}

namespace {

// Reads what it can of `settings`, adding each problem as "setting.path: what is wrong".
RequestSettings read(const Value& settings, std::vector<std::string>& problems) {
  RequestSettings out;
  HttpRequest& request = out.request;

  request.method =
      ascii::upper(settings["method"].is_string() ? settings["method"].as_string() : "GET");
  static const char* const methods[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
  if (std::find(std::begin(methods), std::end(methods), request.method) == std::end(methods))
    problems.push_back("method: '" + printable(request.method) +
                       "' is not one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
  if (settings["url"].is_string())
    request.url = std::string(settings["url"].as_string());

  if (const Value& query = settings["query"]; query.is_object()) {
    for (const auto& [name, value] : query.as_object()) {
      std::string text;
      if (value.is_array()) { // repeated: ?tag=a&tag=b
        for (const Value& element : value.as_array()) {
          if (scalar_text(element, text))
            request.query.emplace_back(std::string(name), text);
          else
            problems.push_back("query." + std::string(name) + ": list elements must be scalars");
        }
      } else if (scalar_text(value, text)) {
        request.query.emplace_back(std::string(name), text);
      } else if (!value.is_null()) {
        problems.push_back("query." + std::string(name) +
                           ": must be a string, number, "
                           "boolean or a list of them");
      }
    }
  } else if (!query.is_null()) {
    problems.push_back("query: must be an object of names and values");
  }

  if (const Value& headers = settings["headers"]; headers.is_object()) {
    for (const auto& [name, value] : headers.as_object()) {
      std::string text;
      if (scalar_text(value, text))
        request.headers.push_back({std::string(name), text});
      else
        problems.push_back("headers." + std::string(name) + ": must be a string or a number");
    }
  } else if (!headers.is_null()) {
    problems.push_back("headers: must be an object of names and values");
  }

  const Value& json = settings["json"];
  const Value& form = settings["form"];
  const Value& text = settings["text"];
  const int bodies = !json.is_null() + !form.is_null() + !text.is_null();
  const auto has_header = [&](std::string_view name) {
    return std::any_of(request.headers.begin(), request.headers.end(),
                       [&](const HttpHeader& h) { return ascii::iequals(h.name, name); });
  };
  if (bodies > 1) {
    problems.push_back("json: json, form and text are three kinds of body; set one of them");
  } else if (!json.is_null()) {
    request.body = json.to_json();
    if (!has_header("Content-Type"))
      request.headers.push_back({"Content-Type", "application/json"});
  } else if (!form.is_null()) {
    std::vector<std::pair<std::string, std::string>> fields;
    if (form.is_object()) {
      for (const auto& [name, value] : form.as_object()) {
        std::string field;
        if (scalar_text(value, field))
          fields.emplace_back(std::string(name), field);
        else
          problems.push_back("form." + std::string(name) + ": must be a string or a number");
      }
    } else {
      problems.push_back("form: must be an object of names and values");
    }
    request.body = form_encode(fields);
    if (!has_header("Content-Type"))
      request.headers.push_back({"Content-Type", "application/x-www-form-urlencoded"});
  } else if (!text.is_null()) {
    request.body = std::string(text.as_string());
    if (!has_header("Content-Type"))
      request.headers.push_back({"Content-Type", "text/plain; charset=utf-8"});
  }
  if (!has_header("Accept"))
    request.headers.push_back({"Accept", "application/json, text/plain;q=0.9, */*;q=0.5"});

  if (const Value& timeout = settings["timeout"]; !timeout.is_null()) {
    const auto parsed = parse_duration(timeout);
    if (!parsed || parsed->count() == 0)
      problems.push_back("timeout: expected a duration such as 30s or 500ms");
    else
      request.timeout = *parsed;
  } else {
    request.timeout = std::chrono::seconds(30);
  }

  const Value& idempotent = settings["idempotent"];
  request.idempotent =
      idempotent.is_bool() ? idempotent.as_bool() : idempotent_by_method(request.method);

  const Value& response = settings["response"];
  const std::string_view format = response.is_string() ? response.as_string() : "auto";
  if (format == "json")
    out.response = ResponseFormat::json;
  else if (format == "text")
    out.response = ResponseFormat::text;
  else if (format != "auto")
    problems.push_back("response: '" + printable(format) + "' is not one of auto, json, text");

  const Value& expect = settings["expect_status"];
  const auto add_rule = [&](const Value& value) {
    StatusRule rule;
    if (parse_status_rule(value, rule))
      out.expect.push_back(rule);
    else
      problems.push_back("expect_status: '" + printable(value.to_json()) +
                         "' is neither a status (404) nor a class (2xx)");
  };
  if (expect.is_array()) {
    for (const Value& element : expect.as_array())
      add_rule(element);
  } else if (!expect.is_null()) {
    add_rule(expect);
  }
  if (out.expect.empty())
    out.expect.push_back({200, 299});

  if (const Value& max_bytes = settings["max_bytes"]; max_bytes.is_int()) {
    if (max_bytes.as_int() < 1)
      problems.push_back("max_bytes: must be at least 1");
    else
      out.max_bytes = static_cast<std::size_t>(max_bytes.as_int());
  }
  if (const Value& retries = settings["max_retries"]; retries.is_int()) {
    if (retries.as_int() < 0 || retries.as_int() > 20)
      problems.push_back("max_retries: must be between 0 and 20");
    else
      out.max_retries = static_cast<int>(retries.as_int());
  }

  if (const Value& redirects = settings["follow_redirects"]; redirects.is_int()) {
    if (redirects.as_int() < 0 || redirects.as_int() > 20)
      problems.push_back("follow_redirects: must be between 0 and 20");
    else
      out.follow_redirects = static_cast<int>(redirects.as_int());
  }
  if (const Value& connection = settings["connection"]; connection.is_string())
    out.connection = std::string(connection.as_string());
  if (const Value& ca_file = settings["ca_file"]; ca_file.is_string())
    request.ca_file = std::string(ca_file.as_string());
  request.max_response_bytes = out.max_bytes;
  read_pagination(settings["paginate"], out.paginate, problems);
  return out;
}

} // namespace

RequestSettings read_request_settings(const Value& settings) {
  std::vector<std::string> problems;
  RequestSettings out = read(settings, problems);
  if (!problems.empty()) {
    std::string message = "http.request: ";
    for (std::size_t i = 0; i < problems.size(); ++i)
      message += (i ? "; " : "") + problems[i];
    throw NodeError(ErrorCategory::invalid_input, message);
  }
  return out;
}

std::vector<SettingProblem> check_request_settings(const KnownSettings& known) {
  std::vector<std::string> found;
  read(known.literals, found);
  std::vector<SettingProblem> problems;
  for (const std::string& problem : found) {
    const std::size_t colon = problem.find(": ");
    SettingProblem split{problem.substr(0, colon), problem.substr(colon + 2)};
    // Templated settings are absent here; a problem can only be about a literal one.
    if (!known.is_templated(split.setting.substr(0, split.setting.find_first_of(".["))))
      problems.push_back(std::move(split));
  }
  return problems;
}

} // namespace sluice::http_plugin
