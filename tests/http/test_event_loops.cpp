// Which pooled connection a request gets when the client is used from several event loops
// (the engine's workers each run one): its own loop's first, so that its reads and writes
// complete on its own thread; a new one while the origin is below its limit; another loop's
// rather than waiting, once the limit is reached. Against a scripted server on 127.0.0.1.

#include "http_test_support.hpp"

#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>

#include <doctest/doctest.h>

#include <future>
#include <thread>

using namespace sluice;
using namespace sluice::http;
using namespace sluice::http::test;

namespace {

// An event loop on a thread of its own, as each engine worker is.
class LoopThread {
public:
  LoopThread() : thread_([this] { io_.run(); }) {}
  ~LoopThread() {
    guard_.reset();
    thread_.join();
  }
  // Sends `request` from a coroutine on this loop and waits for the status; also reports the
  // thread the coroutine was on after the response.
  int send(Client& client, HttpRequest request, std::thread::id* resumed_on = nullptr) {
    std::promise<int> status;
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
          const HttpResponse response = co_await client.send(std::move(request));
          if (resumed_on)
            *resumed_on = std::this_thread::get_id();
          status.set_value(response.status);
        },
        asio::detached);
    return status.get_future().get();
  }
  std::thread::id id() const { return thread_.get_id(); }

private:
  asio::io_context io_{1};
  asio::executor_work_guard<asio::io_context::executor_type> guard_{io_.get_executor()};
  std::thread thread_;
};

} // namespace

TEST_CASE("a loop reuses its own idle connection, and opens one of its own before borrowing") {
  ScriptedServer server(answer_everything);
  LoopThread a;
  LoopThread b;
  Client client(ClientOptions{}); // destroyed first: its pooled sockets belong to a and b
  const HttpRequest get{.method = "GET", .url = server.url()};
  std::thread::id resumed;
  for (int round = 0; round < 3; ++round) {
    CHECK(a.send(client, get, &resumed) == 200);
    CHECK(resumed == a.id());
    CHECK(b.send(client, get, &resumed) == 200);
    CHECK(resumed == b.id());
  }
  // One connection per loop, each reused by its own loop ever after (not handed back and forth).
  CHECK(client.stats().connections_opened == 2);
  CHECK(client.stats().reused == 4);
  CHECK(server.connections() == 2);
}

TEST_CASE("at the origin's limit, a loop borrows another loop's idle connection") {
  ScriptedServer server(answer_everything);
  LoopThread a;
  LoopThread b;
  Client client(ClientOptions{.max_connections_per_origin = 1});
  const HttpRequest get{.method = "GET", .url = server.url()};
  std::thread::id resumed;
  CHECK(a.send(client, get) == 200);
  // b's coroutine uses a's connection (a's loop watches its socket) and still resumes on b.
  CHECK(b.send(client, get, &resumed) == 200);
  CHECK(resumed == b.id());
  CHECK(a.send(client, get) == 200);
  CHECK(client.stats().connections_opened == 1);
  CHECK(client.stats().reused == 2);
  CHECK(server.requests() == 3);
}
