/*
 * A small, strict (RFC 8259), zero-copy JSON pull reader for the decoders.
 *
 * Nothing is built: the caller walks the document with object_next /
 * array_next and reads each value with the function for the type it
 * expects, or skips it. Strings come back as views into the input unless
 * they contain escapes; those are unescaped (\uXXXX and surrogate pairs to
 * UTF-8) into the arena. Nesting is bounded by SR_JSON_MAX_DEPTH. Errors
 * carry the byte offset: "invalid JSON at byte 17: expected ':'".
 *
 * @locality the calling thread; a reader is a stack object over one buffer.
 */
#ifndef SR_JSON_H
#define SR_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/sr.h"

#define SR_JSON_MAX_DEPTH 64

enum sr_json_type {
  SR_JSON_INVALID = 0, /* end of input, or a byte no value starts with */
  SR_JSON_NULL,
  SR_JSON_FALSE,
  SR_JSON_TRUE,
  SR_JSON_NUMBER,
  SR_JSON_STRING,
  SR_JSON_ARRAY,
  SR_JSON_OBJECT,
};

/*
 * Reader state. Fields are private to json.c; the struct is public only so
 * that a reader can live on the stack.
 */
struct sr_json {
  const char *p;   /* cursor: next unread byte */
  const char *beg; /* start of the buffer, for error offsets */
  const char *end;
  struct sr_arena *arena; /* unescaped strings; may be NULL */
  char *err;
  size_t errlen;
  uint32_t depth; /* containers opened by object_begin/array_begin */
  uint64_t more;  /* bit d-1: the container at depth d has had an item */
};

/* buf is borrowed for the reader's lifetime and for every view it returns.
 * arena may be NULL when no escaped string will be read with
 * sr_json_string (raw reads and skips never allocate); err may be NULL. */
void sr_json_init(struct sr_json *j, const void *buf, size_t len,
                  struct sr_arena *arena, char *err, size_t errlen);

/* Skips whitespace and classifies the next value by its first byte, without
 * consuming or validating it. */
enum sr_json_type sr_json_peek(struct sr_json *j);

/* "object", "array", "string", "number", "boolean", "null"; "nothing" for
 * SR_JSON_INVALID. For error messages. */
const char *sr_json_type_name(enum sr_json_type t);

/* Byte offset of the cursor. */
size_t sr_json_offset(const struct sr_json *j);

/*
 * Objects: object_begin consumes '{'; each object_next then returns 1 with
 * the key of the next member and the cursor on its value (which the caller
 * must consume, by a read or sr_json_skip), or 0 after consuming '}'.
 * An escaped key is unescaped into the arena. object_next_raw gives the key
 * as the raw text between its quotes and whether it holds escapes; it never
 * allocates. All return a negative SR_E* on error. A plain member of compact
 * JSON (`"key":` with no blank and no escape, most of every event) is read
 * in one step before the general path is tried.
 */
int sr_json_object_begin(struct sr_json *j);
int sr_json_object_next(struct sr_json *j, sr_str *key);
int sr_json_object_next_raw(struct sr_json *j, sr_str *raw, bool *escaped);

/* A string value at the cursor when it is plain (no escape, no control
 * byte): reads it, *value the text between the quotes, and returns true.
 * Otherwise false and the reader untouched, for sr_json_string or
 * sr_json_skip to read the same bytes and report what is wrong with them.
 * Never an error. @locality hot path */
bool sr_json_plain_string(struct sr_json *j, sr_str *value);

/* Arrays: as objects, without keys. */
int sr_json_array_begin(struct sr_json *j);
int sr_json_array_next(struct sr_json *j);

/* Reads a string: a view into the buffer, or into the arena when it held
 * escapes (SR_ENOMEM when the arena is full or absent). */
int sr_json_string(struct sr_json *j, sr_str *out);
/* Reads and validates a string, returning the text between the quotes as
 * is, and whether it holds escapes. Never allocates. */
int sr_json_string_raw(struct sr_json *j, sr_str *raw, bool *escaped);
/*
 * Unescapes raw (validated by sr_json_string_raw) into dst; returns the
 * length written, or SIZE_MAX when it would exceed cap. The result is never
 * longer than raw, so cap >= raw.n always suffices.
 */
size_t sr_json_unescape(sr_str raw, char *dst, size_t cap);

/* Reads a number, validated against the grammar; *text is its text and
 * *integral says it has neither fraction nor exponent. */
int sr_json_number(struct sr_json *j, sr_str *text, bool *integral);
/* Converts number text read by sr_json_number. to_int64 accepts "1e3" or
 * "2.0" (integral values); it returns SR_EINVAL for a fraction and
 * SR_EBOUND when the value does not fit. to_double returns SR_EBOUND for
 * text longer than 127 bytes. Neither writes err. */
int sr_json_to_int64(sr_str text, int64_t *out);
int sr_json_to_double(sr_str text, double *out);

int sr_json_bool(struct sr_json *j, bool *out);
int sr_json_null(struct sr_json *j);

/* Skips one value of any type, validating it; *raw (if not NULL) is its
 * exact text. Never allocates. */
int sr_json_skip(struct sr_json *j, sr_str *raw);

/* Succeeds when only whitespace is left. */
int sr_json_finish(struct sr_json *j);

#endif
