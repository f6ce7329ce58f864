/*
 * Control command forms. The JSON line is built by hand into a bounded
 * buffer (no allocation, stable byte-for-byte output); the protobuf form goes
 * through protobuf-c's generated code with stack-held sub-messages.
 */
#include "aggregator/command.h"

#include <stdio.h>
#include <strings.h>
#include <xxhash.h>

#include "core/buf.h"
#include "schemas/stackrisk.pb-c.h"

static const char *const action_names[] = {"NONE", "ALLOW", "ESCALATE",
                                           "BLOCK", "KILL"};

const char *sr_action_name(enum sr_action a) {
  return (unsigned)a < SR_ARRAY_LEN(action_names) ? action_names[a] : "NONE";
}

int sr_action_parse(const char *s, enum sr_action *out) {
  for (size_t i = 1; i < SR_ARRAY_LEN(action_names); i++) {
    if (strcasecmp(s, action_names[i]) == 0) {
      *out = (enum sr_action)i;
      return SR_OK;
    }
  }
  return SR_EINVAL;
}

void sr_command_set_id(struct sr_command *cmd) {
  /* session NUL event NUL action: the separators keep ("ab","c") and
   * ("a","bc") apart. */
  char in[sizeof cmd->session_id + sizeof cmd->event_id + 16];
  struct sr_buf b = sr_buf_init(in, sizeof in);
  sr_buf_append(&b, cmd->session_id, strlen(cmd->session_id) + 1);
  sr_buf_append(&b, cmd->event_id, strlen(cmd->event_id) + 1);
  sr_buf_puts(&b, sr_action_name(cmd->action));
  XXH128_hash_t h = XXH3_128bits(in, b.len);
  /* Hex of high then low 64 bits, as "%016llx%016llx" would print them
   * (snprintf cost more than the hash, once per command). */
  static const char digits[] = "0123456789abcdef";
  const uint64_t halves[2] = {h.high64, h.low64};
  char *out = cmd->command_id;
  for (int k = 0; k < 2; k++, out += 16) {
    uint64_t v = halves[k];
    for (int i = 15; i >= 0; i--, v >>= 4) out[i] = digits[v & 15];
  }
  *out = '\0';
}

static void hex(struct sr_buf *b, const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++) sr_buf_printf(b, "%02x", p[i]);
}

int sr_command_to_json(const struct sr_command *cmd, char *out, size_t cap) {
  struct sr_buf b = sr_buf_init(out, cap);
  sr_buf_puts(&b, "{\"command_id\":");
  sr_buf_json_string(&b, sr_str_from(cmd->command_id));
  sr_buf_puts(&b, ",\"session_id\":");
  sr_buf_json_string(&b, sr_str_from(cmd->session_id));
  sr_buf_puts(&b, ",\"call_id\":");
  sr_buf_json_string(&b, sr_str_from(cmd->call_id));
  sr_buf_printf(&b, ",\"action\":\"%s\",\"risk\":%.3f,\"depth\":%u",
                sr_action_name(cmd->action), cmd->risk, cmd->depth);
  sr_buf_puts(&b, ",\"dimensions\":{");
  for (uint32_t i = 0; i < cmd->n_dims; i++) {
    if (i) sr_buf_puts(&b, ",");
    sr_buf_json_string(&b, sr_str_from(cmd->dims[i].name));
    sr_buf_printf(&b, ":%.3f", cmd->dims[i].score);
  }
  sr_buf_puts(&b, "},\"rule\":");
  sr_buf_json_string(&b, sr_str_from(cmd->rule));
  sr_buf_puts(&b, ",\"reasons\":[");
  for (uint32_t i = 0; i < cmd->n_dims; i++) {
    if (i) sr_buf_puts(&b, ",");
    sr_buf_json_string(&b, sr_str_from(cmd->dims[i].reason));
  }
  sr_buf_printf(&b, "],\"issued_at_ms\":%lld,\"expires_at_ms\":%lld",
                (long long)cmd->issued_at_ms, (long long)cmd->expires_at_ms);
  sr_buf_puts(&b, ",\"event_id\":");
  sr_buf_json_string(&b, sr_str_from(cmd->event_id));
  if (cmd->sig_len) {
    sr_buf_printf(&b, ",\"batch\":{\"index\":%u,\"size\":%u,\"path\":[",
                  cmd->batch_index, cmd->batch_size);
    uint32_t n_path = SR_MIN(cmd->batch_path_len, (uint32_t)SR_BATCH_PATH_MAX);
    for (uint32_t i = 0; i < n_path; i++) {
      sr_buf_puts(&b, i ? ",\"" : "\"");
      hex(&b, cmd->batch_path[i], SR_BATCH_HASH_BYTES);
      sr_buf_puts(&b, "\"");
    }
    sr_buf_puts(&b, "]},\"signature\":\"");
    hex(&b, cmd->signature, cmd->sig_len);
    sr_buf_puts(&b, "\"");
  }
  sr_buf_puts(&b, "}");
  return b.overflow ? SR_EBOUND : (int)b.len;
}

