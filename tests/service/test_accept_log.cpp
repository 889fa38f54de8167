// The accept log on real files: records come back in order across segments and restarts,
// encrypted on disk, cut-short records passed over and damaged ones named, one process at a
// time; and the store `sluice serve` uses with it: runs and endings logged but not yet in the
// store survive SIGKILL and are seen by `sluice runs`, a run that ends before it is written
// goes in as it ended, the run writer writes what is logged by itself, segments rotate and go.

#include "forked_child.hpp"
#include "run_store_files.hpp"

#include "credentials/store_key.hpp"
#include "service/accept_log.hpp"
#include "service/logged_run_store.hpp"
#include "service/run_writer.hpp"

#include <sluice/credentials.hpp>

#include <doctest/doctest.h>

#include <csignal>
#include <fstream>
#include <iterator>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace sluice;
using namespace sluice::service;
using sluice::credentials::StoreKey;
using sluice::service::test::Child;
using sluice::service::test::fork_child;
using sluice::service::test::lines_until_killed;
using sluice::service::test::write_line;
namespace fs = std::filesystem;

namespace {

std::string file_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

std::vector<fs::path> segments(const fs::path& folder) {
  std::vector<fs::path> found;
  for (const auto& entry : fs::directory_iterator(folder))
    if (entry.path().extension() == ".log")
      found.push_back(entry.path());
  std::sort(found.begin(), found.end());
  return found;
}

std::unique_ptr<AcceptLog> open_log(const fs::path& folder, const StoreKey& key) {
  auto log = AcceptLog::open(folder, key, std::chrono::milliseconds(0));
  REQUIRE(log);
  return log;
}

NewRun api_run(const std::string& pipeline, Value inputs = Value(Object{})) {
  NewRun run;
  run.pipeline = pipeline;
  run.pipeline_hash = "hash-of-" + pipeline;
  run.trigger = "webhook /hooks/" + pipeline;
  run.inputs = std::move(inputs);
  return run;
}

} // namespace

TEST_CASE("records come back in order across segments and reopens, never as plaintext") {
  test_support::TempDir dir;
  const fs::path folder = dir / "runs.db.accepts";
  const StoreKey key = StoreKey::random();
  {
    auto log = open_log(folder, key);
    CHECK(log->found_records().empty()); // nothing was there when it was opened
    log->append("first: Design review with ada@example.com");
    log->append("second");
    log->rotate();
    log->append(std::string(100000, 'x'));
    log->append(""); // an empty record is a record
    // The retired segment's records (here: the one rotate() retired).
    CHECK(log->found_records() ==
          std::vector<std::string>{"first: Design review with ada@example.com", "second"});
  }
  // Only the lock and the two segments; both hold records, so both stay.
  CHECK(segments(folder).size() == 2);
  for (const fs::path& segment : segments(folder)) {
    CHECK((fs::status(segment).permissions() & (fs::perms::group_all | fs::perms::others_all)) ==
          fs::perms::none);
    CHECK(file_text(segment).find("Design review") == std::string::npos);
    CHECK(file_text(segment).find("second") == std::string::npos);
  }
  auto log = open_log(folder, key);
  const std::vector<std::string> records = log->found_records();
  REQUIRE(records.size() == 4);
  CHECK(records[0] == "first: Design review with ada@example.com");
  CHECK(records[1] == "second");
  CHECK(records[2] == std::string(100000, 'x'));
  CHECK(records[3].empty());
  // The segments found are retired; appends go to a new one.
  log->append("third");
  log->forget_retired();
  CHECK(segments(folder).size() == 1);
  log.reset();
  log = open_log(folder, key);
  CHECK(log->found_records() == std::vector<std::string>{"third"});
  log->forget_retired();
  log.reset(); // its own segment holds nothing: it goes too
  CHECK(segments(folder).empty());
}

