// The run store suite, run on every store: real SQLCipher files (as `sluice runs` opens them,
// and as `sluice serve` does, with its accept log) and a real PostgreSQL server.
// A run is durable when accept() returns (also when the process is killed with SIGKILL right
// after), each schedule time is accepted once, runs left running by a dead server come back as
// interrupted. Then what is particular to each: nothing of an embedded store is readable
// without its key; on PostgreSQL, a running run belongs to the live process that holds its
// lease, schemas migrate once however many processes start at once, and a lost connection is
// tried again.

#include "forked_child.hpp"
#include "postgres_run_store_database.hpp"
#include "run_store_files.hpp"

#include "credentials/database.hpp"
#include "credentials/store_key.hpp"
#include "service/run_writer.hpp"

#include <sluice/credentials.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <fstream>
#include <functional>
#include <mutex>
#include <set>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace sluice;
using namespace sluice::service;
using SqlCipherRuns = sluice::service::test::StoreFiles;
using LoggedRuns = sluice::service::test::LoggedStoreFiles;
using sluice::service::test::Child;
using sluice::service::test::fork_child;
using sluice::service::test::lines_until_killed;
using sluice::service::test::read_line;
using sluice::service::test::write_line;
using PostgresRuns = sluice::service::test::PostgresDatabase;
TYPE_TO_STRING(SqlCipherRuns);
TYPE_TO_STRING(LoggedRuns);
TYPE_TO_STRING(PostgresRuns);
namespace fs = std::filesystem;

