// pqmcp's vendor-defined PKCS#11 values (base spec §2: CKM_/CKA_VENDOR_DEFINED ranges), shared by
// libpqhsm and the client. "PQ" = 0x5051 marks them as pqmcp's (docs/token.md "Policy inside the
// token"). Other modules do not know them; the client checks C_GetMechanismList first.
#pragma once

#include "pkcs11/pkcs11.h"

// Signs an MCP envelope signing input (docs/protocol.md §4.2) with an ML-DSA key only after the
// token has parsed the message and its on-token policy allowed it. Pure ML-DSA, empty context;
// optional CK_SIGN_ADDITIONAL_CONTEXT is refused (the context is fixed by the protocol).
#define CKM_PQMCP_MCP_SIGN_MLDSA (CKM_VENDOR_DEFINED | 0x50510001UL)
// The ML-DSA half of a composite identity (draft-ietf-lamps-pq-composite-sigs): input is the same
// signing input M; the token checks policy on M, builds M' = Prefix ‖ Label ‖ 0 ‖ PH(M) itself
// and signs M' with ML-DSA, context = Label. The mechanism parameter is the composite algorithm
// (a CK_ULONG, one of CKP_PQMCP_COMPOSITE_*); it must match the key's ML-DSA parameter set.
#define CKM_PQMCP_MCP_SIGN_COMPOSITE_MLDSA (CKM_VENDOR_DEFINED | 0x50510002UL)
#define CKP_PQMCP_COMPOSITE_MLDSA44_ED25519 1UL
#define CKP_PQMCP_COMPOSITE_MLDSA65_ED25519 2UL

// A whole composite signature (draft-ietf-lamps-pq-composite-sigs) in one operation: C_SignInit's
// key is the ML-DSA private key, the parameter names the composite algorithm and the Ed25519
// private key on the same token; the input is the message M; the token builds
// M' = Prefix ‖ Label ‖ len(ctx) ‖ ctx ‖ PH(M), signs M' with ML-DSA (context Label) and with
// Ed25519, and returns the two signatures concatenated. Both keys must allow signing and, where
// they list CKA_ALLOWED_MECHANISMS, this mechanism. One operation, one key-operation log entry
// (naming both keys), instead of two of each.
#define CKM_PQMCP_COMPOSITE_SIGN (CKM_VENDOR_DEFINED | 0x50510003UL)
typedef struct CK_PQMCP_COMPOSITE_SIGN_PARAMS {
  CK_ULONG ulComposite;               // CKP_PQMCP_COMPOSITE_*; must match the ML-DSA key's set
  CK_OBJECT_HANDLE hTraditionalKey;   // the Ed25519 private key
  CK_BYTE_PTR pContext;               // the composite's application context (may be empty)
  CK_ULONG ulContextLen;              // at most 255 bytes
} CK_PQMCP_COMPOSITE_SIGN_PARAMS;

// CK_BBOOL on a CKO_DATA token object: this object holds the MCP policy (CKA_VALUE = canonical
// policy TOML). Only the SO may create, change or destroy such an object.
#define CKA_PQMCP_MCP_POLICY (CKA_VENDOR_DEFINED | 0x50510001UL)
// UTF-8 identity name on an ML-DSA key: the agent the token evaluates policy for. Set when the
// key is generated or created, never changed afterwards (CKR_ATTRIBUTE_READ_ONLY).
#define CKA_PQMCP_OWNER (CKA_VENDOR_DEFINED | 0x50510002UL)

// CK_SESSION_INFO.ulDeviceError values of libpqhsm (base spec: "an error code defined by the
// cryptographic device"). 0: none. The key-operation log (keyops_log = relaxed) could not be
// written, so the token refuses every private-key operation with CKR_DEVICE_ERROR until it is
// re-initialised (docs/token.md "Key-operation log").
#define PQMCP_DEVICE_ERROR_KEYOPS_LOG 0x50510001UL
