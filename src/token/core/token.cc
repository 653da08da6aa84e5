#include "core/token.h"

#include <cstring>
#include <ctime>

#include "audit/merkle.h"
#include "core/call_scope.h"
#include "crypto/random.h"
#include "store/schema.h"

namespace pqmcp::token {
namespace {

std::vector<std::uint8_t> vec(std::span<const std::uint8_t> s) { return {s.begin(), s.end()}; }
std::vector<std::uint8_t> vec(const std::string& s) { return {s.begin(), s.end()}; }

void pad(CK_UTF8CHAR* dst, std::size_t n, std::span<const std::uint8_t> src) {
  std::memset(dst, ' ', n);
  if (!src.empty()) std::memcpy(dst, src.data(), std::min(n, src.size()));
}

Result<std::vector<std::uint8_t>> random_vec(std::size_t n) {
  std::vector<std::uint8_t> v(n);
  if (!crypto::is_ok(crypto::random_bytes(v))) return Status(CKR_DEVICE_ERROR);
  return v;
}

std::string hex(std::span<const std::uint8_t> b) { return audit::to_hex(b); }

}  // namespace

Status Token::open_db() {
  if (db_) return kOk;
  PQ_ASSIGN(db, TokenDb::open(dir_));
  db_ = std::move(db);
  return kOk;
}

void Token::unseal(Object& o) const {
  if (!mk_) return;
  for (const auto& [type, blob] : o.sealed) {
    auto v = sealing::open(*mk_, sealing::attribute_aad(o.uid(), type), blob);
    // A block that fails authentication (tampered, or moved from another object) is left
    // sealed; operations on it then fail instead of using forged key material.
    if (v.ok()) o.attrs[type] = std::move(v.value());
  }
}

Status Token::refresh() {
  const std::uint64_t call = CallScope::current();
  if (call != 0 && call == refreshed_in_call_) return kOk;  // checked earlier in this C call
  PQ_TRY(open_db());
  PQ_ASSIGN(changed, db_->changed());
  if (!changed) {
    refreshed_in_call_ = call;
    return kOk;
  }
  // Until the cache is rebuilt completely (an error or an exception may stop it half-way), the
  // next check must re-read rather than trust it.
  struct Rebuild {
    TokenDb& db;
    bool done = false;
    ~Rebuild() {
      if (!done) db.forget_version();
    }
  } rebuild{*db_};
  std::vector<StoredObject> stored;
  if (Status st = db_->read_all(meta_, stored); !st.ok()) return st;
  auto epoch = meta_.find("epoch");
  if (login_ != kNobody && (epoch == meta_.end() || epoch->second != login_epoch_)) logout();
  // Rebuild the token objects, keeping the handle of every object that still exists.
  std::map<std::string, CK_OBJECT_HANDLE> old;
  store_.for_each([&](CK_OBJECT_HANDLE h, const ObjectPtr& o) {
    if (o->is_token()) old[o->uid()] = h;
  });
  store_.erase_if([](const Object& o) { return o.is_token(); });
  for (auto& so : stored) {
    auto o = std::make_shared<Object>();
    for (auto& a : so.attributes) {
      if (a.sealed) o->sealed[a.type] = std::move(a.value);
      else o->attrs[a.type] = to_bytes(a.value);
    }
    if (o->uid() != so.uid) continue;  // the row and its CKA_UNIQUE_ID must agree
    unseal(*o);
    auto it = old.find(so.uid);
    store_.insert(std::move(o), it == old.end() ? CK_INVALID_HANDLE : it->second);
  }
  rebuild.done = true;
  refreshed_in_call_ = call;
  return kOk;
}

unsigned Token::failures(const char* key) const {
  auto it = meta_.find(key);
  if (it == meta_.end() || it->second.size() != 4) return 0;
  const auto& v = it->second;
  return (unsigned{v[0]} << 24) | (unsigned{v[1]} << 16) | (unsigned{v[2]} << 8) | v[3];
}

Status Token::set_failures(const char* key, unsigned n) {
  std::vector<std::uint8_t> v{static_cast<std::uint8_t>(n >> 24), static_cast<std::uint8_t>(n >> 16),
                              static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)};
  Transaction t(*db_);
  PQ_TRY(t.begin());
  PQ_TRY(db_->put_meta(key, v));
  PQ_TRY(t.commit());
  meta_[key] = v;
  return kOk;
}

