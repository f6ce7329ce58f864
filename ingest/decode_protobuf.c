/*
 * Native protobuf decoder: stackrisk.v1.Event → sr_event.
 *
 * protobuf-c does the parsing, with an allocator that bumps the caller's
 * arena (free is a no-op: the arena is reset as a whole), so an event costs
 * no heap. The unpacked strings are NUL-terminated copies in the arena and
 * sr_event views point at them; the mapping then applies the same bounds
 * and rules as the JSON decoder.
 *
 * Two things protobuf-c does not do are done here by a walk over the wire
 * bytes, guided by the generated descriptors:
 *  - say why a message failed to unpack (protobuf-c only returns NULL): the
 *    walk names the first structural fault it finds;
 *  - reject strings holding a NUL byte. protobuf-c hands out C strings, so
 *    everything after an embedded NUL would vanish from the event; in a
 *    risk scorer that is a way to hide "; rm -rf /" from every detector.
 *    The walk runs after a successful unpack and costs one memchr per
 *    string field.
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "ingest/decode.h"
#include "ingest/decode_internal.h"
#include "schemas/stackrisk.pb-c.h"

struct pb_arena {
  struct sr_arena *arena;
  bool exhausted; /* tells "arena full" from "bad bytes" after a NULL */
};

static void *pb_alloc(void *data, size_t size) {
  struct pb_arena *pa = data;
  void *p = sr_arena_alloc(pa->arena, size ? size : 1);
  if (!p) pa->exhausted = true;
  return p;
}

static void pb_free(void *data, void *ptr) {
  (void)data;
  (void)ptr;
}

/* The wire type a field of this protobuf type is sent with. */
static unsigned wire_type_of(ProtobufCType t) {
  switch (t) {
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE:
      return 1;
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_FLOAT:
      return 5;
    case PROTOBUF_C_TYPE_STRING:
    case PROTOBUF_C_TYPE_BYTES:
    case PROTOBUF_C_TYPE_MESSAGE:
      return 2;
    default:
      return 0;
  }
}

enum fault { FAULT_NONE, FAULT_WIRE, FAULT_NUL };

/* A field's path for a fault report ("target.id", or "#99" when unknown);
 * formatted only once a fault is found, the walk itself never prints. */
static const char *label(char *buf, size_t cap, const char *prefix,
                         const ProtobufCFieldDescriptor *fd, uint64_t num) {
  if (fd) return sr_decode_field_name(buf, cap, prefix, fd->name, -1);
  snprintf(buf, cap, "%s%s#%llu", prefix ? prefix : "", prefix ? "." : "",
           (unsigned long long)num);
  return buf;
}

/*
 * Walks the fields of one message between p and end and describes the first
 * fault in why: a structural one always, a NUL byte in a string field when
 * check_nul. base is the start of the whole message, for byte offsets.
 */
static enum fault walk(const uint8_t *base, const uint8_t *p,
                       const uint8_t *end,
                       const ProtobufCMessageDescriptor *desc,
                       const char *prefix, bool check_nul, char *why,
                       size_t whylen) {
  char name[SR_DECODE_FIELD_NAME_MAX];
  while (p < end) {
    const uint8_t *at = p;
    uint64_t tag, n;
    if (!sr_decode_wire_varint(&p, end, &tag)) {
      snprintf(why, whylen, "truncated field tag at byte %zu",
               (size_t)(at - base));
      return FAULT_WIRE;
    }
    uint64_t num = tag >> 3;
    unsigned wt = (unsigned)(tag & 7);
    const ProtobufCFieldDescriptor *fd =
        num > 0 && num <= UINT32_MAX
            ? protobuf_c_message_descriptor_get_field(desc, (unsigned)num)
            : NULL;
    if (num == 0) {
      snprintf(why, whylen, "field number 0 at byte %zu", (size_t)(at - base));
      return FAULT_WIRE;
    }
    if (fd && wt != wire_type_of(fd->type) &&
        !(wt == 2 && fd->label == PROTOBUF_C_LABEL_REPEATED)) {
      snprintf(why, whylen, "field '%s' has wire type %u at byte %zu",
               label(name, sizeof name, prefix, fd, num), wt,
               (size_t)(at - base));
      return FAULT_WIRE;
    }
    switch (wt) {
      case 0:
        if (!sr_decode_wire_varint(&p, end, &n)) {
          snprintf(why, whylen, "field '%s' truncated at byte %zu",
                   label(name, sizeof name, prefix, fd, num),
                   (size_t)(end - base));
          return FAULT_WIRE;
        }
        break;
      case 1:
      case 5: {
        size_t w = wt == 1 ? 8 : 4;
        if ((size_t)(end - p) < w) {
          snprintf(why, whylen, "field '%s' truncated at byte %zu",
                   label(name, sizeof name, prefix, fd, num),
                   (size_t)(end - base));
          return FAULT_WIRE;
        }
        p += w;
        break;
      }
      case 2:
        if (!sr_decode_wire_varint(&p, end, &n) || n > (uint64_t)(end - p)) {
          snprintf(why, whylen, "field '%s' truncated at byte %zu",
                   label(name, sizeof name, prefix, fd, num),
                   (size_t)(end - base));
          return FAULT_WIRE;
        }
        if (fd && fd->type == PROTOBUF_C_TYPE_MESSAGE) {
          enum fault f = walk(base, p, p + n, fd->descriptor, fd->name,
                              check_nul, why, whylen);
          if (f != FAULT_NONE) return f;
        }
        if (check_nul && fd && fd->type == PROTOBUF_C_TYPE_STRING &&
            memchr(p, 0, (size_t)n)) {
          snprintf(why, whylen, "field '%s': string contains a NUL byte",
                   label(name, sizeof name, prefix, fd, num));
          return FAULT_NUL;
        }
        p += n;
        break;
      default:
        snprintf(
            why, whylen, "field '%s' has unsupported wire type %u at byte %zu",
            label(name, sizeof name, prefix, fd, num), wt, (size_t)(at - base));
        return FAULT_WIRE;
    }
  }
  return FAULT_NONE;
}

