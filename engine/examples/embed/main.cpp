// Embedding Sluice: register an in-process node type, load a pipeline, run it.
#include <sluice/engine.hpp>

#include <cctype>
#include <iostream>

int main(int argc, char** argv) {
  sluice::Engine engine; // core.* nodes, one worker per core

  sluice::NodeType shout; // a node type of the application's own, no plugin needed
  shout.spec.type = "app.shout";
  shout.spec.description = "Upper-cases `text`.";
  shout.spec.settings = {{"text", sluice::SettingType::string, "Text to shout.", true, {}}};
  shout.spec.outputs = {{"text", sluice::SettingType::string, "The loud text."}};
  shout.run_sync = [](sluice::Context& ctx) -> sluice::Value {
    std::string text(ctx.setting("text").as_string());
    for (char& c : text)
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return sluice::Object{{"text", text}};
  };
  engine.registrar().add(std::move(shout));

  const sluice::Pipeline pipeline = engine.load_string(R"(
version: 1
inputs: { who: { type: string, default: world } }
nodes:
  greet: { type: core.template, with: { template: "hello, {{ inputs.who }}" } }
  loud: { type: app.shout, with: { text: "{{ greet.text }}" } }
outputs: { message: "{{ loud.text }}" }
)"); // throws sluice::LoadError with file:line:col diagnostics

  sluice::RunOptions options;
  options.inputs = sluice::Object{{"who", argc > 1 ? argv[1] : "embedder"}};
  const sluice::RunResult result = engine.run(pipeline, options); // blocks
  std::cout << (result.ok() ? result.outputs["message"].to_text() : result.error) << '\n';
  return result.ok() ? 0 : 1;
}