namespace {

NewRun api_run(const std::string& pipeline, Value inputs = Value(Object{})) {
  NewRun run;
  run.pipeline = pipeline;
  run.pipeline_hash = "hash-of-" + pipeline;
  run.trigger = "api";
  run.inputs = std::move(inputs);
  return run;
}

NewRun fire_of(const std::string& schedule, SysSeconds at) {
  NewRun run = api_run("daily");
  run.trigger = "schedule @daily";
  run.fire = ScheduleFire{schedule, at};
  return run;
}

SysSeconds at_hour(int hour) {
  return SysSeconds(std::chrono::sys_days(std::chrono::year(2027) / 5 / 1)) +
         std::chrono::hours(hour);
}

std::string bytes_of(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

} // namespace

TEST_CASE_TEMPLATE("an accepted run is on disk with what it was accepted with", Store,
                   SqlCipherRuns, LoggedRuns, PostgresRuns) {
  Store files;
  std::string id;
  {
    auto store = files.open();
    id = store->accept(api_run("standup", Object{{"topic", "Design review"}})).value();
  }
  auto store = files.open(); // another open of the file: what a restarted server sees
  const auto run = store->find(id);
  REQUIRE(run);
  CHECK(run->id == id);
  CHECK(run->pipeline == "standup");
  CHECK(run->pipeline_hash == "hash-of-standup");
  CHECK(run->trigger == "api");
  CHECK(run->inputs == Value(Object{{"topic", "Design review"}}));
  CHECK(run->status == StoredRunStatus::queued);
  CHECK_FALSE(run->started_at);
  CHECK_FALSE(run->finished_at);
  CHECK(store->queued().size() == 1);
  CHECK_FALSE(store->find("no-such-run"));
  if constexpr (!std::is_same_v<Store, PostgresRuns>)
    CHECK((fs::status(files.options().database).permissions() & fs::perms::others_all) ==
          fs::perms::none);
}

TEST_CASE_TEMPLATE(
    "accept_all writes runs in order in one go; a schedule time twice in it is one run", Store,
    SqlCipherRuns, LoggedRuns, PostgresRuns) {
  Store files;
  auto store = files.open();
  NewRun started = api_run("p");
  started.status = StoredRunStatus::running; // accepted and started in one write
  const std::vector<std::optional<std::string>> ids =
      store->accept_all({api_run("p", Object{{"n", 1}}), fire_of("daily", at_hour(9)), started,
                         fire_of("daily", at_hour(9))});
  REQUIRE(ids.size() == 4);
  REQUIRE(ids[0]);
  REQUIRE(ids[1]);
  REQUIRE(ids[2]);
  CHECK_FALSE(ids[3]); // the same fire time as ids[1]
  CHECK(store->find(*ids[0])->sequence < store->find(*ids[1])->sequence);
  CHECK(store->find(*ids[1])->sequence < store->find(*ids[2])->sequence);
  CHECK(store->find(*ids[0])->inputs["n"].as_int() == 1);
  CHECK(store->find(*ids[0])->status == StoredRunStatus::queued);
  const auto run = store->find(*ids[2]);
  CHECK(run->status == StoredRunStatus::running);
  CHECK(run->started_at);
  CHECK_FALSE(store->start(*ids[2])); // started already
  store->finish(*ids[2], RunEnding{});
  CHECK(store->find(*ids[2])->status == StoredRunStatus::succeeded);
}

TEST_CASE_TEMPLATE("finish_and_accept: endings and new runs in one write; endings of runs "
                   "that are not running are passed over",
                   Store, SqlCipherRuns, LoggedRuns, PostgresRuns) {
  Store files;
  auto store = files.open();
  NewRun started = api_run("p");
  started.status = StoredRunStatus::running;
  const std::string running = store->accept(started).value();
  const std::string queued = store->accept(api_run("p")).value();
  RunEnding done;
  done.outputs = Value(Object{{"message", "hello"}});
  done.events = {R"({"kind":"run_finished"})"};
  RunEnding unknown_status; // not an ending a run can have
  unknown_status.status = StoredRunStatus::running;
  const std::vector<std::optional<std::string>> ids = store->finish_and_accept(
      {{running, done}, {queued, done}, {"no-such-run", done}, {running, unknown_status}},
      {api_run("p", Object{{"n", 1}}), fire_of("daily", at_hour(9)), fire_of("daily", at_hour(9))});
  REQUIRE(ids.size() == 3);
  REQUIRE(ids[0]);
  REQUIRE(ids[1]);
  CHECK_FALSE(ids[2]); // the same fire time as ids[1]
  CHECK(store->find(*ids[0])->inputs["n"].as_int() == 1);
  const auto finished = store->find(running);
  CHECK(finished->status == StoredRunStatus::succeeded);
  CHECK(finished->outputs == done.outputs);
  CHECK(store->events(running) == done.events);
  CHECK(store->find(queued)->status == StoredRunStatus::queued); // not running: passed over
  CHECK(store->events(queued).empty());
  // Endings alone, and nothing at all.
  CHECK(store->finish_and_accept({{*ids[0], done}}, {}).empty());
  CHECK(store->find(*ids[0])->status == StoredRunStatus::queued);
  CHECK(store->finish_and_accept({}, {}).empty());
}

TEST_CASE_TEMPLATE("the batcher: runs accepted from many threads at once all land, once each",
                   Store, SqlCipherRuns, LoggedRuns, PostgresRuns) {
  Store files;
  auto store = files.open();
  RunWriter batcher(*store);
  std::vector<std::thread> threads;
  std::mutex mutex;
  std::set<std::string> ids;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        const std::optional<std::string> id =
            batcher.accept_now(api_run("p", Object{{"n", t * 100 + i}}));
        std::lock_guard lock(mutex);
        ids.insert(id.value());
      }
    });
  for (std::thread& thread : threads)
    thread.join();
  CHECK(ids.size() == 200);
  RunQuery all;
  all.limit = 1000;
  CHECK(store->list(all).runs.size() == 200);
  // A schedule time offered by two callers at once is accepted for one of them.
  std::optional<std::string> first, second;
  std::thread other([&] { first = batcher.accept_now(fire_of("daily", at_hour(10))); });
  second = batcher.accept_now(fire_of("daily", at_hour(10)));
  other.join();
  CHECK(first.has_value() != second.has_value());
}

TEST_CASE_TEMPLATE("ids are unique and sort like acceptance", Store, SqlCipherRuns, LoggedRuns,
                   PostgresRuns) {
  Store files;
  auto store = files.open();
  std::vector<std::string> ids;
  for (int i = 0; i < 50; ++i)
    ids.push_back(store->accept(api_run("p")).value());
  CHECK(std::set<std::string>(ids.begin(), ids.end()).size() == ids.size());
  // Same millisecond: the random part may order them either way, but never before an
  // earlier millisecond's.
  for (std::size_t i = 1; i < ids.size(); ++i)
    CHECK(ids[i].substr(0, 12) >= ids[i - 1].substr(0, 12));
}