// The retry counter is raised and committed before the slow KDF runs, so killing the
// process during a guess still counts the guess (base spec §5.6 CKF_*_PIN_* flags).
Result<sealing::Key> Token::check_pin(const char* wrap_key, const char* fail_key,
                                      std::span<const std::uint8_t> pin) {
  unsigned n = failures(fail_key);
  if (n >= cfg_.max_pin_failures) return Status(CKR_PIN_LOCKED);
  auto rec = meta_.find(wrap_key);
  if (rec == meta_.end()) return Status(CKR_USER_PIN_NOT_INITIALIZED);
  PQ_TRY(set_failures(fail_key, n + 1));
  auto mk = sealing::unwrap_master_key(rec->second, pin, wrap_key);
  if (!mk.ok()) return mk.status();
  PQ_TRY(set_failures(fail_key, 0));
  return mk;
}

Status Token::fill_info(CK_TOKEN_INFO& info) {
  PQ_TRY(refresh());
  std::memset(&info, 0, sizeof info);
  auto label = meta_.count("label") ? meta_["label"] : std::vector<std::uint8_t>();
  pad(info.label, 32, label);
  pad(info.manufacturerID, 32, vec(std::string("pqmcp")));
  pad(info.model, 16, vec(std::string("pqhsm")));
  auto serial = meta_.count("serial") ? meta_["serial"] : std::vector<std::uint8_t>();
  pad(info.serialNumber, 16, serial);
  CK_FLAGS f = CKF_RNG | CKF_LOGIN_REQUIRED;
  if (initialized()) f |= CKF_TOKEN_INITIALIZED;
  if (meta_.count("user_wrap")) f |= CKF_USER_PIN_INITIALIZED;
  unsigned max = cfg_.max_pin_failures, u = failures("user_fail"), s = failures("so_fail");
  if (u >= max) f |= CKF_USER_PIN_LOCKED;
  else if (u + 1 == max) f |= CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_COUNT_LOW;
  else if (u > 0) f |= CKF_USER_PIN_COUNT_LOW;
  if (s >= max) f |= CKF_SO_PIN_LOCKED;
  else if (s + 1 == max) f |= CKF_SO_PIN_FINAL_TRY | CKF_SO_PIN_COUNT_LOW;
  else if (s > 0) f |= CKF_SO_PIN_COUNT_LOW;
  info.flags = f;
  info.ulMaxSessionCount = CK_EFFECTIVELY_INFINITE;
  info.ulSessionCount = ro_sessions + rw_sessions;
  info.ulMaxRwSessionCount = CK_EFFECTIVELY_INFINITE;
  info.ulRwSessionCount = rw_sessions;
  info.ulMaxPinLen = kMaxPin;
  info.ulMinPinLen = kMinPin;
  info.ulTotalPublicMemory = info.ulFreePublicMemory = CK_UNAVAILABLE_INFORMATION;
  info.ulTotalPrivateMemory = info.ulFreePrivateMemory = CK_UNAVAILABLE_INFORMATION;
  info.hardwareVersion = {0, 1};
  info.firmwareVersion = {0, 1};
  std::memset(info.utcTime, ' ', sizeof info.utcTime);
  return kOk;
}

