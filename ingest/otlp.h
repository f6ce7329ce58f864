/*
 * OTLP traces → sr_event: the decoders for what the OpenTelemetry
 * Collector's Kafka exporter writes (`otlp_proto`: one serialized
 * TracesData per message; `otlp_json`: the same as OTLP/JSON, sniffed by a
 * leading '{'), and the mapping of agent spans onto events.
 *
 * One message holds many spans, of many traces and sessions, so a decode
 * yields a batch: a list of events (in event-time order) plus the spans that
 * could not be mapped, each with a reason. Everything lives in the caller's
 * arena; nothing is heap-allocated per span.
 *
 * Which span is what (by the first attribute found among the configured
 * `span_kind` keys, else by span name):
 *   tool  (execute_tool, TOOL, tool)       → tool_call REQUESTED at the start
 *         time with the arguments, then COMPLETED (or FAILED when the status
 *         code is 2 / ERROR) at the end time with the result;
 *   agent (invoke_agent, create_agent, AGENT, agent, workflow)
 *         → session_start at its start for an agent with no agent above it
 *         in the batch; agent_message role "subagent" with its output for a
 *         sub-agent;
 *   llm   (chat, generate_content, text_completion, LLM)
 *         → agent_message role "assistant" with its output;
 *   any other span maps to nothing (counted as ignored).
 * A tool span's `cost_usd` goes on its COMPLETED/FAILED event, a model or
 * sub-agent span's on its agent_message (one is sent for the cost alone
 * when the span has no output); a span with token counts and no cost is
 * priced by the configured `token_prices` of its model, when one matches.
 * `estimate_*` on the root agent span give the session_start's estimate,
 * on a model or sub-agent span a re-plan.
 * The session id is the first configured `session_id` attribute on the
 * span, then on its nearest ancestor in the batch that has one, then on the
 * resource, and last (when `session_from_trace_id`) the trace id in hex.
 * agent_id is the agent id of the nearest agent span at or above a span,
 * parent_agent_id that of the agent span above that one.
 * Event ids are "otlp:TRACE:SPAN:PHASE" in hex, so a replay of the same
 * spans yields the same ids and thus the same command ids.
 *
 * @locality one decoder per thread; the config is shared read-only.
 */
#ifndef SR_OTLP_H
#define SR_OTLP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/config.h"
#include "ingest/decode.h"
#include "ingest/event.h"

#define SR_OTLP_KEYS_MAX 8

/* The event fields an attribute can feed; each takes a list of attribute
 * keys in precedence order. */
enum sr_otlp_field {
  SR_OTLP_SESSION_ID,
  SR_OTLP_SPAN_KIND,
  SR_OTLP_TOOL,
  SR_OTLP_CALL_ID,
  SR_OTLP_ARGUMENTS,
  SR_OTLP_RESULT,
  SR_OTLP_AGENT_ID,
  SR_OTLP_TEXT,
  SR_OTLP_TASK,
  SR_OTLP_MODE,
  SR_OTLP_SESSION_ENVIRONMENT,
  SR_OTLP_SCOPE_ENVIRONMENTS,
  SR_OTLP_SCOPE_DOMAINS,
  SR_OTLP_SCOPE_RESOURCES,
  SR_OTLP_ENVIRONMENT,
  SR_OTLP_CREDENTIAL,
  SR_OTLP_TARGET_ID,
  SR_OTLP_TARGET_KIND,
  SR_OTLP_TARGET_ENVIRONMENT,
  SR_OTLP_TARGET_BACKUPS,
  SR_OTLP_COST_USD,
  SR_OTLP_ESTIMATE_STEPS,
  SR_OTLP_ESTIMATE_SECONDS,
  SR_OTLP_ESTIMATE_COST_USD,
  SR_OTLP_INPUT_TOKENS,
  SR_OTLP_OUTPUT_TOKENS,
  SR_OTLP_MODEL,
  SR_OTLP_FIELDS
};

#define SR_OTLP_PRICES_MAX 32

/* What a model's tokens cost, for spans that report tokens but no cost:
 * the first entry whose glob matches the model name applies. */
struct sr_otlp_price {
  const char *model;            /* fnmatch(3) glob, borrowed from the tree */
  double input_usd, output_usd; /* per million tokens */
};

struct sr_otlp_keys {
  const char *key[SR_OTLP_KEYS_MAX]; /* borrowed: config tree or literals */
  size_t n;
};

/* The `otlp:` config section. */
struct sr_otlp_config {
  bool enabled;
  const char *topic;             /* OTLP input, default "otlp_spans" */
  const char *repartition_topic; /* internal, default "stackrisk.repartition" */
  const char *group;             /* NULL: the main group + "-otlp" */
  bool session_from_trace_id;
  long long linger_ms; /* repartition producer */
  struct sr_otlp_keys keys[SR_OTLP_FIELDS];
  struct sr_otlp_price prices[SR_OTLP_PRICES_MAX];
  size_t n_prices;
};

/* The YAML name of a field ("session_id", "tool", ...). */
const char *sr_otlp_field_name(enum sr_otlp_field f);

/* Reads the `otlp:` section (NULL: all defaults; the defaults are the GenAI,
 * OpenInference and OpenLLMetry conventions). Strings are borrowed from the
 * tree. SR_EINVAL with err naming file, line and key. */
int sr_otlp_config_read(const struct sr_conf_node *otlp,
                        struct sr_otlp_config *cfg, char *err, size_t errlen);

/* A span that did not map; reason is NUL-terminated, in the arena, and
 * names the span id ("span 00f067aa0ba902b7: ..."). */
struct sr_otlp_reject {
  uint32_t span; /* index for sr_otlp_encode_span */
  const char *reason;
};

struct sr_otlp_span_ref; /* private: a span with its resource and scope */

struct sr_otlp_batch {
  struct sr_event **events; /* sorted by (ts_ms, session starts first) */
  size_t n_events;
  struct sr_otlp_reject *rejects;
  size_t n_rejects;
  size_t n_spans;   /* spans in the message */
  size_t n_ignored; /* spans that are neither tool, agent nor llm */
  const struct sr_otlp_span_ref *spans; /* private */
};

struct sr_otlp_decoder;

/* cfg is borrowed and must outlive the decoder. */
struct sr_otlp_decoder *sr_otlp_decoder_create(const struct sr_otlp_config *cfg,
                                               char *err, size_t errlen);
void sr_otlp_decoder_destroy(struct sr_otlp_decoder *d);

/*
 * Decodes one message (otlp_json when its first non-blank byte is '{' and,
 * if blanks come first, it is not well-formed otlp_proto; otlp_proto
 * otherwise) and maps its spans. A whole-message failure (bytes
 * that are not TracesData, a bound broken, arena exhausted) returns
 * SR_EINVAL, SR_EBOUND or SR_ENOMEM with the reason in err; a span that does
 * not map is only listed in out->rejects. opts->fallback_ts_ms stands in for
 * a span without timestamps. Events borrow from buf and arena; their raw,
 * partition and offset are unset (NULL, -1, -1).
 * @locality the decoder's thread.
 */
int sr_otlp_decode(struct sr_otlp_decoder *d, const void *buf, size_t len,
                   const struct sr_decode_opts *opts, struct sr_arena *arena,
                   struct sr_otlp_batch *out, char *err, size_t errlen);

/* Span `i` of a decoded batch alone, with its resource and scope, as an
 * otlp_proto TracesData in the arena (for its dead letter). */
int sr_otlp_encode_span(const struct sr_otlp_batch *b, uint32_t i,
                        struct sr_arena *arena, sr_str *out);

#endif