TEST_CASE_TEMPLATE("a run starts once, finishes once, and keeps its ending", Store, SqlCipherRuns,
                   LoggedRuns, PostgresRuns) {
  Store files;
  auto store = files.open();
  const std::string id = store->accept(api_run("p")).value();
  CHECK(store->start(id));
  CHECK_FALSE(store->start(id));
  CHECK(store->find(id)->status == StoredRunStatus::running);
  CHECK(store->find(id)->started_at);

  RunEnding ending;
  ending.status = StoredRunStatus::failed;
  ending.outputs = Value();
  ending.nodes = Array{Object{{"id", "create"}, {"status", "failed"}}};
  ending.error = "node 'create' failed: no";
  store->finish(id, ending);
  const auto run = store->find(id);
  CHECK(run->status == StoredRunStatus::failed);
  CHECK(run->error == "node 'create' failed: no");
  CHECK(run->nodes == ending.nodes);
  CHECK(run->finished_at);
  CHECK_THROWS_AS(store->finish(id, ending), std::logic_error); // not running any more
  ending.status = StoredRunStatus::queued;
  CHECK_THROWS_AS(store->finish(id, ending), std::logic_error); // not an ending
  CHECK(store->queued().empty());
}

TEST_CASE_TEMPLATE("a run's events are kept with its ending, one per line, and go with it", Store,
                   SqlCipherRuns, LoggedRuns, PostgresRuns) {
  Store files;
  auto store = files.open();
  const std::string id = store->accept(api_run("p")).value();
  REQUIRE(store->start(id));
  CHECK(store->events(id).empty()); // nothing before the end
  RunEnding ending;
  // A newline inside a string is escaped in JSON text: one event stays one line.
  ending.events = {Value(Object{{"kind", "log"}, {"message", "two\nlines"}}).to_json(),
                   Value(Object{{"kind", "run_finished"}}).to_json()};
  store->finish(id, ending);
  CHECK(store->events(id) == ending.events);
  CHECK(Value::parse_json(store->events(id)[0])["message"].to_text() == "two\nlines");
  CHECK(store->events("unknown").empty());
  // Retention takes the events along with their run.
  const std::string newer = store->accept(api_run("p")).value();
  REQUIRE(store->start(newer));
  store->finish(newer, RunEnding{});
  CHECK(store->prune(std::size_t{1}, std::nullopt) == 1);
  CHECK(store->events(id).empty());
}

TEST_CASE_TEMPLATE("cancelling: a queued run at once, a running one by request", Store,
                   SqlCipherRuns, LoggedRuns, PostgresRuns) {
  Store files;
  auto store = files.open();
  const std::string waiting = store->accept(api_run("p")).value();
  const std::string going = store->accept(api_run("p")).value();
  REQUIRE(store->start(going));
  CHECK(store->cancel(waiting) == StoredRunStatus::cancelled);
  CHECK_FALSE(store->start(waiting)); // a cancelled run never starts
  CHECK(store->find(waiting)->error == "cancelled before it started");
  CHECK(store->cancel(going) == StoredRunStatus::running);
  CHECK(store->find(going)->cancel_requested);
  CHECK_FALSE(store->cancel("no-such-run"));
  RunEnding cancelled;
  cancelled.status = StoredRunStatus::cancelled;
  cancelled.error = "cancelled";
  store->finish(going, cancelled);
  CHECK(store->cancel(going) == StoredRunStatus::cancelled); // finished: nothing changes
}

