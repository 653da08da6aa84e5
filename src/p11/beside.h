// Running two independent halves of one operation at the same time: the calling thread does one,
// a single process-wide helper thread the other. Used for the two component signatures of a
// composite key, which are separate PKCS#11 operations on separate keys (and sessions): the
// Ed25519 half, with its C_SignInit and C_Sign round trips into the module, then costs no time
// on the caller's path while the ML-DSA half runs.
//
// When the helper is already busy (another thread of the process got there first), the side task
// simply runs on the calling thread after the main one: under load there is no idle core to win,
// and no caller ever waits for another caller's work.
#pragma once

#include <functional>

namespace pqmcp::p11 {

// Runs main() on this thread and side() on the helper thread if it is free (else here, after
// main), and returns once both have finished; if main() throws, after side() has finished too.
// side() must not throw (an exception escaping it on the helper terminates the process). In a
// forked child both run inline.
void run_beside(const std::function<void()>& main, const std::function<void()>& side);

}  // namespace pqmcp::p11
