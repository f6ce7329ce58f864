/*
 * Control commands: what stackrisk tells enforcement points. One struct,
 * three forms: the protobuf stackrisk.v1.ControlCommand on the control topic,
 * the JSON line printed by `replay` and `watch`, and (later) the audit row.
 *
 * The command id is a hash of (session, triggering event, action): replaying
 * the same input yields the same ids, so an enforcer can drop duplicates.
 */
#ifndef SR_COMMAND_H
#define SR_COMMAND_H

#include <stddef.h>
#include <stdint.h>

#include "detectors/registry.h"
#include "ingest/event.h"

/* Values match stackrisk.v1.Action. */
enum sr_action {
  SR_ACTION_NONE = 0,
  SR_ACTION_ALLOW = 1,
  SR_ACTION_ESCALATE = 2,
  SR_ACTION_BLOCK = 3,
  SR_ACTION_KILL = 4,
};

#define SR_RULE_MAX 96
#define SR_COMMAND_ID_LEN 32 /* hex chars */
#define SR_SIGNATURE_BYTES 64 /* Ed25519 */
/* Merkle batch signatures (aggregator/sign.h): at most SR_BATCH_MAX commands
 * share one signature, so an audit path holds at most SR_BATCH_PATH_MAX
 * hashes (log2 of SR_BATCH_MAX). Was 64 (6): a verifier accepts every
 * batch signed under the old bound. */
#define SR_BATCH_MAX 256
#define SR_BATCH_PATH_MAX 8
#define SR_BATCH_HASH_BYTES 32 /* BLAKE2b-256 */
/* batch_path_len of a path that arrived malformed (not whole hashes, or
 * longer than any batch needs): it never verifies. */
#define SR_BATCH_PATH_BAD (SR_BATCH_PATH_MAX + 1)

struct sr_command_dim {
  char name[32];
  float score;
  char reason[SR_REASON_MAX];
};

struct sr_command {
  char command_id[SR_COMMAND_ID_LEN + 1];
  char session_id[SR_SESSION_ID_MAX + 1];
  char call_id[SR_ID_MAX + 1];
  char event_id[SR_ID_MAX + 1];
  enum sr_action action;
  double risk;
  uint32_t depth;
  /* Ed25519 over the root of the Merkle batch the command was signed in
   * (aggregator/sign.h); sig_len 0 = unsigned. The command's leaf index,
   * the batch size and its audit path (batch_path_len hashes, nearest the
   * leaf first) lead from its canonical fields to that root. Before dims so
   * the aggregator's partial reset clears them. */
  uint8_t signature[SR_SIGNATURE_BYTES];
  uint32_t sig_len;
  uint32_t batch_index;
  uint32_t batch_size;
  uint32_t batch_path_len;
  uint8_t batch_path[SR_BATCH_PATH_MAX][SR_BATCH_HASH_BYTES];
  struct sr_command_dim dims[SR_DIM_MAX]; /* elevated dimensions */
  uint32_t n_dims;
  char rule[SR_RULE_MAX];
  int64_t issued_at_ms;
  int64_t expires_at_ms;
};

/* "ALLOW", ...; "NONE" for SR_ACTION_NONE. */
const char *sr_action_name(enum sr_action a);
/* Case-insensitive; SR_EINVAL for an unknown word. */
int sr_action_parse(const char *s, enum sr_action *out);

/* Sets cmd->command_id from session_id, event_id and action. */
void sr_command_set_id(struct sr_command *cmd);

/* One JSON line (no trailing newline) into buf; returns its length, or
 * SR_EBOUND when buf is too small. Numbers are printed with fixed precision
 * so equal commands print equal bytes. A signed command ends with
 * "batch":{"index":I,"size":N,"path":["hex",...]} and "signature"
 * (lowercase hex). */
int sr_command_to_json(const struct sr_command *cmd, char *buf, size_t cap);

/* Serialises as stackrisk.v1.ControlCommand; returns the length or SR_EBOUND.
 * SR_COMMAND_PB_MAX bytes always suffice. */
#define SR_COMMAND_PB_MAX 16384
int sr_command_encode(const struct sr_command *cmd, uint8_t *buf, size_t cap);
/* Parses a ControlCommand; SR_EINVAL with err on bytes that do not decode. */
int sr_command_decode(const void *buf, size_t len, struct sr_command *cmd,
                      char *err, size_t errlen);

#endif
