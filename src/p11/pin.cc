#include "p11/pin.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace pqmcp::p11 {

namespace {

constexpr std::size_t kMaxPin = 256;

Error pin_error(const PinSource& s, const std::string& why) {
  return make_error(Error::Kind::kPin, "read PIN", "", "cannot read the PIN from " + s.describe() + ": " + why);
}

// Reads at most kMaxPin bytes up to the first newline; the buffer is wiped on every path.
Result<crypto::SecureBuffer> read_line(int fd, const PinSource& s) {
  crypto::SecureBuffer buf(kMaxPin + 1);
  std::size_t n = 0;
  for (;;) {
    if (n == buf.size()) return pin_error(s, "longer than 256 bytes");
    ssize_t r = ::read(fd, buf.data() + n, 1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return pin_error(s, std::strerror(errno));
    if (r == 0 || buf[n] == '\n') break;
    ++n;
  }
  if (n > 0 && buf[n - 1] == '\r') --n;
  if (n == 0) return pin_error(s, "it is empty");
  crypto::SecureBuffer out(std::span<const std::uint8_t>(buf.data(), n));
  return out;
}

}  // namespace

std::string PinSource::describe() const {
  switch (kind) {
    case Kind::kEnv: return "environment variable " + where;
    case Kind::kFile: return "file " + where;
    case Kind::kPrompt: return "the terminal prompt";
  }
  return "?";
}

Result<crypto::SecureBuffer> read_pin(const PinSource& s) {
  switch (s.kind) {
    case PinSource::Kind::kEnv: {
      const char* v = std::getenv(s.where.c_str());
      if (v == nullptr) return pin_error(s, "it is not set");
      std::size_t n = std::strlen(v);
      if (n == 0) return pin_error(s, "it is empty");
      if (n > kMaxPin) return pin_error(s, "longer than 256 bytes");
      crypto::SecureBuffer out(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(v), n));
      return out;
    }
    case PinSource::Kind::kFile: {
      int fd = ::open(s.where.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
      if (fd < 0) return pin_error(s, std::strerror(errno));
      struct stat st {};
      if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        return pin_error(s, "not a regular file");
      }
      if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        ::close(fd);
        return pin_error(s, "its permissions allow other users to read it; run chmod 600");
      }
      auto r = read_line(fd, s);
      ::close(fd);
      return r;
    }
    case PinSource::Kind::kPrompt: {
      // /dev/tty, not stdin: the PIN must come from the person at the terminal even when the
      // command's input is a pipe.
      int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
      if (fd < 0) return pin_error(s, "no terminal (set pin_env or pin_file in the config)");
      termios old {};
      bool restore = ::tcgetattr(fd, &old) == 0;
      if (restore) {
        termios quiet = old;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        quiet.c_lflag |= ICANON;
        (void)::tcsetattr(fd, TCSAFLUSH, &quiet);
      }
      ssize_t w = ::write(fd, s.where.data(), s.where.size());
      (void)w;
      auto r = read_line(fd, s);
      if (restore) (void)::tcsetattr(fd, TCSAFLUSH, &old);
      w = ::write(fd, "\n", 1);
      ::close(fd);
      return r;
    }
  }
  return pin_error(s, "unknown source");
}

Status write_pin_file(const std::string& path, std::span<const std::uint8_t> pin) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return make_error(Error::Kind::kIo, "write PIN file", "", path + ": " + std::strerror(errno));
  bool ok = ::write(fd, pin.data(), pin.size()) == static_cast<ssize_t>(pin.size()) &&
            ::write(fd, "\n", 1) == 1 && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    return make_error(Error::Kind::kIo, "write PIN file", "", path + ": write failed");
  }
  return {};
}

Result<crypto::SecureBuffer> random_pin(std::size_t n) {
  // 32 symbols without look-alikes (0/O, 1/l/I): 5 bits each, and 256 % 32 == 0 keeps it uniform.
  static constexpr char kAlphabet[] = "abcdefghijkmnpqrstuvwxyz23456789";
  crypto::SecureBuffer raw(n), out(n);
  if (RAND_bytes(raw.data(), static_cast<int>(n)) != 1)
    return make_error(Error::Kind::kIo, "generate PIN", "", "the random number generator failed");
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(kAlphabet[raw[i] % 32]);
  return out;
}

}  // namespace pqmcp::p11
