/*
 * gk_dial.h: the C API of libgkdial, the Consent Gatekeeper's dialer hook.
 *
 * Before every outbound sales call a dialer asks the gatekeeper daemon
 * whether it may dial this number for this campaign (gk_dial_check). On ALLOW
 * it gets a decision id and the seller disclosures the agent must make first
 * (特定商取引法 Art. 16); afterwards it reports what the agent disclosed
 * (gk_dial_report_disclosure) and how the call ended (gk_dial_report_outcome).
 * The daemon's gRPC API is gatekeeper.v1.DialGate (dial_gate.proto).
 *
 * FAIL CLOSED. gk_result_verdict() is GK_VERDICT_ALLOW only when the daemon
 * answered VERDICT_ALLOW. A timeout, an unreachable daemon, a malformed
 * answer, a bad argument, an allocation failure or any other error gives
 * GK_VERDICT_BLOCK, and gk_result_error() says which (GK_OK means "the daemon
 * answered": a BLOCK with GK_OK is the daemon's own decision).
 *
 * OWNERSHIP. Every gk_dial_check / gk_dial_report_* call returns a result
 * object that the caller owns and releases with gk_result_free(). The calls
 * never return NULL (an allocation failure returns a shared, static
 * "out of memory" result that gk_result_free() ignores), and every accessor
 * also accepts NULL, which reads as that out-of-memory result. Strings
 * returned by accessors are NUL-terminated UTF-8, never NULL (possibly ""),
 * and stay valid until the result is freed. Input strings are only read
 * during the call; NULL input strings are read as "".
 *
 * THREAD-SAFETY. A handle may be used by any number of threads at once (it
 * holds one gRPC channel; each call has its own deadline). gk_dial_close()
 * must not run while another thread still uses the handle. A result may be
 * read from several threads at once; freeing it must not race with reading.
 * Do not use a handle in a child after fork() (gRPC's threads do not survive
 * it); open a new one there.
 *
 * ABI. Link with -lgkdial (pkg-config gkdial). Only gk_* symbols are exported.
 * Options are passed in a struct that starts with its size as the caller
 * compiled it (gk_dial_options_init(&o, sizeof o)), so later releases can
 * append fields (1.1 added the TLS CA, client certificate and key, and token
 * file) without breaking programs built against an older header, and an
 * older library refuses a newer program's options that set a field it does
 * not know rather than ignore it. Enum values are the gatekeeper.v1 proto numbers and never change
 * meaning.
 */
#ifndef GK_DIAL_H_
#define GK_DIAL_H_

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__) || defined(__clang__)
#define GK_DIAL_API __attribute__((visibility("default")))
#else
#define GK_DIAL_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* The version of this header; gk_dial_version() gives the library's. */
#define GK_DIAL_VERSION_MAJOR 1
#define GK_DIAL_VERSION_MINOR 1

/* Defaults of gk_dial_options_init(). */
#define GK_DIAL_DEFAULT_TARGET "127.0.0.1:50051"
#define GK_DIAL_DEFAULT_TIMEOUT_MS 2000
/* The largest accepted timeout_ms: one day. */
#define GK_DIAL_MAX_TIMEOUT_MS 86400000

/* What went wrong, next to the verdict: GK_OK means the daemon answered. */
typedef enum gk_error {
  GK_OK = 0,
  /* Rejected by the library before any call: a NULL handle, bad options, an
     unknown disclosure item or outcome. */
  GK_ERR_INVALID_ARGUMENT = 1,
  /* The call failed; gk_result_grpc_code() has the gRPC status code, e.g.
     DEADLINE_EXCEEDED (4) for a timeout, UNAVAILABLE (14) for a daemon that
     cannot be reached, INVALID_ARGUMENT (3) or NOT_FOUND (5) from the daemon.
   */
  GK_ERR_RPC = 2,
  /* The daemon answered something this library cannot trust: a verdict other
     than ALLOW or BLOCK, or an ALLOW without a decision id or seller name. */
  GK_ERR_MALFORMED_RESPONSE = 3,
  /* Memory ran out. */
  GK_ERR_NO_MEMORY = 4,
  /* An unexpected failure inside the library. */
  GK_ERR_INTERNAL = 5
} gk_error;

/* The verdict of a check (gatekeeper.v1.Verdict). */
typedef enum gk_verdict {
  GK_VERDICT_ALLOW = 1,
  GK_VERDICT_BLOCK = 2
} gk_verdict;

/* Reason codes of a decision (gatekeeper.v1.Reason, stable API). A client-side
   error has the single reason GK_REASON_UNSPECIFIED, named after the error. */
