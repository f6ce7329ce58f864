/*
 * Control command forms. The JSON line is built by hand into a bounded
 * buffer (no allocation, stable byte-for-byte output); the protobuf form is
 * written by hand too (see sr_command_encode) and read with protobuf-c's
 * generated code.
 */
#include "aggregator/command.h"

#include <assert.h>
#include <math.h>
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

/* A score or risk as a JSON number; JSON has no NaN or infinity, which a
 * forged or corrupt command could carry. */
static void json_number(struct sr_buf *b, double v) {
  if (isfinite(v))
    sr_buf_fixed(b, v, 3);
  else
    sr_buf_puts(b, "null");
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
  json_number(&b, cmd->risk);
  sr_buf_puts(&b, ",\"depth\":");
  sr_buf_u64(&b, cmd->depth);
  sr_buf_puts(&b, ",\"dimensions\":{");
  for (uint32_t i = 0; i < cmd->n_dims; i++) {
    if (i) sr_buf_puts(&b, ",");
    sr_buf_json_string(&b, sr_str_from(cmd->dims[i].name));
    sr_buf_puts(&b, ":");
    json_number(&b, cmd->dims[i].score);
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
 * scalars, strings and bytes left out when zero or empty.
 *
 * Written without a bound check per field (checked writes cost ~1,750
 * instructions a command): straight into buf when it has room for the
 * largest command (the worker's does), else into a local buffer, copied
 * when it fits. The strings are the struct's NUL-terminated arrays, so
 * each is shorter than its array. */
#define FIELD_SIZE(f) sizeof(((const struct sr_command *)0)->f)
/* A string or bytes field of at most n bytes: a tag of up to 2 bytes, a
 * length of up to 3. */
#define PB_LEN_FIELD(n) (2 + 3 + (n))
#define PB_DIM_MAX                                                 \
  PB_LEN_FIELD(PB_LEN_FIELD(FIELD_SIZE(dims[0].name)) + 1 + 8 +    \
               PB_LEN_FIELD(FIELD_SIZE(dims[0].reason)))
#define PB_BOUND                                                          \
  (PB_LEN_FIELD(FIELD_SIZE(command_id)) +                                 \
   PB_LEN_FIELD(FIELD_SIZE(session_id)) + PB_LEN_FIELD(FIELD_SIZE(call_id)) + \
   PB_LEN_FIELD(FIELD_SIZE(rule)) + PB_LEN_FIELD(FIELD_SIZE(event_id)) +  \
   PB_LEN_FIELD(SR_SIGNATURE_BYTES) +                                     \
   PB_LEN_FIELD(SR_BATCH_PATH_MAX * SR_BATCH_HASH_BYTES) +                \
   SR_DIM_MAX * PB_DIM_MAX + 7 * (2 + 10) + 1 + 8)
_Static_assert(PB_BOUND <= SR_COMMAND_PB_MAX,
               "SR_COMMAND_PB_MAX must cover the largest command");

static size_t varint_len(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) v >>= 7, n++;
  return n;
}

static inline uint8_t *pb_varint(uint8_t *o, uint64_t v) {
  while (v >= 0x80) {
    *o++ = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  *o++ = (uint8_t)v;
  return o;
}

static inline uint8_t *pb_bytes(uint8_t *o, unsigned field, const void *data,
                                size_t n) {
  o = pb_varint(o, (uint64_t)field << 3 | 2);
  o = pb_varint(o, n);
  memcpy(o, data, n);
  return o + n;
}

static inline uint8_t *pb_string(uint8_t *o, unsigned field, const char *s) {
  size_t n = strlen(s);
  return n ? pb_bytes(o, field, s, n) : o;
}

static inline uint8_t *pb_uint(uint8_t *o, unsigned field, uint64_t v) {
  if (!v) return o;
  return pb_varint(pb_varint(o, (uint64_t)field << 3), v);
}

static inline uint8_t *pb_double(uint8_t *o, unsigned field, double v) {
  if (v == 0) return o; /* -0.0 too, as protobuf-c compares */
  o = pb_varint(o, (uint64_t)field << 3 | 1);
  uint64_t u;
  memcpy(&u, &v, 8);
  for (int i = 0; i < 8; i++) *o++ = (uint8_t)(u >> (8 * i));
  return o;
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
  uint8_t local[PB_BOUND];
  uint8_t *start = cap >= PB_BOUND ? buf : local, *o = start;
  o = pb_string(o, 1, cmd->command_id);
  o = pb_string(o, 2, cmd->session_id);
  o = pb_string(o, 3, cmd->call_id);
  o = pb_uint(o, 4, (uint32_t)cmd->action); /* an enum packs as int32 */
  o = pb_double(o, 5, cmd->risk);
  o = pb_uint(o, 6, cmd->depth);
  uint32_t n_dims = SR_MIN(cmd->n_dims, (uint32_t)SR_DIM_MAX);
  for (uint32_t i = 0; i < n_dims; i++) {
    const struct sr_command_dim *d = &cmd->dims[i];
    size_t name_n = strlen(d->name), reason_n = strlen(d->reason);
    o = pb_varint(o, 7 << 3 | 2);
    o = pb_varint(o, dim_len(d, name_n, reason_n));
    if (name_n) o = pb_bytes(o, 1, d->name, name_n);
    o = pb_double(o, 2, d->score);
    if (reason_n) o = pb_bytes(o, 3, d->reason, reason_n);
  }
  o = pb_string(o, 8, cmd->rule);
  o = pb_uint(o, 9, (uint64_t)cmd->issued_at_ms);
  o = pb_uint(o, 10, (uint64_t)cmd->expires_at_ms);
  o = pb_string(o, 11, cmd->event_id);
  if (cmd->sig_len)
    o = pb_bytes(o, 15, cmd->signature,
                 SR_MIN(cmd->sig_len, (uint32_t)SR_SIGNATURE_BYTES));
  o = pb_uint(o, 16, cmd->batch_index);
  o = pb_uint(o, 17, cmd->batch_size);
  /* A path that arrived malformed leaves as one byte, malformed again. */
  size_t path_n = cmd->batch_path_len <= SR_BATCH_PATH_MAX
                      ? cmd->batch_path_len * SR_BATCH_HASH_BYTES
                      : 1;
  if (path_n) o = pb_bytes(o, 18, cmd->batch_path, path_n);
  size_t n = (size_t)(o - start);
  assert(n <= PB_BOUND);
  if (n > cap) return SR_EBOUND;
  if (start == local) memcpy(buf, local, n);
  return (int)n;
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
