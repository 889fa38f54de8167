// The plugin's process-wide threads: one I/O thread with its HTTP clients and a small pool
// for blocking store calls, started on first use and never torn down.

#include "runtime.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <map>
#include <thread>

namespace sluice::zoom {

namespace asio = boost::asio;

struct Runtime::Impl {
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  // Two threads: a refresh waiting on another process's lock must not hold up every read.
  asio::thread_pool blocking{2};
  std::map<std::pair<std::string, bool>, std::unique_ptr<http::Client>> clients;
  std::thread thread{[this] { io.run(); }};
};

Runtime::Runtime() : impl_(std::make_unique<Impl>()) {
}

Runtime& Runtime::instance() {
  static Runtime* runtime = new Runtime(); // leaked on purpose, see the header
  return *runtime;
}

asio::any_io_executor Runtime::io() const {
  return impl_->io.get_executor();
}

asio::any_io_executor Runtime::blocking() const {
  return impl_->blocking.get_executor();
}

http::Client& Runtime::client(const Endpoints& endpoints) {
  auto& slot = impl_->clients[{endpoints.ca_file, endpoints.allow_insecure_http}];
  if (!slot) {
    http::ClientOptions options;
    options.ca_file = endpoints.ca_file;
    options.allow_insecure_http = endpoints.allow_insecure_http;
    // A for_each with concurrency 32 should get 32 requests in flight; Zoom's limits are
    // per second, and 429s are paced by the API layer, not by starving connections.
    options.max_connections_per_origin = 32;
    slot = std::make_unique<http::Client>(impl_->io.get_executor(), options);
  }
  return *slot;
}

} // namespace sluice::zoom