TEST_CASE_TEMPLATE(
    "after a restart, runs left running are interrupted and queued ones still queued", Store,
    SqlCipherRuns, LoggedRuns, PostgresRuns) {
  Store files;
  std::string ran, waited, done;
  {
    auto store = files.open();
    ran = store->accept(api_run("p")).value();
    waited = store->accept(api_run("p")).value();
    done = store->accept(api_run("p")).value();
    REQUIRE(store->start(ran));
    REQUIRE(store->start(done));
    store->finish(done, RunEnding{});
    // The server dies here: `ran` never finishes.
  }
  auto store = files.open();
  const std::vector<StoredRun> interrupted = store->recover();
  REQUIRE(interrupted.size() == 1);
  CHECK(interrupted[0].id == ran);
  CHECK(interrupted[0].status == StoredRunStatus::interrupted);
  CHECK(store->find(ran)->status == StoredRunStatus::interrupted);
  CHECK(store->find(ran)->error.starts_with("interrupted: the server stopped while it ran"));
  CHECK(store->find(done)->status == StoredRunStatus::succeeded);
  const auto queued = store->queued();
  REQUIRE(queued.size() == 1);
  CHECK(queued[0].id == waited);
  CHECK(store->recover().empty()); // recovering twice changes nothing

  // on_restart: rerun accepts the run again, pointing back at it.
  NewRun again = api_run("p");
  again.rerun_of = ran;
  const std::string rerun = store->accept(again).value();
  CHECK(store->find(rerun)->rerun_of == ran);
}

TEST_CASE_TEMPLATE("a schedule time is accepted once, and the latest one is remembered", Store,
                   SqlCipherRuns, LoggedRuns, PostgresRuns) {
  Store files;
  auto store = files.open();
  CHECK_FALSE(store->last_fire("daily#0"));
  CHECK(store->accept(fire_of("daily#0", at_hour(9))));
  CHECK_FALSE(store->accept(fire_of("daily#0", at_hour(9)))); // the same time again
  CHECK(store->accept(fire_of("daily#1", at_hour(9))));       // another schedule
  CHECK(store->accept(fire_of("daily#0", at_hour(7))));       // a catch-up of an older time
  CHECK(store->last_fire("daily#0") == at_hour(9));
  CHECK(store->accept(fire_of("daily#0", at_hour(10))));
  CHECK(store->last_fire("daily#0") == at_hour(10));
  const auto run = store->list(RunQuery{}).runs.front();
  REQUIRE(run.fire);
  CHECK(run.fire->schedule == "daily#0");
  CHECK(run.fire->at == at_hour(10));

  // Also across a reopen: a restarted scheduler offering the same time gets nothing.
  store.reset();
  store = files.open();
  CHECK_FALSE(store->accept(fire_of("daily#0", at_hour(10))));
}

TEST_CASE_TEMPLATE("a skipped run is recorded, finished, and never queued", Store, SqlCipherRuns,
                   LoggedRuns, PostgresRuns) {
  Store files;
  auto store = files.open();
  NewRun skipped = fire_of("daily#0", at_hour(9));
  skipped.status = StoredRunStatus::skipped;
  skipped.message = "skipped: the previous run of this schedule was still going (overlap: skip)";
  const std::string id = store->accept(skipped).value();
  const auto run = store->find(id);
  CHECK(run->status == StoredRunStatus::skipped);
  CHECK(run->error == skipped.message);
  CHECK(run->finished_at);
  CHECK(store->queued().empty());
  CHECK_FALSE(store->start(id));
}

TEST_CASE_TEMPLATE("listing: newest first, by pipeline and status, a page at a time", Store,
                   SqlCipherRuns, LoggedRuns, PostgresRuns) {
  Store files;
  auto store = files.open();
  std::vector<std::string> a_runs;
  for (int i = 0; i < 5; ++i) {
    a_runs.push_back(store->accept(api_run("a")).value());
    store->accept(api_run("b"));
  }
  REQUIRE(store->start(a_runs[1]));

  RunQuery query;
  query.pipeline = "a";
  query.limit = 2;
  std::vector<std::string> seen;
  for (int page = 0; page < 5; ++page) {
    const RunPage result = store->list(query);
    for (const StoredRun& run : result.runs) {
      CHECK(run.pipeline == "a");
      seen.push_back(run.id);
    }
    if (!result.next_cursor)
      break;
    query.before = result.next_cursor;
  }
  CHECK(seen == std::vector<std::string>(a_runs.rbegin(), a_runs.rend()));

  RunQuery running;
  running.status = StoredRunStatus::running;
  const RunPage only = store->list(running);
  REQUIRE(only.runs.size() == 1);
  CHECK(only.runs[0].id == a_runs[1]);
  CHECK_FALSE(only.next_cursor);
  CHECK(store->list(RunQuery{}).runs.size() == 10);
}

