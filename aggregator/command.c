/*
 * Control command forms. The JSON line is built by hand into a bounded
 * buffer (no allocation, stable byte-for-byte output); the protobuf form is
 * written by hand too (see sr_command_encode) and read with protobuf-c's
 * generated code.
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

int sr_command_to_json(const struct sr_command *cmd, char *out, size_t cap) {
  struct sr_buf b = sr_buf_init(out, cap);
  sr_buf_puts(&b, "{\"command_id\":");
  sr_buf_json_string(&b, sr_str_from(cmd->command_id));
  sr_buf_puts(&b, ",\"session_id\":");
  sr_buf_json_string(&b, sr_str_from(cmd->session_id));
  sr_buf_puts(&b, ",\"call_id\":");
  sr_buf_json_string(&b, sr_str_from(cmd->call_id));
  sr_buf_puts(&b, ",\"action\":\"");
  sr_buf_puts(&b, sr_action_name(cmd->action));
  sr_buf_puts(&b, "\",\"risk\":");
  sr_buf_fixed(&b, cmd->risk, 3);
  sr_buf_puts(&b, ",\"depth\":");
  sr_buf_u64(&b, cmd->depth);
  sr_buf_puts(&b, ",\"dimensions\":{");
  for (uint32_t i = 0; i < cmd->n_dims; i++) {
    if (i) sr_buf_puts(&b, ",");
    sr_buf_json_string(&b, sr_str_from(cmd->dims[i].name));
    sr_buf_puts(&b, ":");
    sr_buf_fixed(&b, cmd->dims[i].score, 3);
  }
  sr_buf_puts(&b, "},\"rule\":");
  sr_buf_json_string(&b, sr_str_from(cmd->rule));
  sr_buf_puts(&b, ",\"reasons\":[");
  for (uint32_t i = 0; i < cmd->n_dims; i++) {
    if (i) sr_buf_puts(&b, ",");
    sr_buf_json_string(&b, sr_str_from(cmd->dims[i].reason));
  }
  sr_buf_puts(&b, "],\"issued_at_ms\":");
  sr_buf_i64(&b, cmd->issued_at_ms);
  sr_buf_puts(&b, ",\"expires_at_ms\":");
  sr_buf_i64(&b, cmd->expires_at_ms);
  sr_buf_puts(&b, ",\"event_id\":");
  sr_buf_json_string(&b, sr_str_from(cmd->event_id));
  if (cmd->sig_len) {
    sr_buf_puts(&b, ",\"batch\":{\"index\":");
    sr_buf_u64(&b, cmd->batch_index);
    sr_buf_puts(&b, ",\"size\":");
    sr_buf_u64(&b, cmd->batch_size);
    sr_buf_puts(&b, ",\"path\":[");
    uint32_t n_path = SR_MIN(cmd->batch_path_len, (uint32_t)SR_BATCH_PATH_MAX);
    for (uint32_t i = 0; i < n_path; i++) {
      sr_buf_puts(&b, i ? ",\"" : "\"");
      sr_buf_hex(&b, cmd->batch_path[i], SR_BATCH_HASH_BYTES);
      sr_buf_puts(&b, "\"");
    }
    sr_buf_puts(&b, "]},\"signature\":\"");
    sr_buf_hex(&b, cmd->signature, cmd->sig_len);
    sr_buf_puts(&b, "\"");
  }
  sr_buf_puts(&b, "}");
  return b.overflow ? SR_EBOUND : (int)b.len;
}

/* The protobuf form written directly: every command a worker publishes is
 * encoded once, and protobuf-c's generic packer (a size pass, then a pass
 * over field descriptors) cost ~4,300 instructions a command. The output is
 * byte for byte protobuf-c's (tests/unit/aggregator/test_command.c checks
 * it against the generated packer): fields in number order, proto3
 * scalars, strings and bytes left out when zero or empty. */
struct pbw {
  uint8_t *p, *end;
  bool over;
};

