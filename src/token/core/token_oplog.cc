// The token's side of the key-operation log (core/oplog.h): the log key, sealed under the master
// key in the token database, and the log itself, opened on first use.
#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "core/token.h"
#include "crypto/random.h"

namespace pqmcp::token {

namespace {

constexpr std::string_view kKeyAad = "pqhsm/oplog-key/v1";

std::string origin_of(const std::map<std::string, std::vector<std::uint8_t>>& meta) {
  auto it = meta.find("serial");
  return "pqhsm/" + (it == meta.end() ? std::string("unknown") : std::string(it->second.begin(), it->second.end()));
}

// Adds the vkey to <dir>/keyops-audit.vkey unless it is there (a re-initialised token gets a new
// key; the old line stays, since the old checkpoints were signed by it).
void publish(const std::string& dir, const std::string& vkey) {
  const std::string path = dir + "/" + oplog::kVkeyFile;
  {
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line))
      if (line == vkey) return;
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) return;
  const std::string l = vkey + "\n";
  (void)!::write(fd, l.data(), l.size());
  ::close(fd);
}

}  // namespace

Status Token::unlock_log_key() {
  if (!mk_ || !db_) return kOk;
  const std::span<const std::uint8_t> aad(reinterpret_cast<const std::uint8_t*>(kKeyAad.data()), kKeyAad.size());
  Status st(CKR_FUNCTION_FAILED);
  if (auto it = meta_.find("oplog_key"); it != meta_.end()) {
    auto seed = sealing::open(*mk_, aad, it->second);
    if (seed.ok() && seed.value().size() == 32) st = log_signer_->unlock(view(seed.value()));
  }
  if (!st.ok() && !log_signer_->unlocked()) {
    // First use (or a master key that changed with C_InitToken): a fresh key, sealed at once.
    Bytes seed(32);
    if (!crypto::is_ok(crypto::random_bytes(seed))) return Status(CKR_DEVICE_ERROR);
    PQ_ASSIGN(sealed, sealing::seal(*mk_, aad, view(seed)));
    Transaction t(*db_);
    PQ_TRY(t.begin());
    PQ_TRY(db_->put_meta("oplog_key", sealed));
    PQ_TRY(t.commit());
    meta_["oplog_key"] = sealed;
    PQ_TRY(log_signer_->unlock(view(seed)));
  }
  if (!log_signer_->unlocked()) return Status(CKR_FUNCTION_FAILED);
  const std::string origin = origin_of(meta_);
  publish(dir_, audit::VerifierKey{origin, audit::SigType::kMlDsa65, log_signer_->public_key(), ""}.vkey());
  return kOk;
}

oplog::Log* Token::oplog() {
  std::lock_guard l(oplog_mu_);
  if (oplog_) return oplog_.get();
  std::string origin;
  {
    std::lock_guard tl(mu);
    if (!open_db().ok()) return nullptr;
    origin = origin_of(meta_);
  }
  auto log = oplog::Log::open(dir_, origin, *log_signer_, keyops_relaxed());
  if (!log.ok()) return nullptr;
  oplog_ = std::move(log.value());
  return oplog_.get();
}

bool Token::oplog_failed() {
  std::lock_guard l(oplog_mu_);
  return oplog_ && oplog_->health() != CKR_OK;
}

}  // namespace pqmcp::token