TEST_CASE_TEMPLATE("retention removes old finished runs, never queued or running ones", Store,
                   SqlCipherRuns, LoggedRuns, PostgresRuns) {
  Store files;
  auto store = files.open();
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) {
    ids.push_back(store->accept(api_run("p")).value());
    if (i < 4) {
      REQUIRE(store->start(ids.back()));
      store->finish(ids.back(), RunEnding{});
    }
  }
  REQUIRE(store->start(ids[4])); // running
  // ids[5] stays queued.
  CHECK(store->prune(std::size_t{1}, std::nullopt) == 3); // the newest finished one stays
  CHECK_FALSE(store->find(ids[0]));
  CHECK(store->find(ids[3]));
  CHECK(store->find(ids[4]));
  CHECK(store->find(ids[5]));
  const auto future = SysMillis(std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())) +
                      std::chrono::hours(1);
  CHECK(store->prune(std::nullopt, future) == 1);
  CHECK(store->list(RunQuery{}).runs.size() == 2);
}

TEST_CASE("nothing of a run is readable without the key, and a wrong key is named") {
  SqlCipherRuns files;
  const std::string marker = "personal-data-7f3a91";
  {
    auto store = files.open();
    const std::string id = store->accept(api_run("p", Object{{"email", marker}})).value();
    REQUIRE(store->start(id));
    RunEnding ending;
    ending.outputs = Object{{"echo", marker}};
    store->finish(id, ending);
  }
  for (const auto& entry : fs::directory_iterator(files.dir / "data"))
    CHECK_MESSAGE(bytes_of(entry.path()).find(marker) == std::string::npos, entry.path());

  CredentialStoreOptions wrong = files.options();
  wrong.key_hex = Secret(std::string(64, 'a'));
  try {
    (void)open_run_store(wrong);
    FAIL("opened with a wrong key");
  } catch (const CredentialError& e) {
    const std::string message = e.what();
    CHECK(message.find("the key is wrong or the file is damaged") != std::string::npos);
    CHECK(message.find("SLUICE_RUNS_KEY") != std::string::npos);
    CHECK(message.find(std::string(64, 'a')) == std::string::npos);
  }
}