typedef enum gk_reason {
  GK_REASON_UNSPECIFIED = 0,
  GK_REASON_CONSENT_ON_RECORD = 1, /* the one ALLOW reason */
  GK_REASON_NO_CONSENT = 2,
  GK_REASON_CONSENT_WITHDRAWN = 3,
  GK_REASON_CONSENT_EXPIRED = 4,
  GK_REASON_PHONE_NOT_CONSENTED = 5,
  GK_REASON_UNKNOWN_CAMPAIGN = 6,
  GK_REASON_CAMPAIGN_NOT_APPROVED = 7,
  GK_REASON_CAMPAIGN_OUTSIDE_WINDOW = 8,
  GK_REASON_CAMPAIGN_WRONG_KIND = 9,
  GK_REASON_DO_NOT_SOLICIT = 10,
  GK_REASON_OUTSIDE_CALLING_HOURS = 11,
  GK_REASON_FREQUENCY_CAP = 12,
  GK_REASON_INTERNAL_ERROR = 13
} gk_reason;

/* What an agent must say before soliciting (gatekeeper.v1.DisclosureItem). */
typedef enum gk_disclosure_item {
  GK_DISCLOSURE_SELLER_NAME = 1,
  GK_DISCLOSURE_AGENT_NAME = 2,
  GK_DISCLOSURE_GOODS_TYPE = 3,
  GK_DISCLOSURE_SOLICITATION_PURPOSE = 4
} gk_disclosure_item;

/* How a call ended (gatekeeper.v1.CallOutcome). */
typedef enum gk_call_outcome {
  GK_OUTCOME_NO_ANSWER = 1,
  GK_OUTCOME_BUSY = 2,
  /* Creates a do-not-solicit entry for the seller and goods type. */
  GK_OUTCOME_REFUSED = 3,
  /* Creates a do-not-solicit entry for every goods type of the seller and
     withdraws the customer's telemarketing consent for the seller. */
  GK_OUTCOME_DO_NOT_CALL_REQUESTED = 4,
  GK_OUTCOME_CALLBACK_REQUESTED = 5,
  GK_OUTCOME_APPLIED = 6,
  GK_OUTCOME_CONTRACTED = 7,
  /* Someone else answered: withdraws the consents naming the number. */
  GK_OUTCOME_WRONG_PARTY = 8
} gk_call_outcome;

/* Options of gk_dial_open(). Always call gk_dial_options_init(&o, sizeof o)
   first, then set the fields you need. Fields are only ever appended. */
typedef struct gk_dial_options {
  /* sizeof(gk_dial_options) as the caller compiled it; set by
     gk_dial_options_init(). */
  size_t struct_size;
  /* The daemon's address, "HOST:PORT" (any gRPC target). NULL or "" is an
     error. Copied by gk_dial_open(). */
  const char* target;
  /* The deadline of every call, in milliseconds: 1 to GK_DIAL_MAX_TIMEOUT_MS.
   */
  int32_t timeout_ms;
  /* Since 1.1 (README, "Security"). Paths, or NULL. tls_ca_file: TLS, trusting
     the CA (PEM) that signed the daemon's certificate. cert_file and
     key_file: mutual TLS, this client's certificate and private key (PEM; the
     key mode 0600). token_file: a bearer token (its first line; mode 0600)
     sent on every call. Read by gk_dial_open(). */
  const char* tls_ca_file;
  const char* cert_file;
  const char* key_file;
  const char* token_file;
} gk_dial_options;

/* The handle: one connection to one daemon. Opaque. */
typedef struct gk_dial gk_dial;

/* The answer to one call. Opaque; read with the gk_result_* accessors. */
typedef struct gk_result gk_result;

/* The library's version, e.g. "1.0.0" (static storage). Thread-safe. */
GK_DIAL_API const char* gk_dial_version(void);

/* The name of an error code, e.g. "RPC" for GK_ERR_RPC, "OK" for GK_OK;
   "UNKNOWN" for any other value (static storage). Thread-safe. */
GK_DIAL_API const char* gk_error_name(gk_error error);

/* Prepares options for gk_dial_open(): zeroes all struct_size bytes, sets
   options->struct_size to struct_size and the defaults of the fields this
   library knows: target GK_DIAL_DEFAULT_TARGET, timeout_ms
   GK_DIAL_DEFAULT_TIMEOUT_MS. Pass sizeof(gk_dial_options) as your program
   sees it (C: gk_dial_options_init(&o, sizeof o); a binding: the size of its
   copy of the struct). Does nothing when options is NULL or struct_size is
   smaller than sizeof(size_t). Thread-safe. */
GK_DIAL_API void gk_dial_options_init(gk_dial_options* options,
                                      size_t struct_size);

