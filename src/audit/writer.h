// The append API the gateways and the token call: entries are queued, committed in batches by
// one thread (group commit: one durable transaction, hence one fsync, per batch), and each
// caller is answered only after its batch is durable. A blocking append that finds the writer
// idle commits its own entry on its own thread instead (no hand-off to wake and wait for); the
// ones arriving meanwhile queue for the commit thread as before. Checkpoints are signed every N
// entries or T seconds, whichever comes first, always on the commit thread, so no caller pays
// for a signature (docs/audit-log.md "Writer").
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "audit/entry.h"
#include "audit/note.h"
#include "audit/storage.h"

namespace pqmcp::audit {

struct WriterOptions {
  std::string origin;                       // checkpoint origin and key name ("pqmcp.example/audit")
  std::vector<NoteSigner*> signers;         // not owned; empty: no checkpoints
  std::uint64_t checkpoint_every = 1000;    // N entries
  std::chrono::milliseconds checkpoint_interval{10000};  // T
  std::size_t max_batch = 8192;             // entries per transaction
  // Queued (append_async) entries wait up to this long for others to share their transaction:
  // fewer, larger commits when the caller does not wait for each one (libpqhsm's relaxed log).
  std::chrono::microseconds batch_delay{0};
};

class Writer {
 public:
  using Done = std::function<void(Result<std::uint64_t>)>;

  Writer(Storage& s, WriterOptions o);
  ~Writer();  // commits what is queued, then stops
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Blocks until the entry is durable; returns its index.
  Result<std::uint64_t> append(const Entry& e);
  // Canonical entry bytes as produced by Entry::canonical() (checked here).
  Result<std::uint64_t> append_leaf(std::string leaf);
  // Never blocks on I/O; done runs on the commit thread once the entry is durable (or failed).
  void append_async(std::string leaf, Done done);
  // The same with the entry's bytes made on the commit thread (make_leaf runs there, once, before
  // its batch is committed): for a caller whose own thread is the latency that counts. An error
  // from make_leaf fails only that entry (done gets it).
  using LeafMaker = std::function<Result<std::string>()>;
  void append_async(LeafMaker make_leaf, Done done);
  // Waits for everything queued so far, then signs a checkpoint of the current head if it is
  // newer than the last one. Returns the note (empty when nothing new or no signers).
  Result<std::string> checkpoint_now();
  // Last checkpoint written by this writer (empty before the first).
  std::string last_checkpoint() const;

 private:
  struct Item {
    std::string leaf;
    LeafMaker make;  // set: the leaf is made on the commit thread
    Done done;
  };
  void enqueue(Item it);
  void run();
  Result<std::string> sign_head();
  // Counts n committed entries; true when a checkpoint is due. Called with mu_ held.
  bool committed(std::uint64_t n);

  Storage& store_;
  WriterOptions opt_;
  mutable std::mutex mu_;
  std::condition_variable cv_, idle_cv_;
  std::deque<Item> queue_;
  bool stop_ = false, busy_ = false, checkpoint_due_ = false;
  std::uint64_t since_checkpoint_ = 0, checkpointed_size_ = 0;
  std::chrono::steady_clock::time_point last_checkpoint_time_;
  std::string last_note_;
  std::thread thread_;
};

}  // namespace pqmcp::audit
