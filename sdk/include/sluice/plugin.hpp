#pragma once
/// @file
/// Writing a plugin: one macro defines the entry point the host looks for.
///
/// ```
/// #include <sluice/plugin.hpp>
///
/// static void register_types(sluice::Registrar& registrar) {
///   sluice::NodeType hello;
///   hello.spec.type = "hello.greet";
///   ...
///   registrar.add(std::move(hello));
/// }
///
/// SLUICE_PLUGIN("hello", "1.0.0", "Greets people.", register_types)
/// ```
///
/// The host checks, before any C++ object crosses the boundary: the magic number, the size
/// of the descriptor, the SDK ABI (major equal, minor not newer than the host's) and the
/// build fingerprint (compiler, standard library ABI, Boost version), because node types
/// carry C++ objects (std::function, Value, Asio coroutines) that only match between
/// identical toolchains.

#include <sluice/export.hpp>
#include <sluice/node.hpp>

#include <boost/version.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>

/// SDK ABI version. Major changes break plugins; minor ones only add (a plugin built for
/// a newer minor is refused by an older host, which lacks what it may call).
/// 1.1: `Context::credentials()`, `Registrar::add_provider()`, provider.hpp.
/// 1.2: `Value::array_from()`.
/// 1.3: `Path::parse_segments()`, `PathSyntaxError`, encoding.hpp.
/// 1.4: `printable()` in encoding.hpp, `ErrorCategory::permanent`.
/// 1.5: `Registrar::add_settings_check()`, `SettingsCheck`, `KnownSettings`, `SettingProblem`.
/// 1.6: http.hpp (`Context::http()`, `ProviderContext::http()`), url.hpp, blocking.hpp
///      (`Context::blocking_executor()`, `ProviderContext::executor()`), `form_encode()`,
///      `markup_escape()`, `Registrar::add_side_effects_rule()`, `Registrar::declare_reach()`.
/// 1.7: `Context::earlier_attempt_started()`, `Registrar::declare_reconciles()`.
/// 1.8: `Value::object()`.
#define SLUICE_SDK_ABI_MAJOR 1
#define SLUICE_SDK_ABI_MINOR 8

/// "SLUICEPL" in ASCII: marks a Sluice plugin descriptor.
#define SLUICE_PLUGIN_MAGIC 0x4C50454349554C53ULL

#define SLUICE_DETAIL_STR2(x) #x
#define SLUICE_DETAIL_STR(x) SLUICE_DETAIL_STR2(x)

/// The compiler a plugin or host was built with, e.g. "GCC 12.2".
#if defined(__clang__)
#define SLUICE_BUILD_COMPILER                                                                      \
  "Clang " SLUICE_DETAIL_STR(__clang_major__) "." SLUICE_DETAIL_STR(__clang_minor__)
#elif defined(__GNUC__)
#define SLUICE_BUILD_COMPILER                                                                      \
  "GCC " SLUICE_DETAIL_STR(__GNUC__) "." SLUICE_DETAIL_STR(__GNUC_MINOR__)
#else
#define SLUICE_BUILD_COMPILER "unknown compiler"
#endif

/// The C++ standard library ABI, e.g. "libstdc++ (cxx11 ABI)".
#if defined(_LIBCPP_VERSION)
#define SLUICE_BUILD_STDLIB "libc++ " SLUICE_DETAIL_STR(_LIBCPP_ABI_VERSION)
#elif defined(_GLIBCXX_USE_CXX11_ABI) && _GLIBCXX_USE_CXX11_ABI
#define SLUICE_BUILD_STDLIB "libstdc++ (cxx11 ABI)"
#else
#define SLUICE_BUILD_STDLIB "libstdc++ (old ABI)"
#endif

/// The name of the entry point: versioned, so a future incompatible layout gets a new name.
#define SLUICE_PLUGIN_ENTRY sluice_plugin_entry_v1
#define SLUICE_PLUGIN_ENTRY_NAME "sluice_plugin_entry_v1"

extern "C" {

/// What a plugin's entry point returns. Plain C data: it is read before anything else is
/// trusted. Fields are only ever appended (the host checks `struct_size`).
struct SluicePluginDescriptor {
  std::uint64_t magic;         ///< SLUICE_PLUGIN_MAGIC
  std::uint32_t struct_size;   ///< sizeof(SluicePluginDescriptor) as the plugin saw it
  std::uint16_t abi_major;     ///< SLUICE_SDK_ABI_MAJOR
  std::uint16_t abi_minor;     ///< SLUICE_SDK_ABI_MINOR
  const char* compiler;        ///< SLUICE_BUILD_COMPILER
  const char* stdlib;          ///< SLUICE_BUILD_STDLIB
  std::uint32_t boost_version; ///< BOOST_VERSION, e.g. 108100
  const char* name;            ///< plugin name, e.g. "zoom"
  const char* version;         ///< plugin version, e.g. "1.2.0"
  const char* description;     ///< one line
  /// Registers the plugin's node types into `registrar` (a `sluice::Registrar*`). Returns 0
  /// on success; otherwise writes a message into `error` (at most `error_size` bytes,
  /// NUL-terminated) and returns non-zero. Never throws.
  int (*register_types)(void* registrar, char* error, std::size_t error_size);
  void* reserved[8]; ///< zero; room to grow without changing the size check's meaning
};

} // extern "C"

namespace sluice::detail {

/// Runs a plugin's registration function, turning exceptions into an error message: nothing
/// may be thrown across the C entry point.
template <void (*Register)(sluice::Registrar&)>
int register_plugin_types(void* registrar, char* error, std::size_t error_size) noexcept {
  const auto report = [&](const char* message) {
    if (error && error_size > 0) {
      std::strncpy(error, message, error_size - 1);
      error[error_size - 1] = '\0';
    }
  };
  try {
    Register(*static_cast<sluice::Registrar*>(registrar));
    return 0;
  } catch (const std::exception& e) {
    report(e.what());
  } catch (...) {
    report("unknown exception");
  }
  return 1;
}

} // namespace sluice::detail

/// Defines the plugin's entry point. `register_fn` is `void (sluice::Registrar&)`; it may
/// throw (the message is reported by the host and the plugin is not loaded).
#define SLUICE_PLUGIN(name, version, description, register_fn)                                     \
  extern "C" __attribute__((visibility("default"))) const SluicePluginDescriptor*                  \
  SLUICE_PLUGIN_ENTRY() {                                                                          \
    static const SluicePluginDescriptor descriptor = {                                             \
        SLUICE_PLUGIN_MAGIC,                                                                       \
        static_cast<std::uint32_t>(sizeof(SluicePluginDescriptor)),                                \
        SLUICE_SDK_ABI_MAJOR,                                                                      \
        SLUICE_SDK_ABI_MINOR,                                                                      \
        SLUICE_BUILD_COMPILER,                                                                     \
        SLUICE_BUILD_STDLIB,                                                                       \
        BOOST_VERSION,                                                                             \
        name,                                                                                      \
        version,                                                                                   \
        description,                                                                               \
        &::sluice::detail::register_plugin_types<register_fn>,                                     \
        {}};                                                                                       \
    return &descriptor;                                                                            \
  }