static size_t varint_len(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) v >>= 7, n++;
  return n;
}

static void pb_varint(struct pbw *w, uint64_t v) {
  if (w->over || (size_t)(w->end - w->p) < varint_len(v)) {
    w->over = true;
    return;
  }
  while (v >= 0x80) {
    *w->p++ = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  *w->p++ = (uint8_t)v;
}

static void pb_bytes(struct pbw *w, unsigned field, const void *data,
                     size_t n) {
  pb_varint(w, (uint64_t)field << 3 | 2);
  pb_varint(w, n);
  if (w->over || (size_t)(w->end - w->p) < n) {
    w->over = true;
    return;
  }
  if (n) memcpy(w->p, data, n);
  w->p += n;
}

static void pb_string(struct pbw *w, unsigned field, const char *s) {
  if (*s) pb_bytes(w, field, s, strlen(s));
}

static void pb_uint(struct pbw *w, unsigned field, uint64_t v) {
  if (!v) return;
  pb_varint(w, (uint64_t)field << 3);
  pb_varint(w, v);
}

static void pb_double(struct pbw *w, unsigned field, double v) {
  if (v == 0) return; /* -0.0 too, as protobuf-c compares */
  pb_varint(w, (uint64_t)field << 3 | 1);
  if (w->over || w->end - w->p < 8) {
    w->over = true;
    return;
  }
  uint64_t u;
  memcpy(&u, &v, 8);
  for (int i = 0; i < 8; i++) *w->p++ = (uint8_t)(u >> (8 * i));
}

/* The length of a Dimension as pb_* write it. */
static size_t dim_len(const struct sr_command_dim *d, size_t name_n,
                      size_t reason_n) {
  size_t n = 0;
  if (name_n) n += 1 + varint_len(name_n) + name_n;
  if ((double)d->score != 0) n += 9;
  if (reason_n) n += 1 + varint_len(reason_n) + reason_n;
  return n;
}

int sr_command_encode(const struct sr_command *cmd, uint8_t *buf, size_t cap) {
  struct pbw w = {buf, buf + cap, false};
  pb_string(&w, 1, cmd->command_id);
  pb_string(&w, 2, cmd->session_id);
  pb_string(&w, 3, cmd->call_id);
  pb_uint(&w, 4, (uint32_t)cmd->action); /* an enum packs as int32 */
  pb_double(&w, 5, cmd->risk);
  pb_uint(&w, 6, cmd->depth);
  for (uint32_t i = 0; i < cmd->n_dims; i++) {
    const struct sr_command_dim *d = &cmd->dims[i];
    size_t name_n = strlen(d->name), reason_n = strlen(d->reason);
    pb_varint(&w, 7 << 3 | 2);
    pb_varint(&w, dim_len(d, name_n, reason_n));
    if (name_n) pb_bytes(&w, 1, d->name, name_n);
    pb_double(&w, 2, d->score);
    if (reason_n) pb_bytes(&w, 3, d->reason, reason_n);
  }
  pb_string(&w, 8, cmd->rule);
  pb_uint(&w, 9, (uint64_t)cmd->issued_at_ms);
  pb_uint(&w, 10, (uint64_t)cmd->expires_at_ms);
  pb_string(&w, 11, cmd->event_id);
  if (cmd->sig_len) pb_bytes(&w, 15, cmd->signature, cmd->sig_len);
  pb_uint(&w, 16, cmd->batch_index);
  pb_uint(&w, 17, cmd->batch_size);
  /* A path that arrived malformed leaves as one byte, malformed again. */
  size_t path_n = cmd->batch_path_len <= SR_BATCH_PATH_MAX
                      ? cmd->batch_path_len * SR_BATCH_HASH_BYTES
                      : 1;
  if (path_n) pb_bytes(&w, 18, cmd->batch_path, path_n);
  return w.over ? SR_EBOUND : (int)(w.p - buf);
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