Status Token::init_token(std::span<const std::uint8_t> so_pin, std::span<const std::uint8_t, 32> label) {
  PQ_TRY(refresh());
  if (initialized()) {
    auto mk = check_pin("so_wrap", "so_fail", so_pin);
    if (!mk.ok()) return mk.status();
  }
  PQ_ASSIGN(mk, sealing::random_key());
  PQ_ASSIGN(so_wrap, sealing::wrap_master_key(mk, so_pin, cfg_.kdf_iterations, "so_wrap"));
  PQ_ASSIGN(epoch, random_vec(16));
  std::vector<std::uint8_t> serial = meta_.count("serial") ? meta_["serial"] : vec(hex(epoch).substr(0, 16));
  Transaction t(*db_);
  PQ_TRY(t.begin());
  PQ_TRY(db_->delete_all_objects());
  PQ_TRY(db_->delete_meta("user_wrap"));
  PQ_TRY(db_->put_meta("so_wrap", so_wrap));
  PQ_TRY(db_->put_meta("label", vec(label)));
  PQ_TRY(db_->put_meta("serial", serial));
  PQ_TRY(db_->put_meta("epoch", epoch));
  std::vector<std::uint8_t> zero(4, 0);
  PQ_TRY(db_->put_meta("so_fail", zero));
  PQ_TRY(db_->put_meta("user_fail", zero));
  PQ_TRY(t.commit());
  logout();
  meta_.erase("user_wrap");
  meta_["so_wrap"] = so_wrap;
  meta_["label"] = vec(label);
  meta_["serial"] = serial;
  meta_["epoch"] = epoch;
  meta_["so_fail"] = meta_["user_fail"] = zero;
  store_.erase_if([](const Object& o) { return o.is_token(); });
  return kOk;
}

Status Token::login(CK_USER_TYPE user, std::span<const std::uint8_t> pin) {
  PQ_TRY(refresh());
  bool so = user == CKU_SO;
  PQ_ASSIGN(mk, check_pin(so ? "so_wrap" : "user_wrap", so ? "so_fail" : "user_fail", pin));
  mk_ = mk;
  login_ = user;
  login_epoch_ = meta_["epoch"];
  // Unseal the token objects now that the master key is known.
  std::vector<std::pair<CK_OBJECT_HANDLE, ObjectPtr>> all;
  store_.for_each([&](CK_OBJECT_HANDLE h, const ObjectPtr& o) {
    if (!o->sealed.empty()) all.emplace_back(h, o);
  });
  for (auto& [h, o] : all) {
    auto copy = std::make_shared<Object>(*o);
    unseal(*copy);
    store_.replace(h, std::move(copy));
  }
  (void)unlock_log_key();  // a token without its log key still works; its log waits for a checkpoint
  return kOk;
}

void Token::logout() {
  login_ = kNobody;
  mk_.reset();
  // Drop decrypted key material from the cache; the sealed forms stay.
  std::vector<std::pair<CK_OBJECT_HANDLE, ObjectPtr>> all;
  store_.for_each([&](CK_OBJECT_HANDLE h, const ObjectPtr& o) {
    if (!o->sealed.empty()) all.emplace_back(h, o);
  });
  for (auto& [h, o] : all) {
    auto copy = std::make_shared<Object>(*o);
    for (const auto& [type, blob] : copy->sealed) copy->attrs.erase(type);
    copy->native = std::make_shared<NativeCache>();
    store_.replace(h, std::move(copy));
  }
}

Status Token::init_pin(std::span<const std::uint8_t> pin) {
  PQ_TRY(refresh());
  if (!mk_ || login_ != CKU_SO) return Status(CKR_USER_NOT_LOGGED_IN);
  PQ_ASSIGN(wrap, sealing::wrap_master_key(*mk_, pin, cfg_.kdf_iterations, "user_wrap"));
  Transaction t(*db_);
  PQ_TRY(t.begin());
  PQ_TRY(db_->put_meta("user_wrap", wrap));
  PQ_TRY(db_->put_meta("user_fail", std::vector<std::uint8_t>(4, 0)));
  PQ_TRY(t.commit());
  meta_["user_wrap"] = wrap;
  meta_["user_fail"] = std::vector<std::uint8_t>(4, 0);
  return kOk;
}