TEST_CASE("a store written by schema version 4 is upgraded with its runs, events and fires") {
  SqlCipherRuns files;
  const CredentialStoreOptions options = files.options();
  fs::create_directories(options.database.parent_path());
  const auto key = credentials::StoreKey::random();
  REQUIRE(credentials::create_key_file(options.key_file, key));
  {
    // The schema as version 4 left it (released files exist), with three runs in it.
    credentials::Database database(options.database, /*create=*/true);
    database.exec(key.pragma("key").reveal().c_str());
    database.exec(
        "CREATE TABLE runs (sequence INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,"
        " pipeline TEXT NOT NULL, pipeline_hash TEXT NOT NULL, trigger TEXT NOT NULL,"
        " schedule TEXT, fire_time INTEGER, inputs TEXT NOT NULL, status TEXT NOT NULL,"
        " outputs TEXT NOT NULL DEFAULT 'null', nodes TEXT NOT NULL DEFAULT '[]',"
        " error TEXT NOT NULL DEFAULT '', cancel_requested INTEGER NOT NULL DEFAULT 0,"
        " rerun_of TEXT NOT NULL DEFAULT '', accepted_at INTEGER NOT NULL,"
        " started_at INTEGER, finished_at INTEGER, UNIQUE (schedule, fire_time));"
        "CREATE INDEX runs_by_pipeline ON runs(pipeline, sequence);"
        "CREATE INDEX runs_by_status ON runs(status, sequence);"
        "CREATE TABLE schedule_marks (schedule TEXT PRIMARY KEY NOT NULL,"
        " last_fire INTEGER NOT NULL);"
        "CREATE TABLE api_tokens (name TEXT PRIMARY KEY NOT NULL, digest TEXT NOT NULL UNIQUE,"
        " created_at INTEGER NOT NULL);"
        "CREATE TABLE webhook_deliveries (id TEXT PRIMARY KEY NOT NULL,"
        " forget_after INTEGER NOT NULL);"
        "CREATE TABLE run_events (run_id TEXT PRIMARY KEY NOT NULL, events TEXT NOT NULL);"
        "INSERT INTO runs (sequence, id, pipeline, pipeline_hash, trigger, inputs, status,"
        " outputs, accepted_at, started_at, finished_at) VALUES"
        " (7, 'old-a', 'p', 'h', 'api', '{\"n\":1}', 'succeeded', '{\"m\":\"hi\"}', 1000, 1000,"
        " 1001);"
        "INSERT INTO runs (sequence, id, pipeline, pipeline_hash, trigger, schedule, fire_time,"
        " inputs, status, accepted_at) VALUES"
        " (9, 'old-b', 'daily', 'h', 'schedule @daily', 'daily', 1809331200000, '{}', 'queued',"
        " 2000);"
        "INSERT INTO runs (sequence, id, pipeline, pipeline_hash, trigger, inputs, status,"
        " accepted_at, started_at) VALUES (12, 'old-c', 'p', 'h', 'api', '{}', 'running', 3000,"
        " 3000);"
        "INSERT INTO run_events VALUES ('old-a', '{\"kind\":\"run_started\"}\n"
        "{\"kind\":\"run_finished\"}');"
        "PRAGMA user_version = 4;");
  }
  auto store = files.open();
  const auto a = store->find("old-a");
  REQUIRE(a);
  CHECK(a->sequence == 7);
  CHECK(a->status == StoredRunStatus::succeeded);
  CHECK(a->inputs["n"].as_int() == 1);
  CHECK(a->outputs == Value(Object{{"m", "hi"}}));
  CHECK(store->events("old-a") ==
        std::vector<std::string>{R"({"kind":"run_started"})", R"({"kind":"run_finished"})"});
  CHECK(store->find("old-b")->sequence == 9);
  CHECK(store->queued().size() == 1);
  // The fire accepted before the upgrade is still accepted once.
  NewRun again = fire_of("daily", SysSeconds(std::chrono::seconds(1809331200)));
  CHECK_FALSE(store->accept(again));
  // New runs come after the old ones; the running one comes back as interrupted.
  const std::string fresh = store->accept(api_run("p")).value();
  CHECK(store->find(fresh)->sequence > 12);
  const auto interrupted = store->recover();
  REQUIRE(interrupted.size() == 1);
  CHECK(interrupted[0].id == "old-c");
  const RunPage page = store->list(RunQuery{});
  REQUIRE(page.runs.size() == 4);
  CHECK(page.runs[0].id == fresh);
  CHECK(page.runs[3].id == "old-a");
  {
    // A server of version 4 still running on the file (its binary replaced under it) goes on
    // with its own statements: it accepts into `runs` and writes events to `run_events`.
    credentials::Database old_server(options.database, /*create=*/false);
    old_server.exec(key.pragma("key").reveal().c_str());
    old_server.exec("INSERT INTO runs (id, pipeline, pipeline_hash, trigger, inputs, status,"
                    " accepted_at) VALUES ('old-d', 'p', 'h', 'api', '{}', 'succeeded', 4000);"
                    "INSERT OR REPLACE INTO run_events (run_id, events) VALUES"
                    " ('old-d', '{\"kind\":\"run_finished\"}');");
  }
  CHECK(store->find("old-d")->sequence > store->find(fresh)->sequence);
  CHECK(store->events("old-d") == std::vector<std::string>{R"({"kind":"run_finished"})"});
}

TEST_CASE("prune never removes the newest run, so its sequence is never given again") {
  SqlCipherRuns files;
  auto store = files.open();
  NewRun run = api_run("p");
  run.status = StoredRunStatus::running;
  const std::string first = store->accept(run).value();
  store->finish(first, RunEnding{});
  const std::string second = store->accept(run).value();
  RunEnding with_events;
  with_events.events = {R"({"kind":"second"})"};
  store->finish(second, with_events);
  const std::int64_t newest = store->find(second)->sequence;
  const auto future = SysMillis(std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())) +
                      std::chrono::hours(1);
  CHECK(store->prune(std::nullopt, future) == 1); // `first`; `second` is the newest
  CHECK_FALSE(store->find(first));
  const std::string third = store->accept(run).value();
  CHECK(store->find(third)->sequence > newest);
  CHECK(store->events(third).empty());
  CHECK(store->events(second) == with_events.events);
}

