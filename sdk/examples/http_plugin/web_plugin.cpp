// An example plugin that calls a REST API: `web.get_json` GETs a URL through the engine's HTTP
// client and outputs the status and the parsed JSON body. One include gives a plugin HTTPS with
// certificate checks, keep-alive connections shared across runs, timeouts and cancellation.
#include <sluice/http.hpp>
#include <sluice/plugin.hpp>

static void register_types(sluice::Registrar& registrar) {
  sluice::NodeType get_json;
  get_json.spec.type = "web.get_json";
  get_json.spec.description = "GETs `url` and outputs the answer's status and JSON body.";
  get_json.spec.settings = {
      {"url",
       sluice::SettingType::string,
       "An http(s) URL (plain http to loopback only).",
       true,
       {}},
      {"timeout_ms", sluice::SettingType::integer, "How long the whole request may take.", false,
       10'000},
  };
  get_json.spec.outputs = {{"status", sluice::SettingType::integer, "The HTTP status."},
                           {"body", sluice::SettingType::any, "The JSON body, parsed."}};
  get_json.run_async = [](sluice::Context& ctx) -> boost::asio::awaitable<sluice::Value> {
    sluice::HttpRequest request;
    request.method = "GET";
    request.url = std::string(ctx.setting("url").as_string());
    request.headers = {{"Accept", "application/json"}};
    request.timeout = std::chrono::milliseconds(ctx.setting("timeout_ms").as_int());
    sluice::HttpResponse response;
    try {
      response = co_await ctx.http().send(std::move(request));
    } catch (const std::invalid_argument& e) { // a URL that can never work
      throw sluice::NodeError(sluice::ErrorCategory::invalid_input, e.what());
    } catch (const sluice::HttpError& e) { // the network: worth a retry when it can get better
      throw sluice::NodeError(e.can_get_better() ? sluice::ErrorCategory::transient
                                                 : sluice::ErrorCategory::permanent,
                              e.what());
    }
    if (response.status >= 400)
      throw sluice::NodeError(sluice::ErrorCategory::permanent,
                              "the server answered HTTP " + std::to_string(response.status));
    co_return sluice::Object{{"status", sluice::Value(std::int64_t{response.status})},
                             {"body", sluice::Value::parse_json(response.body)}};
  };
  registrar.add(std::move(get_json));
}

SLUICE_PLUGIN("web", "1.0.0", "Calls JSON APIs over HTTP(S) (the SDK's HTTP example).",
              register_types)