Status Token::set_pin(std::span<const std::uint8_t> old_pin, std::span<const std::uint8_t> new_pin) {
  PQ_TRY(refresh());
  bool so = login_ == CKU_SO;
  const char* wrap_key = so ? "so_wrap" : "user_wrap";
  PQ_ASSIGN(mk, check_pin(wrap_key, so ? "so_fail" : "user_fail", old_pin));
  PQ_ASSIGN(wrap, sealing::wrap_master_key(mk, new_pin, cfg_.kdf_iterations, wrap_key));
  Transaction t(*db_);
  PQ_TRY(t.begin());
  PQ_TRY(db_->put_meta(wrap_key, wrap));
  PQ_TRY(t.commit());
  meta_[wrap_key] = wrap;
  return kOk;
}

Result<ObjectPtr> Token::object(CK_OBJECT_HANDLE h) {
  PQ_TRY(refresh());
  ObjectPtr o = store_.find(h);
  if (!o || !visible(*o)) return Status(CKR_OBJECT_HANDLE_INVALID);
  return o;
}

Result<StoredObject> Token::seal_object(Object& o) {
  StoredObject so{o.uid(), {}};
  o.sealed.clear();
  for (const auto& [type, value] : o.attrs) {
    if (schema::sealed_at_rest(o, type)) {
      if (!mk_) return Status(CKR_USER_NOT_LOGGED_IN);
      PQ_ASSIGN(blob, sealing::seal(*mk_, sealing::attribute_aad(o.uid(), type), view(value)));
      o.sealed[type] = blob;
      so.attributes.push_back({type, true, std::move(blob)});
    } else {
      so.attributes.push_back({type, false, std::vector<std::uint8_t>(value.begin(), value.end())});
    }
  }
  return so;
}

Result<std::vector<CK_OBJECT_HANDLE>> Token::add(std::vector<Object> objs, CK_SESSION_HANDLE owner) {
  PQ_TRY(refresh());
  std::vector<StoredObject> rows;
  for (auto& o : objs) {
    PQ_ASSIGN(uid, random_vec(16));
    o.set_bytes(CKA_UNIQUE_ID, vec(hex(uid)));
    o.owner = owner;
    if (o.is_token()) {
      PQ_ASSIGN(row, seal_object(o));
      rows.push_back(std::move(row));
    }
  }
  if (!rows.empty()) {
    Transaction t(*db_);
    PQ_TRY(t.begin());
    for (const auto& r : rows) PQ_TRY(db_->put_object(r));
    PQ_TRY(t.commit());
  }
  std::vector<CK_OBJECT_HANDLE> handles;
  for (auto& o : objs) handles.push_back(store_.insert(std::make_shared<Object>(std::move(o))));
  return handles;
}

Status Token::update(CK_OBJECT_HANDLE h, Object o) {
  if (o.is_token()) {
    PQ_ASSIGN(row, seal_object(o));
    Transaction t(*db_);
    PQ_TRY(t.begin());
    PQ_TRY(db_->put_object(row));
    PQ_TRY(t.commit());
  }
  store_.replace(h, std::make_shared<Object>(std::move(o)));
  return kOk;
}

Status Token::destroy(CK_OBJECT_HANDLE h) {
  ObjectPtr o = store_.find(h);
  if (!o) return Status(CKR_OBJECT_HANDLE_INVALID);
  if (o->is_token()) {
    Transaction t(*db_);
    PQ_TRY(t.begin());
    PQ_TRY(db_->delete_object(o->uid()));
    PQ_TRY(t.commit());
  }
  store_.erase(h);
  return kOk;
}

void Token::drop_session_objects(CK_SESSION_HANDLE s) {
  store_.erase_if([s](const Object& o) { return !o.is_token() && o.owner == s; });
}

void Token::drop_all_session_objects() {
  store_.erase_if([](const Object& o) { return !o.is_token(); });
}

std::vector<CK_OBJECT_HANDLE> Token::find(std::span<const CK_ATTRIBUTE> tmpl) {
  if (!refresh().ok()) return {};
  return store_.search(tmpl, [this](const Object& o) { return visible(o); });
}

}  // namespace pqmcp::token