TEST_CASE("a record cut short at the end is passed over; a damaged one in the middle is named") {
  test_support::TempDir dir;
  const fs::path folder = dir / "runs.db.accepts";
  const StoreKey key = StoreKey::random();
  {
    auto log = open_log(folder, key);
    log->append("one");
    log->append("two");
    log->append("three");
  }
  const fs::path segment = segments(folder).at(0);
  const std::string whole = file_text(segment);

  // A power cut in the middle of the last append: every cut leaves the whole records before.
  for (std::size_t cut : {std::size_t{1}, std::size_t{5}, std::size_t{20}, std::size_t{30}}) {
    CAPTURE(cut);
    write_file(segment, whole.substr(0, whole.size() - cut));
    CHECK(open_log(folder, key)->found_records() == std::vector<std::string>{"one", "two"});
  }
  // The last record's bytes written, some of them wrong (never answered): passed over too.
  std::string torn = whole;
  torn[torn.size() - 3] ^= 0x20;
  write_file(segment, torn);
  CHECK(open_log(folder, key)->found_records() == std::vector<std::string>{"one", "two"});

  // A byte changed in the first record: the records after it cannot be trusted either.
  std::string damaged = whole;
  damaged[48 + 4 + 12] ^= 0x01; // the header, the first record's length and nonce
  write_file(segment, damaged);
  auto log = open_log(folder, key);
  try {
    (void)log->found_records();
    FAIL("read a damaged record");
  } catch (const CredentialError& e) {
    const std::string message = e.what();
    CAPTURE(message);
    CHECK(message.find(segment.string()) != std::string::npos);
    CHECK(message.find("is damaged") != std::string::npos);
    CHECK(message.find("Move it out of the way") != std::string::npos);
  }
}

TEST_CASE("a segment written under another key is named as such") {
  test_support::TempDir dir;
  const fs::path folder = dir / "runs.db.accepts";
  open_log(folder, StoreKey::random())->append("one");
  auto log = open_log(folder, StoreKey::random());
  try {
    (void)log->found_records();
    FAIL("read a segment under another key");
  } catch (const CredentialError& e) {
    CHECK(std::string(e.what()).find("was written under another key than the run store's") !=
          std::string::npos);
  }
}

TEST_CASE("one process at a time holds the log") {
  test_support::TempDir dir;
  const fs::path folder = dir / "runs.db.accepts";
  const StoreKey key = StoreKey::random();
  auto held = open_log(folder, key);
  CHECK_FALSE(AcceptLog::open(folder, key, std::chrono::milliseconds(0)));
  const auto before = std::chrono::steady_clock::now();
  CHECK_FALSE(AcceptLog::open(folder, key, std::chrono::milliseconds(100)));
  CHECK(std::chrono::steady_clock::now() - before >= std::chrono::milliseconds(100));
  held.reset();
  CHECK(AcceptLog::open(folder, key, std::chrono::milliseconds(0)));
}

TEST_CASE("a run's record holds all it was accepted with") {
  NewRun run = api_run("standup", Object{{"topic", "Design review"}, {"n", 3}});
  run.id = new_run_id();
  run.status = StoredRunStatus::skipped;
  run.message = "skipped: full";
  run.rerun_of = "earlier";
  run.accepted_at = SysMillis(std::chrono::milliseconds(1796000000123));
  const NewRun back = run_from_accept_record(accept_record(run));
  CHECK(back.id == run.id);
  CHECK(back.pipeline == "standup");
  CHECK(back.pipeline_hash == "hash-of-standup");
  CHECK(back.trigger == "webhook /hooks/standup");
  CHECK(back.inputs == run.inputs);
  CHECK(back.status == StoredRunStatus::skipped);
  CHECK(back.message == "skipped: full");
  CHECK(back.rerun_of == "earlier");
  CHECK(back.accepted_at == run.accepted_at);
  const std::string record = accept_record(run);
  CHECK_THROWS(run_from_accept_record(record.substr(0, record.size() - 1)));
  CHECK_THROWS(run_from_accept_record(record + "x"));
  CHECK_THROWS(run_from_accept_record(std::string(1, '\x07') + record.substr(1)));
}

