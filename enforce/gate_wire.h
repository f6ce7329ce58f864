/*
 * Wire form between hook processes and the gate sidecar, one frame each way
 * per connection:
 *   request:  "SRG1 <session len> <call len> <event len> <deadline ms>
 *              <hold ms>\n" + the three (deadline, hold: -1 for the
 *              sidecar's own)
 *   response: "SRG1 <action> <source> <reason len>\n" + reason
 * Lengths are decimal byte counts; the session, call and event are the
 * fields of struct sr_hook_request.
 */
#ifndef SR_GATE_WIRE_H
#define SR_GATE_WIRE_H

#include <stddef.h>

/* Whole buffers over a stream socket: 0, SR_EIO, or (read, with a receive
 * timeout set) SR_ETIMEOUT. */
int sr_wire_write(int fd, const void *buf, size_t n);
int sr_wire_read(int fd, void *buf, size_t n);
/* Reads one "SRG1 ...\n" header line (cap bytes at most), NUL-terminated
 * without its newline. */
int sr_wire_header(int fd, char *line, size_t cap);

#endif