TEST_CASE("a damaged page is found when it is read, and named as damage with what to do") {
  SqlCipherRuns files;
  {
    auto store = files.open();
    std::vector<NewRun> runs;
    for (int i = 0; i < 400; ++i)
      runs.push_back(api_run("p", Object{{"note", std::string(300, 'x')}, {"n", i}}));
    store->accept_all(runs);
  }
  const fs::path file = files.options().database;
  const auto size = fs::file_size(file);
  REQUIRE(size > 200 * 1024);
  {
    // One byte in each page of the second half: the newest runs' pages.
    std::fstream io(file, std::ios::in | std::ios::out | std::ios::binary);
    for (std::uintmax_t page = size / 1024 / 2; page < size / 1024; ++page) {
      io.seekg(static_cast<std::streamoff>(page * 1024 + 100));
      char c = 0;
      io.read(&c, 1);
      io.seekp(static_cast<std::streamoff>(page * 1024 + 100));
      c = static_cast<char>(c ^ 0x5a);
      io.write(&c, 1);
    }
  }
  // Opening does not read the whole history (it grows without bound); reading the damaged
  // pages says what happened and what to do.
  auto store = files.open();
  RunQuery all;
  all.limit = 10000;
  try {
    (void)store->list(all);
    FAIL("read damaged pages without an error");
  } catch (const std::exception& e) {
    const std::string message = e.what();
    CAPTURE(message);
    CHECK(message.find("the run store " + file.string() + " is damaged") != std::string::npos);
    CHECK(message.find("Restore it from a backup") != std::string::npos);
  }
}

TEST_CASE_TEMPLATE("every run accept() returned survives SIGKILL of the process that accepted it",
                   Store, SqlCipherRuns, LoggedRuns, PostgresRuns) {
  Store files;
  (void)files.open(); // created (and keyed) before the child starts
  const Child child = fork_child([&](int to_parent) {
    auto store = files.open();
    for (;;) // reported only once accept() returned: from here on the run must exist
      write_line(to_parent, store->accept(api_run("p")).value());
  });
  const std::vector<std::string> reported = lines_until_killed(child, 200);

  auto store = files.open();
  for (const std::string& id : reported)
    CHECK_MESSAGE(store->find(id), id);
  CHECK(store->queued().size() >= reported.size());
}

namespace {

// A child process that opens the store, accepts and starts a run, reports its id and then
// holds it (renewing its lease) until it is killed.
pid_t holder_of_a_run(const PostgresRuns& database, std::string& id) {
  const auto [child, from_child] = fork_child([&](int to_parent) {
    auto store = database.open();
    const std::string held = store->accept(api_run("p")).value();
    if (!store->start(held))
      ::_exit(4);
    write_line(to_parent, held);
    for (;;)
      ::pause();
  });
  id = read_line(from_child);
  ::close(from_child);
  return child;
}

} // namespace

TEST_CASE("PostgreSQL: a running run belongs to the live process that holds its lease") {
  PostgresRuns database;
  database.lease = std::chrono::milliseconds(1500);
  std::string id;
  const pid_t holder = holder_of_a_run(database, id);
  REQUIRE(id.size() > 10);
  auto store = database.open(); // another machine, restarting
  // Twice the lease: the holder renews it, so its run is not taken away.
  std::this_thread::sleep_for(std::chrono::milliseconds(3000));
  CHECK(store->recover().empty());
  CHECK(store->find(id)->status == StoredRunStatus::running);

  ::kill(holder, SIGKILL);
  ::waitpid(holder, nullptr, 0);
  CHECK(store->recover().empty()); // its lease has not run out yet
  std::this_thread::sleep_for(std::chrono::milliseconds(1700));
  const std::vector<StoredRun> interrupted = store->recover();
  REQUIRE(interrupted.size() == 1);
  CHECK(interrupted[0].id == id);
  CHECK(store->find(id)->status == StoredRunStatus::interrupted);
  // A process that lost its run cannot finish it any more.
  CHECK_THROWS_AS(store->finish(id, RunEnding{}), std::logic_error);
}