/* Opens a handle. Does not connect yet (the first call does, and a daemon
   that cannot be reached makes that call fail closed), so it fails only on
   bad options or memory.
   On success: returns GK_OK and stores the new handle in *handle (release it
   with gk_dial_close()).
   On failure: returns GK_ERR_INVALID_ARGUMENT (NULL options or handle,
   struct_size unset or smaller than this header's first release, an empty
   target, timeout_ms out of range, or options from a newer header that set a
   field this library does not know: refused rather than ignored, which is
   why gk_dial_options_init() must have zeroed them),
   a TLS or token file that cannot be read or is readable by others (the
   message names the field), GK_ERR_NO_MEMORY or GK_ERR_INTERNAL; stores NULL
   in *handle (when handle is not NULL) and, when error_message is not NULL, a
   one-line explanation in *error_message ("" on success), valid until the
   next gk_dial_open() in the same thread.
   Thread-safe. */
GK_DIAL_API gk_error gk_dial_open(const gk_dial_options* options,
                                  gk_dial** handle, const char** error_message);

/* Closes the handle (waits for nothing: calls must have returned). NULL is a
   no-op. Must not race with calls on the same handle. */
GK_DIAL_API void gk_dial_close(gk_dial* handle);

/* May this number be dialled for this campaign? (DialGate.CheckDial)
   phone_number: the number to dial, any Japanese or E.164 spelling (never
   logged in clear by the daemon). campaign_id: the CALL campaign.
   customer_id: optional (NULL or ""); when given, the consent must be this
   customer's. agent_id: required, the agent who will make the call.
   Returns a result (never NULL; free it with gk_result_free()):
   - the daemon answered: gk_result_error() GK_OK, verdict ALLOW or BLOCK,
     decision id, reasons, explanation, consent id (ALLOW), audit_seq,
     decided_at; on ALLOW also the disclosure fields and gk_result_script().
   - anything else: verdict BLOCK, gk_result_error() != GK_OK, one reason
     (GK_REASON_UNSPECIFIED) named after the error (the gRPC code name such as
     "DEADLINE_EXCEEDED" or "UNAVAILABLE", or "MALFORMED_RESPONSE",
     "INVALID_ARGUMENT", "NO_MEMORY", "INTERNAL"), and gk_result_explanation()
     equal to gk_result_error_message().
   Waits at most the handle's timeout. Thread-safe. */
GK_DIAL_API gk_result* gk_dial_check(gk_dial* handle, const char* phone_number,
                                     const char* campaign_id,
                                     const char* customer_id,
                                     const char* agent_id);

/* Reports what the agent disclosed on a call made under an ALLOWed decision
   (DialGate.ReportDisclosure). items: the items disclosed (item_count of
   them; items may be NULL when item_count is 0). disclosed_at_ms,
   pitch_started_at_ms: Unix epoch milliseconds; 0 means not given.
   recording_ref: optional reference to the call recording.
   Returns a result (never NULL; free it with gk_result_free()):
   - the daemon answered: GK_OK, gk_result_compliant() 1 or 0, the
     violations (one line each), audit_seq. A report with violations is
     recorded, not refused.
   - anything else: gk_result_error() != GK_OK (e.g. GK_ERR_RPC with
     NOT_FOUND for an unknown decision, FAILED_PRECONDITION for a BLOCKed
     one, ALREADY_EXISTS for a second, different report;
     GK_ERR_INVALID_ARGUMENT for an unknown item value) and compliant 0.
     After a failure that leaves the outcome unknown (DEADLINE_EXCEEDED,
     UNAVAILABLE, CANCELLED, UNKNOWN, INTERNAL) the report may have been
     recorded: sending the same report again is safe, the daemon answers a
     repeated identical report with its first answer.
   Waits at most the handle's timeout. Thread-safe. */
GK_DIAL_API gk_result* gk_dial_report_disclosure(
    gk_dial* handle, const char* decision_id, const char* agent_id,
    const gk_disclosure_item* items, size_t item_count, int64_t disclosed_at_ms,
    int64_t pitch_started_at_ms, const char* recording_ref);

/* Reports how the call ended (DialGate.ReportOutcome). note: optional free
   text, e.g. what the customer said.
   Returns a result (never NULL; free it with gk_result_free()):
   - the daemon answered: GK_OK, audit_seq, the ids of the do-not-solicit
     entries the outcome created and of the consents it withdrew.
   - anything else: gk_result_error() != GK_OK, as for
     gk_dial_report_disclosure() (GK_ERR_INVALID_ARGUMENT for an unknown
     outcome value).
   Waits at most the handle's timeout. Thread-safe. */
GK_DIAL_API gk_result* gk_dial_report_outcome(gk_dial* handle,
                                              const char* decision_id,
                                              const char* agent_id,
                                              gk_call_outcome outcome,
                                              const char* note);

