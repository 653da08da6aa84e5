// PostgreSQL storage for a log shared by several gateways (docs/audit-log.md "PostgreSQL").
// Sequencing happens inside the database: every append transaction first locks the single row
// of audit_head (SELECT … FOR UPDATE), which holds the tree size and right edge; indices are
// head.size onwards, and the new edge is written before COMMIT. Writers in any number of
// processes therefore take turns on that row and can never assign one index twice or fork the
// tree; a crashed writer's transaction rolls back whole.
#pragma once

#include "audit/storage.h"

namespace pqmcp::audit {

// conninfo: a libpq connection string ("host=127.0.0.1 port=5433 dbname=audit user=pqmcp").
// Creates the tables if absent.
Result<std::unique_ptr<Storage>> open_postgres(const std::string& conninfo);

}  // namespace pqmcp::audit