int sr_command_encode(const struct sr_command *cmd, uint8_t *buf, size_t cap) {
  Stackrisk__V1__ControlCommand m = STACKRISK__V1__CONTROL_COMMAND__INIT;
  Stackrisk__V1__Dimension dims[SR_DIM_MAX];
  Stackrisk__V1__Dimension *dimp[SR_DIM_MAX];
  /* protobuf-c wants char *, but only reads through these pointers. */
  m.command_id = (char *)cmd->command_id;
  m.session_id = (char *)cmd->session_id;
  m.call_id = (char *)cmd->call_id;
  m.action = (Stackrisk__V1__Action)cmd->action;
  m.risk = cmd->risk;
  m.depth = cmd->depth;
  for (uint32_t i = 0; i < cmd->n_dims; i++) {
    stackrisk__v1__dimension__init(&dims[i]);
    dims[i].name = (char *)cmd->dims[i].name;
    dims[i].score = cmd->dims[i].score;
    dims[i].reason = (char *)cmd->dims[i].reason;
    dimp[i] = &dims[i];
  }
  m.n_dimensions = cmd->n_dims;
  m.dimensions = dimp;
  m.rule = (char *)cmd->rule;
  m.issued_at_ms = cmd->issued_at_ms;
  m.expires_at_ms = cmd->expires_at_ms;
  m.event_id = (char *)cmd->event_id;
  m.signature.data = (uint8_t *)cmd->signature;
  m.signature.len = cmd->sig_len;
  m.batch_index = cmd->batch_index;
  m.batch_size = cmd->batch_size;
  m.batch_path.data = (uint8_t *)cmd->batch_path;
  /* A path that arrived malformed leaves as one byte, malformed again. */
  m.batch_path.len = cmd->batch_path_len <= SR_BATCH_PATH_MAX
                         ? cmd->batch_path_len * SR_BATCH_HASH_BYTES
                         : 1;
  size_t need = stackrisk__v1__control_command__get_packed_size(&m);
  if (need > cap) return SR_EBOUND;
  return (int)stackrisk__v1__control_command__pack(&m, buf);
}

int sr_command_decode(const void *buf, size_t len, struct sr_command *cmd,
                      char *err, size_t errlen) {
  Stackrisk__V1__ControlCommand *m =
      stackrisk__v1__control_command__unpack(NULL, len, buf);
  if (!m) {
    snprintf(err, errlen,
             "%zu bytes do not decode as stackrisk.v1.ControlCommand", len);
    return SR_EINVAL;
  }
  memset(cmd, 0, sizeof *cmd);
  sr_str_copy(cmd->command_id, sizeof cmd->command_id,
              sr_str_from(m->command_id));
  sr_str_copy(cmd->session_id, sizeof cmd->session_id,
              sr_str_from(m->session_id));
  sr_str_copy(cmd->call_id, sizeof cmd->call_id, sr_str_from(m->call_id));
  sr_str_copy(cmd->event_id, sizeof cmd->event_id, sr_str_from(m->event_id));
  sr_str_copy(cmd->rule, sizeof cmd->rule, sr_str_from(m->rule));
  cmd->action = (unsigned)m->action <= SR_ACTION_KILL ? (enum sr_action)m->action
                                                      : SR_ACTION_NONE;
  cmd->risk = m->risk;
  cmd->depth = m->depth;
  cmd->n_dims = (uint32_t)SR_MIN(m->n_dimensions, (size_t)SR_DIM_MAX);
  for (uint32_t i = 0; i < cmd->n_dims; i++) {
    sr_str_copy(cmd->dims[i].name, sizeof cmd->dims[i].name,
                sr_str_from(m->dimensions[i]->name));
    sr_str_copy(cmd->dims[i].reason, sizeof cmd->dims[i].reason,
                sr_str_from(m->dimensions[i]->reason));
    cmd->dims[i].score = (float)m->dimensions[i]->score;
  }
  cmd->issued_at_ms = m->issued_at_ms;
  cmd->expires_at_ms = m->expires_at_ms;
  /* A signature of another length is kept as a short one (its first byte
   * at most), so the verifier calls it forged, not unsigned. */
  if (m->signature.len) {
    cmd->sig_len = m->signature.len == SR_SIGNATURE_BYTES
                       ? SR_SIGNATURE_BYTES
                       : (uint32_t)SR_MIN(m->signature.len, (size_t)1);
    memcpy(cmd->signature, m->signature.data, cmd->sig_len);
  }
  cmd->batch_index = m->batch_index;
  cmd->batch_size = m->batch_size;
  /* Likewise a path that is not whole hashes, or longer than any batch
   * needs, is marked so that it never verifies. */
  size_t plen = m->batch_path.len;
  if (plen % SR_BATCH_HASH_BYTES ||
      plen > SR_BATCH_PATH_MAX * SR_BATCH_HASH_BYTES) {
    cmd->batch_path_len = SR_BATCH_PATH_BAD;
  } else {
    cmd->batch_path_len = (uint32_t)(plen / SR_BATCH_HASH_BYTES);
    if (plen) memcpy(cmd->batch_path, m->batch_path.data, plen);
  }
  stackrisk__v1__control_command__free_unpacked(m, NULL);
  return SR_OK;
}