static int map_str(const char *s, const char *field, size_t limit, sr_str *out,
                   char *err, size_t errlen) {
  size_t n = s ? strlen(s) : 0;
  if (n > limit) return sr_decode_err_str_bound(err, errlen, field, n, limit);
  *out = (sr_str){n ? s : NULL, n};
  return 0;
}

static int map_list(char **v, size_t n, const char *field, size_t limit,
                    struct sr_str_list *out, char *err, size_t errlen) {
  char name[SR_DECODE_FIELD_NAME_MAX];
  if (n > SR_LIST_MAX) return sr_decode_err_list_bound(err, errlen, field, n);
  for (size_t i = 0; i < n; i++) {
    size_t len = strlen(v[i]);
    if (len > limit) {
      sr_decode_field_name(name, sizeof name, NULL, field, (long)i);
      return sr_decode_err_str_bound(err, errlen, name, len, limit);
    }
    out->v[i] = (sr_str){v[i], len};
  }
  out->n = (uint32_t)n;
  return 0;
}

/* Proto3 enums are open: any int may arrive. Values match ours one to one. */
static bool in_range(int v, int max) {
  return v >= 0 && v <= max;
}

static int unknown_enum(char *err, size_t errlen, const char *field,
                        const char *noun, int v) {
  return sr_decode_errf(err, errlen, SR_EINVAL, "field '%s': unknown %s %d",
                        field, noun, v);
}

#define STR(pbfield, evfield, name, limit)                             \
  do {                                                                 \
    rc = map_str((pbfield), (name), (limit), &(evfield), err, errlen); \
    if (rc) return rc;                                                 \
  } while (0)

#define LIST(pbfield, count, evfield, name, limit)                      \
  do {                                                                  \
    rc = map_list((pbfield), (count), (name), (limit), &(evfield), err, \
                  errlen);                                              \
    if (rc) return rc;                                                  \
  } while (0)