TEST_CASE("PostgreSQL: processes starting at once on a fresh database migrate it once") {
  PostgresRuns database;
  std::vector<std::thread> starting;
  std::atomic<int> opened{0};
  std::mutex mutex;
  std::vector<std::string> failures;
  for (int i = 0; i < 6; ++i)
    starting.emplace_back([&] {
      try {
        auto store = database.open();
        store->accept(api_run("p")).value();
        ++opened;
      } catch (const std::exception& e) {
        std::lock_guard lock(mutex);
        failures.emplace_back(e.what());
      }
    });
  for (std::thread& thread : starting)
    thread.join();
  CHECK(failures.empty());
  CHECK(opened == 6);
  RunQuery all;
  all.limit = 100;
  CHECK(database.open()->list(all).runs.size() == 6);
}

TEST_CASE("PostgreSQL: a store keeps working across a crash of the database server") {
  PostgresRuns database;
  PostgresStoreOptions options = database.options();
  // Crash recovery took over 13 s once on a loaded CI machine, past the default 15 s of
  // retries: this test is about waiting instead of failing, not about how long.
  options.pool.retry_for = std::chrono::seconds(90);
  auto store = open_postgres_run_store(options);
  const std::string before = store->accept(api_run("p")).value();
  auto& server = sluice::service::test::postgres_server();
  server.crash();
  // The server comes back a second later; the store's next calls wait for it (with backoff)
  // instead of failing.
  std::jthread restart([&] {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    server.start();
  });
  const std::string after = store->accept(api_run("p")).value();
  restart.join();
  CHECK(store->find(before)); // committed before the crash: still there
  CHECK(store->find(after)->status == StoredRunStatus::queued);
  RunQuery all;
  all.limit = 100;
  CHECK(store->list(all).runs.size() == 2); // the accept that waited was written once
}

TEST_CASE("PostgreSQL: a password never shows in a message") {
  CHECK(postgres::redact_url("postgresql://app:s3cr3t-pw@db.internal:5432/sluice") ==
        "postgresql://app:***@db.internal:5432/sluice");
  CHECK(postgres::redact_url("postgres://db/sluice?user=app&password=s3cr3t-pw&sslmode=require") ==
        "postgres://db/sluice?user=app&password=***&sslmode=require");
  CHECK(postgres::redact_url("host=db password='s3 cr3t' user=app") ==
        "host=db password=*** user=app");
  CHECK(postgres::redact_url("postgres://app@db/sluice") == "postgres://app@db/sluice");

  PostgresStoreOptions options;
  // Nothing listens on port 1; the password must not come back in the error.
  options.pool.conninfo = Secret(std::string("postgresql://app:s3cr3t-pw@127.0.0.1:1/sluice"));
  options.pool.retry_for = std::chrono::milliseconds(0);
  try {
    (void)open_postgres_run_store(options);
    FAIL("connected to port 1");
  } catch (const postgres::Error& e) {
    CHECK(e.kind() == postgres::Error::Kind::connection);
    CHECK(std::string(e.what()).find("s3cr3t") == std::string::npos);
    CHECK(std::string(e.what()).find("127.0.0.1") != std::string::npos);
  }
}

TEST_CASE("times are written as UTC ISO 8601 with milliseconds") {
  const auto at = [](std::int64_t ms) { return SysMillis(std::chrono::milliseconds(ms)); };
  CHECK(iso_ms(at(1796547600250)) == "2026-12-06T09:00:00.250Z");
  CHECK(iso_ms(at(1796547600000)) == "2026-12-06T09:00:00.000Z");
  CHECK(iso_ms(at(951868799999)) == "2000-02-29T23:59:59.999Z");
  CHECK(iso_ms(at(0)) == "1970-01-01T00:00:00.000Z");
  CHECK(iso_ms(at(-1)) == "1969-12-31T23:59:59.999Z");
  CHECK(iso_ms(at(253402300799999)) == "9999-12-31T23:59:59.999Z");
}