TEST_CASE("a run's ending record holds all it ended with") {
  RunEnding ending;
  ending.status = StoredRunStatus::failed;
  ending.outputs = Value(Object{{"partial", Array{1, 2}}});
  ending.nodes = Value(Array{Object{{"id", "say"}, {"status", "failed"}}});
  ending.error = "node 'say' failed: boom";
  ending.events = {R"({"kind":"run_started"})", R"({"kind":"node_failed","node":"say"})"};
  ending.ended_at = SysMillis(std::chrono::milliseconds(1796000000456));
  const auto [id, back] = ending_from_record(ending_record("run-1", ending));
  CHECK(id == "run-1");
  CHECK(back.status == StoredRunStatus::failed);
  CHECK(back.outputs == ending.outputs);
  CHECK(back.nodes == ending.nodes);
  CHECK(back.error == ending.error);
  CHECK(back.events == ending.events);
  CHECK(back.ended_at == ending.ended_at);
  const std::string record = ending_record("run-1", ending);
  CHECK_THROWS(ending_from_record(record.substr(0, record.size() - 1)));
  CHECK_THROWS(run_from_accept_record(record)); // an ending is not a run
  CHECK_THROWS(ending_from_record(accept_record([] {
    NewRun run = api_run("p");
    run.id = "run-2";
    return run;
  }())));
  RunEnding running; // not an ending a run can have
  running.status = StoredRunStatus::running;
  CHECK_THROWS(ending_from_record(ending_record("run-1", running)));
}

TEST_CASE("runs and endings logged but not yet in the store survive SIGKILL") {
  service::test::StoreFiles files;
  (void)files.open();
  const Child child = fork_child([&](int to_parent) {
    auto store = open_served_run_store(files.options(), /*log_runs=*/true);
    NewRun started = api_run("p");
    started.status = StoredRunStatus::running;
    const std::string written = store->accept(started).value();
    const std::string logged = store->accept(started).value();
    store->write_logged(); // both in the store, running
    RunEnding done;
    done.outputs = Value(Object{{"n", 1}});
    done.events = {R"({"kind":"run_finished"})"};
    // Endings alone are logged: one of a run in the store, one of a run only logged.
    const std::string only_logged = store->accept(started).value();
    if (!store->finish_and_accept({{written, done}, {only_logged, done}}, {}).empty())
      ::_exit(4);
    write_line(to_parent, written + " " + logged + " " + only_logged);
    for (;;)
      ::pause();
  });
  std::istringstream ids(lines_until_killed(child, 1).at(0));
  std::string written, logged, only_logged;
  ids >> written >> logged >> only_logged;
  REQUIRE_FALSE(only_logged.empty());

  auto store = open_served_run_store(files.options(), true);
  CHECK(store->find(written)->status == StoredRunStatus::succeeded);
  CHECK(store->find(written)->outputs == Value(Object{{"n", 1}}));
  CHECK(store->events(written) == std::vector<std::string>{R"({"kind":"run_finished"})"});
  CHECK(store->find(only_logged)->status == StoredRunStatus::succeeded);
  CHECK(store->find(logged)->status == StoredRunStatus::running); // it never ended
  const std::vector<StoredRun> interrupted = store->recover();
  REQUIRE(interrupted.size() == 1);
  CHECK(interrupted[0].id == logged);
}

