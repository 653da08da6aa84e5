#include "audit/writer.h"

#include <future>

namespace pqmcp::audit {

Writer::Writer(Storage& s, WriterOptions o) : store_(s), opt_(std::move(o)) {
  last_checkpoint_time_ = std::chrono::steady_clock::now();
  if (auto cps = store_.checkpoints(); cps && !cps->empty()) {
    checkpointed_size_ = cps->back().size;
    last_note_ = cps->back().note;
  }
  thread_ = std::thread([this] { run(); });
}

Writer::~Writer() {
  {
    std::lock_guard l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

Result<std::uint64_t> Writer::append(const Entry& e) {
  auto c = e.canonical();
  if (!c) return c.error();
  return append_leaf(std::move(c.value()));
}

Result<std::uint64_t> Writer::append_leaf(std::string leaf) {
  {
    std::unique_lock l(mu_);
    if (!busy_ && queue_.empty() && !stop_) {
      // Leader path: nothing is queued or being committed, so this entry is the whole batch.
      // Committing it here saves two thread wake-ups per entry (the token's log appends one
      // entry per private-key operation, on the operation's thread).
      busy_ = true;
      l.unlock();
      std::vector<std::string> one;
      one.push_back(std::move(leaf));
      auto r = store_.append(one);
      l.lock();
      if (r && committed(1)) {
        // Hand busy_ over to the commit thread, which signs the head at exactly this size
        // (appends queue meanwhile), so checkpoints fall every N entries as on the batch path.
        checkpoint_due_ = true;
        l.unlock();
        cv_.notify_one();
        idle_cv_.notify_all();  // where the commit thread waits if an append_async woke it
      } else {
        busy_ = false;
        l.unlock();
        idle_cv_.notify_all();  // the commit thread may be waiting for this append to finish
      }
      if (!r) return r.error();
      return r->first;
    }
  }
  std::promise<Result<std::uint64_t>> p;
  auto f = p.get_future();
  append_async(std::move(leaf), [&p](Result<std::uint64_t> r) { p.set_value(std::move(r)); });
  return f.get();
}

void Writer::append_async(std::string leaf, Done done) { enqueue({std::move(leaf), nullptr, std::move(done)}); }

void Writer::append_async(LeafMaker make_leaf, Done done) { enqueue({{}, std::move(make_leaf), std::move(done)}); }

void Writer::enqueue(Item it) {
  bool wake;
  {
    std::lock_guard l(mu_);
    // The commit thread waits for a non-empty queue (or, in a batch delay, a full batch), so
    // only those transitions need a wake-up; the others would cost the caller a syscall each.
    wake = queue_.empty() || queue_.size() + 1 >= opt_.max_batch;
    queue_.push_back(std::move(it));
  }
  if (wake) cv_.notify_one();
}

// The commit loop. While one batch is being made durable, later callers queue up and form the
// next batch, so the batch size adapts to the load with no added latency (classic group commit).
void Writer::run() {
  std::unique_lock l(mu_);
  for (;;) {
    const auto deadline = last_checkpoint_time_ + opt_.checkpoint_interval;
    cv_.wait_until(l, deadline, [&] { return stop_ || !queue_.empty() || checkpoint_due_; });
    if (checkpoint_due_) {  // a leader append left busy_ set for us
      checkpoint_due_ = false;
      l.unlock();
      (void)sign_head();
      l.lock();
      busy_ = false;
      idle_cv_.notify_all();
      continue;
    }
    if (busy_) {  // a leader append or checkpoint_now() is running on its caller's thread
      idle_cv_.wait(l, [&] { return !busy_ || checkpoint_due_; });
      continue;
    }
    if (!queue_.empty() && opt_.batch_delay.count() > 0 && !stop_ && queue_.size() < opt_.max_batch)
      cv_.wait_for(l, opt_.batch_delay, [&] { return stop_ || queue_.size() >= opt_.max_batch; });
    const bool timer = std::chrono::steady_clock::now() >= deadline;
    if (queue_.empty()) {
      if (stop_) break;
      if (timer) {
        busy_ = true;
        l.unlock();
        (void)sign_head();
        l.lock();
        busy_ = false;
        idle_cv_.notify_all();
      }
      continue;
    }
    std::vector<Item> batch;
    const std::size_t n = std::min(queue_.size(), opt_.max_batch);
    batch.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    busy_ = true;
    l.unlock();
    std::vector<std::string> leaves;
    std::vector<Item*> in_batch;  // the items whose leaf goes into this transaction, in order
    leaves.reserve(n);
    in_batch.reserve(n);
    for (auto& it : batch) {
      if (it.make) {
        Result<std::string> leaf = make_error(Error::Kind::kIo, "the entry could not be made (out of memory)");
        try {
          leaf = it.make();
        } catch (...) {  // bad_alloc: this entry fails, the commit thread goes on
        }
        if (!leaf) {
          it.done(leaf.error());
          continue;
        }
        it.leaf = std::move(leaf.value());
      }
      leaves.push_back(std::move(it.leaf));
      in_batch.push_back(&it);
    }
    const std::size_t m = leaves.size();
    Result<AppendResult> r = AppendResult{};
    if (m > 0) r = store_.append(leaves);
    // Acknowledge only now: the transaction is committed and fsynced.
    for (std::size_t i = 0; i < m; ++i)
      in_batch[i]->done(r ? Result<std::uint64_t>(r->first + i) : Result<std::uint64_t>(r.error()));
    l.lock();
    const bool due = (m > 0 && r && committed(m)) || std::chrono::steady_clock::now() >= deadline;
    l.unlock();
    if (due) (void)sign_head();
    l.lock();
    busy_ = false;
    idle_cv_.notify_all();
  }
}

bool Writer::committed(std::uint64_t n) {
  since_checkpoint_ += n;
  return since_checkpoint_ >= opt_.checkpoint_every;
}

// Runs with busy_ held (commit thread or checkpoint_now), so at most one signs at a time.
Result<std::string> Writer::sign_head() {
  {
    std::lock_guard l(mu_);
    last_checkpoint_time_ = std::chrono::steady_clock::now();
    since_checkpoint_ = 0;
  }
  if (opt_.signers.empty()) return std::string();
  auto h = store_.head();
  if (!h) return h.error();
  // RFC 9162 §4.10 lets a log re-sign an unchanged root; we sign only new sizes so that the
  // checkpoint table grows with the log, not with time.
  if (h->size <= checkpointed_size_ && !last_note_.empty()) return std::string();
  Checkpoint cp{opt_.origin, h->size, h->root};
  auto note = sign_checkpoint(cp, opt_.origin, opt_.signers, static_cast<std::uint64_t>(now_ms() / 1000));
  if (!note) return note.error();
  if (auto st = store_.add_checkpoint(cp.size, *note); !st) return st.error();
  std::lock_guard l(mu_);
  checkpointed_size_ = cp.size;
  last_note_ = *note;
  return note;
}

Result<std::string> Writer::checkpoint_now() {
  {
    std::unique_lock l(mu_);
    idle_cv_.wait(l, [&] { return queue_.empty() && !busy_; });
    busy_ = true;
  }
  auto r = sign_head();
  {
    std::lock_guard l(mu_);
    busy_ = false;
  }
  idle_cv_.notify_all();
  return r;
}

std::string Writer::last_checkpoint() const {
  std::lock_guard l(mu_);
  return last_note_;
}

}  // namespace pqmcp::audit