static int map_event(const Stackrisk__V1__Event *m, struct sr_event *ev,
                     char *err, size_t errlen) {
  int rc;
  if (!in_range((int)m->type, SR_EV_APPROVAL)) {
    return unknown_enum(err, errlen, "type", "event type", (int)m->type);
  }
  ev->type = (enum sr_event_type)m->type; /* UNSPECIFIED is SR_EV_NONE */
  STR(m->session_id, ev->session_id, "session_id", SR_SESSION_ID_MAX);
  STR(m->event_id, ev->event_id, "event_id", SR_ID_MAX);
  if (m->ts_ms != 0) { /* proto3 cannot tell 0 from absent */
    ev->ts_ms = m->ts_ms;
    ev->ts_given = true;
  }
  STR(m->agent_id, ev->agent_id, "agent_id", SR_ID_MAX);
  STR(m->parent_agent_id, ev->parent_agent_id, "parent_agent_id", SR_ID_MAX);

  STR(m->task, ev->task, "task", SR_TEXT_MAX);
  if (!in_range((int)m->mode, SR_MODE_READ_ONLY)) {
    return unknown_enum(err, errlen, "mode", "mode", (int)m->mode);
  }
  ev->mode = (enum sr_mode)m->mode;
  STR(m->environment, ev->environment, "environment", SR_NAME_MAX);
  if (m->scope) {
    const Stackrisk__V1__Scope *s = m->scope;
    LIST(s->environments, s->n_environments, ev->scope_environments,
         "scope.environments", SR_NAME_MAX);
    LIST(s->domains, s->n_domains, ev->scope_domains, "scope.domains",
         SR_NAME_MAX);
    LIST(s->resources, s->n_resources, ev->scope_resources, "scope.resources",
         SR_NAME_MAX);
  }
  if (m->estimate) {
    ev->estimate.steps = m->estimate->steps;
    ev->estimate.seconds = m->estimate->seconds;
    ev->estimate.cost_usd = m->estimate->cost_usd;
    ev->estimate.present = true;
  }

  if (!in_range((int)m->phase, SR_PHASE_FAILED)) {
    return unknown_enum(err, errlen, "phase", "phase", (int)m->phase);
  }
  ev->phase = (enum sr_phase)m->phase;
  STR(m->call_id, ev->call_id, "call_id", SR_ID_MAX);
  STR(m->tool, ev->tool, "tool", SR_NAME_MAX);
  STR(m->arguments, ev->arguments, "arguments", SR_TEXT_MAX);
  if (m->target) {
    const Stackrisk__V1__Target *t = m->target;
    STR(t->id, ev->target.id, "target.id", SR_NAME_MAX);
    STR(t->kind, ev->target.kind, "target.kind", SR_NAME_MAX);
    STR(t->environment, ev->target.environment, "target.environment",
        SR_NAME_MAX);
    if (!in_range((int)t->backups, SR_BACKUPS_NONE)) {
      return unknown_enum(err, errlen, "target.backups", "backups location",
                          (int)t->backups);
    }
    ev->target.backups = (enum sr_backups)t->backups;
  }
  if (m->credential) {
    const Stackrisk__V1__Credential *c = m->credential;
    STR(c->id, ev->credential.id, "credential.id", SR_ID_MAX);
    STR(c->purpose, ev->credential.purpose, "credential.purpose", SR_NAME_MAX);
    LIST(c->scopes, c->n_scopes, ev->credential.scopes, "credential.scopes",
         SR_NAME_MAX);
    LIST(c->environments, c->n_environments, ev->credential.environments,
         "credential.environments", SR_NAME_MAX);
    /* The wire cannot tell an empty list from none: no scopes means the
     * registry fills them in. */
    ev->credential.scopes_given = c->n_scopes > 0;
  }
  ev->want_verdict = m->want_verdict != 0;
  STR(m->result, ev->result, "result", SR_TEXT_MAX);
  ev->cost_usd = m->cost_usd;

  STR(m->role, ev->role, "role", SR_NAME_MAX);
  STR(m->text, ev->text, "text", SR_TEXT_MAX);

  STR(m->path, ev->path, "path", SR_NAME_MAX);
  STR(m->op, ev->op, "op", SR_NAME_MAX);
  LIST(m->credentials_found, m->n_credentials_found, ev->credentials_found,
       "credentials_found", SR_ID_MAX);

  if (m->decision && m->decision[0]) {
    sr_str d = sr_str_from(m->decision);
    char val[72];
    if (!sr_decode_decision(d, &ev->decision)) {
      return sr_decode_errf(err, errlen, SR_EINVAL,
                            "field 'decision': unknown decision '%s'",
                            sr_decode_quote(val, sizeof val, d));
    }
  }
  STR(m->approver, ev->approver, "approver", SR_NAME_MAX);
  return 0;
}

int sr_decode_protobuf(const void *buf, size_t len,
                       const struct sr_decode_opts *opts,
                       struct sr_arena *arena, struct sr_event *ev, char *err,
                       size_t errlen) {
  const uint8_t *bytes = len ? buf : (const uint8_t *)"";
  char why[160];
  int rc = sr_decode_check_size(len, opts, err, errlen);
  if (rc) return rc;
  sr_decode_reset_event(ev);

  struct pb_arena pa = {arena, false};
  ProtobufCAllocator alloc = {pb_alloc, pb_free, &pa};
  Stackrisk__V1__Event *m = stackrisk__v1__event__unpack(&alloc, len, bytes);
  if (!m) {
    if (pa.exhausted) {
      return sr_decode_errf(err, errlen, SR_ENOMEM, "decoder arena exhausted");
    }
    if (walk(bytes, bytes, bytes + len, &stackrisk__v1__event__descriptor, NULL,
             false, why, sizeof why) == FAULT_NONE) {
      return sr_decode_errf(err, errlen, SR_EINVAL,
                            "invalid protobuf: %zu bytes do not decode as "
                            "stackrisk.v1.Event",
                            len);
    }
    return sr_decode_errf(err, errlen, SR_EINVAL,
                          "invalid protobuf: %zu bytes do not decode as "
                          "stackrisk.v1.Event (%s)",
                          len, why);
  }
  /* protobuf-c has judged the structure, but for one leniency: a tag of
   * field number 0 written in more than one byte (0x80 0x00) passes as an
   * unknown field, where the router's peek refuses the message; so the walk
   * fails it too. Such a tag ends in a zero byte, and so does every string
   * with a NUL. Proto3 leaves zero values off the wire, so most events hold
   * no zero byte at all, and one memchr spares them the walk. */
  enum fault f = memchr(bytes, 0, len) ? walk(bytes, bytes, bytes + len,
                                              &stackrisk__v1__event__descriptor,
                                              NULL, true, why, sizeof why)
                                       : FAULT_NONE;
  if (f == FAULT_NUL) return sr_decode_errf(err, errlen, SR_EINVAL, "%s", why);
  if (f == FAULT_WIRE) {
    return sr_decode_errf(err, errlen, SR_EINVAL,
                          "invalid protobuf: %zu bytes do not decode as "
                          "stackrisk.v1.Event (%s)",
                          len, why);
  }
  rc = map_event(m, ev, err, errlen);
  if (rc) return rc;
  return sr_decode_finish(buf, len, opts, arena, ev, err, errlen);
}