TEST_CASE("RunWriter on a store that logs: nobody waits, and the store has it all soon after") {
  service::test::StoreFiles files;
  auto store = open_served_run_store(files.options(), true);
  std::vector<std::string> ids;
  {
    RunWriter writer(*store, 512, std::chrono::milliseconds(20));
    NewRun started = api_run("p");
    started.status = StoredRunStatus::running;
    for (int i = 0; i < 50; ++i)
      ids.push_back(writer.accept_now(started).value());
    bool written = false;
    RunEnding done;
    done.outputs = Value(Object{{"ok", true}});
    writer.finish_later(ids[0], done, [&] { written = true; });
    CHECK(written); // logged: the callback ran before finish_later returned
    // The writer writes what was logged within its delay, without any read asking for it.
    auto inspecting = files.open(); // the log is held: reads the store alone
    for (int i = 0; i < 200 && !inspecting->find(ids.back()); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    REQUIRE(inspecting->find(ids.back()));
    for (int i = 0; i < 200 && inspecting->find(ids[0])->status != StoredRunStatus::succeeded; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    CHECK(inspecting->find(ids[0])->status == StoredRunStatus::succeeded);
  }
  RunQuery all;
  all.limit = 100;
  CHECK(store->list(all).runs.size() == 50);
}

TEST_CASE("runs logged but not yet in the store survive SIGKILL, and `sluice runs` sees them") {
  service::test::StoreFiles files;
  (void)files.open(); // created and keyed before the child starts
  const Child child = fork_child([&](int to_parent) {
    auto store = open_served_run_store(files.options(), /*log_runs=*/true);
    if (!store->logs_runs())
      ::_exit(4);
    for (int i = 0;; ++i) // never written into the store: nothing calls for it
      write_line(to_parent, store->accept(api_run("p", Object{{"n", i}})).value());
  });
  const std::vector<std::string> reported = lines_until_killed(child, 300);

  const fs::path folder = AcceptLog::folder_for(files.options().database);
  REQUIRE_FALSE(segments(folder).empty()); // what the child logged is still only there
  // `sluice runs` (no server holds the log): written into the store, once.
  {
    auto store = files.open();
    for (const std::string& id : reported)
      CHECK_MESSAGE(store->find(id), id);
    RunQuery all;
    all.limit = 100000;
    const std::size_t count = store->list(all).runs.size();
    CHECK(count >= reported.size());
    CHECK(store->queued().size() == count);
  }
  CHECK(segments(folder).empty());
  // Opened again, as a restarted server: nothing written twice.
  auto store = open_served_run_store(files.options(), true);
  RunQuery all;
  all.limit = 100000;
  CHECK(store->list(all).runs.size() >= reported.size());
  CHECK(store->queued().size() == store->list(all).runs.size());
}

TEST_CASE("while a server holds the log, `sluice runs` reads the store without it") {
  service::test::StoreFiles files;
  auto served = open_served_run_store(files.options(), true);
  const std::string id = served->accept(api_run("p")).value();
  auto inspecting = files.open(); // the log is held: it is left alone
  CHECK_FALSE(inspecting->find(id));
  CHECK(served->find(id)); // the server writes it into the store whenever it reads
  CHECK(inspecting->find(id));
}

TEST_CASE("a run that ends before it is written goes into the store as it ended") {
  service::test::StoreFiles files;
  auto store = open_served_run_store(files.options(), true);
  NewRun started = api_run("p");
  started.status = StoredRunStatus::running;
  const std::string id = store->accept(started).value();
  RunEnding done;
  done.outputs = Value(Object{{"message", "hello"}});
  done.events = {R"({"kind":"run_finished"})"};
  CHECK(store->finish_and_accept({{id, done}}, {}).empty());
  const auto run = store->find(id);
  REQUIRE(run);
  CHECK(run->status == StoredRunStatus::succeeded);
  CHECK(run->outputs == done.outputs);
  CHECK(run->started_at);
  CHECK(run->finished_at);
  CHECK(store->events(id) == done.events);
}

TEST_CASE("schedule fires are never logged: each is accepted once, in the store") {
  service::test::StoreFiles files;
  auto store = open_served_run_store(files.options(), true);
  NewRun fire = api_run("daily");
  fire.fire = ScheduleFire{"daily#0", SysSeconds(std::chrono::seconds(1796000000))};
  CHECK(store->accept(fire));
  CHECK_FALSE(store->accept(fire));
  // Synced accepts (--sync-accepts) never log either.
  store.reset();
  auto synced = open_served_run_store(files.options(), false);
  CHECK_FALSE(synced->logs_runs());
  const std::string id = synced->accept(api_run("p")).value();
  CHECK(segments(AcceptLog::folder_for(files.options().database)).size() == 1); // empty
  CHECK(files.open()->find(id)); // in the store, though the log is held
}

TEST_CASE("segments rotate as they grow, and go once their runs are in the store") {
  service::test::StoreFiles files;
  const fs::path folder = AcceptLog::folder_for(files.options().database);
  auto store = open_served_run_store(files.options(), true);
  std::vector<std::string> ids;
  const Value inputs(Object{{"text", std::string(20000, 'y')}});
  for (int i = 0; i < 200; ++i) { // 4 MB of records
    ids.push_back(store->accept(api_run("p", inputs)).value());
    if (i % 20 == 19)
      CHECK(store->finish_and_accept({}, {}).empty()); // what RunWriter does
    CHECK(segments(folder).size() <= 2);
  }
  for (const std::string& id : ids)
    CHECK(store->find(id));
  store.reset(); // all written: no segment is left
  CHECK(segments(folder).empty());
}