/* Releases a result. NULL and the static out-of-memory result are no-ops. */
GK_DIAL_API void gk_result_free(gk_result* result);

/* --- Every result. Accessors are thread-safe and accept NULL. --- */

/* GK_OK when the daemon answered; otherwise what went wrong. */
GK_DIAL_API gk_error gk_result_error(const gk_result* result);
/* One line, "" when GK_OK; else it starts with the gRPC code name or the
   error name, e.g. "DEADLINE_EXCEEDED: Deadline Exceeded". */
GK_DIAL_API const char* gk_result_error_message(const gk_result* result);
/* The call's gRPC status code: 0 when it succeeded (GK_OK and
   GK_ERR_MALFORMED_RESPONSE), the code when GK_ERR_RPC, -1 when no call was
   completed (the other errors). */
GK_DIAL_API int gk_result_grpc_code(const gk_result* result);
/* The sequence number of the daemon's audit entry for this call; 0 on error.
 */
GK_DIAL_API uint64_t gk_result_audit_seq(const gk_result* result);

/* --- gk_dial_check results (other results read as BLOCK, "" and 0). --- */

/* GK_VERDICT_ALLOW only when the daemon said ALLOW; GK_VERDICT_BLOCK in every
   other case, errors included. */
GK_DIAL_API gk_verdict gk_result_verdict(const gk_result* result);
/* The decision id to report disclosures and the outcome under; "" on error.
 */
GK_DIAL_API const char* gk_result_decision_id(const gk_result* result);
/* The consent the ALLOW relied on; "" on BLOCK. */
GK_DIAL_API const char* gk_result_consent_id(const gk_result* result);
/* The number of reasons (at least 1 for every check result). */
GK_DIAL_API size_t gk_result_reason_count(const gk_result* result);
/* Reason i's name without the "REASON_" prefix, e.g. "NO_CONSENT" (the
   number in decimal for a reason newer than this library); "" when i is out
   of range. */
GK_DIAL_API const char* gk_result_reason(const gk_result* result, size_t i);
/* Reason i's code; GK_REASON_UNSPECIFIED when i is out of range or for a
   client-side error. */
GK_DIAL_API gk_reason gk_result_reason_code(const gk_result* result, size_t i);
/* A human-readable account of the reasons (or of the error). */
GK_DIAL_API const char* gk_result_explanation(const gk_result* result);
/* When the daemon decided, Unix epoch milliseconds; 0 on error. */
GK_DIAL_API int64_t gk_result_decided_at_ms(const gk_result* result);

/* The seller disclosures for the opening of the call (特定商取引法 Art. 16):
   filled on ALLOW only, "" otherwise. */
GK_DIAL_API const char* gk_result_seller_name(const gk_result* result);
GK_DIAL_API const char* gk_result_seller_address(const gk_result* result);
GK_DIAL_API const char* gk_result_seller_phone(const gk_result* result);
GK_DIAL_API const char* gk_result_goods_type(const gk_result* result);
/* The statement that the call is to solicit a contract. */
GK_DIAL_API const char* gk_result_solicitation_statement(
    const gk_result* result);
/* The agent the call is allowed for (who must give their name). */
GK_DIAL_API const char* gk_result_agent(const gk_result* result);
/* The disclosures as a script the agent can read out, lines separated by
   "\n" (seller and agent name, the solicitation statement, the goods type,
   the seller's address and phone); "" unless ALLOW. */
GK_DIAL_API const char* gk_result_script(const gk_result* result);

/* --- gk_dial_report_disclosure results. --- */

/* 1 when the daemon judged the disclosures compliant; 0 otherwise (errors
   included). */
GK_DIAL_API int gk_result_compliant(const gk_result* result);
/* The violations, one line each (a missing item by name, "disclosed after
   the pitch started", another agent). Index out of range: "". */
GK_DIAL_API size_t gk_result_violation_count(const gk_result* result);
GK_DIAL_API const char* gk_result_violation(const gk_result* result, size_t i);

/* --- gk_dial_report_outcome results. --- */

/* The ids of the do-not-solicit entries the outcome created. */
GK_DIAL_API size_t gk_result_do_not_solicit_count(const gk_result* result);
GK_DIAL_API const char* gk_result_do_not_solicit_id(const gk_result* result,
                                                    size_t i);
/* The ids of the consents the outcome withdrew. */
GK_DIAL_API size_t gk_result_withdrawn_consent_count(const gk_result* result);
GK_DIAL_API const char* gk_result_withdrawn_consent_id(const gk_result* result,
                                                       size_t i);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* GK_DIAL_H_ */
