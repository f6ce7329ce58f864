/*
 * Private to the OTLP decoders (otlp.c, otlp_json.c): both wire forms are
 * unpacked into the same protobuf-c structures (in the arena), so that one
 * mapping serves both.
 */
#ifndef SR_OTLP_INTERNAL_H
#define SR_OTLP_INTERNAL_H

#include <stddef.h>

#include "core/arena.h"
#include "schemas/otlp.pb-c.h"

typedef Stackrisk__Otlp__V1__TracesData sr_otlp_traces;

/* OTLP/JSON (hex ids, enums as numbers or names, 64-bit integers as
 * strings or numbers, camelCase or snake_case keys, unknown keys ignored)
 * → TracesData in the arena. SR_EINVAL / SR_ENOMEM with err. */
int sr_otlp_json_unpack(const void *buf, size_t len, struct sr_arena *arena,
                        sr_otlp_traces **out, char *err, size_t errlen);

#endif
