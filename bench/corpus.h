/*
 * Corpus generator for the benchmarks: a fixed-seed stream of realistic agent
 * events over many sessions, in the JSON-lines contract. The mix (per
 * event): 8% agent messages, 8% file reads, the rest tool calls as
 * requested/completed pairs (the completion repeats the call's id and
 * arguments and adds a short result), 10% of requests gated
 * (want_verdict), drawn from real command shapes with varying paths, names
 * and numbers (one call in 400 destructive), each session opened by a
 * session_start. Same seed, same bytes.
 */
#ifndef SR_BENCH_CORPUS_H
#define SR_BENCH_CORPUS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct corpus {
  char **line;
  size_t *len;
  size_t n;
  size_t bytes;
};

static uint64_t corpus_rand(uint64_t *s) {
  /* xorshift64*: fast, good enough, reproducible */
  *s ^= *s >> 12;
  *s ^= *s << 25;
  *s ^= *s >> 27;
  return *s * 2685821657736338717ULL;
}

/*
 * Call shapes: tool, arguments (printf format over one word and one number,
 * so calls differ the way real ones do: other paths, branches, ids; only
 * `git status`, `rm -rf ./build ./dist` and `terraform plan` repeat
 * verbatim, as such commands do in real sessions), and the result its
 * completion carries.
 */
struct corpus_call {
  const char *tool, *args, *result;
};

static const struct corpus_call corpus_calls[] = {
    {"Bash", "{\"command\":\"ls -la src/%s/ | head -%u\"}",
     "total %u\\ndrwxr-xr-x 5 dev dev 4096 index.ts"},
    {"Bash", "{\"command\":\"git status --short\"}", " M src/app.ts\\n?? %s.md"},
    {"Bash", "{\"command\":\"grep -rn \\\"%s\\\" src/ | head -%u\"}",
     "src/app.ts:%u: // TODO %s"},
    {"Bash", "{\"command\":\"npm test -- --runInBand src/%s/case%u.test.ts\"}",
     "Tests: %u passed, %u total"},
    {"Bash", "{\"command\":\"kubectl logs deploy/%s -n staging --since=%um\"}",
     "%s listening on :%u"},
    {"Bash", "{\"command\":\"rm -rf ./build ./dist\"}", ""},
    {"Bash", "{\"command\":\"git push origin feature/%s-%u\"}",
     "To github.com:acme/app.git\\n * [new branch] feature/%s"},
    {"Read", "{\"file_path\":\"/repo/src/%s/routes%u.ts\"}",
     "export function %s() { return %u; }"},
    {"Edit", "{\"file_path\":\"/repo/src/%s.ts\",\"old_string\":\"let x = %u\","
             "\"new_string\":\"const x = %u\"}",
     "The file has been updated."},
    {"Grep", "{\"pattern\":\"%s\",\"path\":\"src\"}", "src/%s.ts:%u"},
    {"mcp__db__query", "{\"sql\":\"SELECT id, email FROM %s WHERE "
                       "deleted_at IS NULL LIMIT %u\"}",
     "[{\\\"id\\\":%u,\\\"email\\\":\\\"%s@example.com\\\"}]"},
    {"mcp__db__query", "{\"sql\":\"DELETE FROM sessions WHERE expires_at < "
                       "now()\"}",
     "DELETE %u"},
    {"railway.graphql", "{\"query\":\"mutation { customDomainCreate(input: "
                        "{domain: \\\"%s%u.example.com\\\"}) { id } }\"}",
     "{\\\"data\\\":{\\\"customDomainCreate\\\":{\\\"id\\\":\\\"cd-%u\\\"}}}"},
    {"Bash", "{\"command\":\"terraform plan -out=tfplan\"}",
     "Plan: %u to add, 0 to change, 0 to destroy."},
    {"Bash", "{\"command\":\"psql -c 'DROP TABLE %s_%u CASCADE'\"}", "DROP TABLE"},
    {"railway.graphql", "{\"query\":\"mutation { volumeDelete(volumeId: "
                        "\\\"vol-prod-%u\\\") }\"}",
     "{\\\"data\\\":{\\\"volumeDelete\\\":true}}"},
};

/* The variable word of a call: module, branch, table or search term. */
static const char *const corpus_words[] = {
    "auth",    "billing", "users",   "orders",  "invoices", "search",
    "session", "cart",    "payment", "profile", "admin",    "reports",
    "export",  "import",  "mailer",  "queue",   "cache",    "metrics",
    "login",   "signup",  "webhook", "tokens",  "settings", "upload"};

static const char *const corpus_envs[] = {"staging", "production",
                                          "development"};
/* Most sessions run in default mode; one in ten plans, one in ten reads. */
static const char *const corpus_modes[] = {"default", "default", "default",
                                           "default", "default", "default",
                                           "default", "default", "plan",
                                           "read_only"};

/* API tools carry the credential they use; shell and file tools none. */
static const char *corpus_credential(const char *tool) {
  if (!strcmp(tool, "railway.graphql"))
    return ",\"credential\":{\"id\":\"railway-domains\",\"scopes\":"
           "[\"domain:write\"],\"purpose\":\"custom-domain management\"}";
  if (!strncmp(tool, "mcp__db__", 9))
    return ",\"credential\":{\"id\":\"db-app\",\"scopes\":[\"database:"
           "read\",\"database:write\"],\"purpose\":\"database queries\"}";
  return "";
}

static void corpus_add(struct corpus *c, size_t cap, const char *s, int n) {
  if (c->n == cap || n <= 0) return;
  c->line[c->n] = malloc((size_t)n + 1);
  memcpy(c->line[c->n], s, (size_t)n + 1);
  c->len[c->n] = (size_t)n;
  c->bytes += (size_t)n;
  c->n++;
}

/* fmt with each %s replaced by word and each %u by num. */
static void corpus_fill(char *out, size_t cap, const char *fmt,
                        const char *word, unsigned num) {
  size_t o = 0;
  for (const char *f = fmt; *f && o + 16 < cap; f++) {
    if (f[0] == '%' && (f[1] == 's' || f[1] == 'u')) {
      o += (size_t)(f[1] == 's' ? snprintf(out + o, cap - o, "%s", word)
                                : snprintf(out + o, cap - o, "%u", num));
      f++;
    } else {
      out[o++] = *f;
    }
  }
  out[o] = '\0';
}

/* A session's requested call, completed by its next tool event. */
struct corpus_pending {
  size_t pick;
  uint64_t call;
  int open;
  char args[512], result[512];
};

/* n events over `sessions` sessions. */
static struct corpus corpus_generate(size_t n, size_t sessions, uint64_t seed) {
  struct corpus c = {calloc(n, sizeof(char *)), calloc(n, sizeof(size_t)), 0, 0};
  uint64_t s = seed ? seed : 1;
  unsigned char *started = calloc(sessions, 1);
  struct corpus_pending *pending = calloc(sessions, sizeof *pending);
  char buf[2048];
  int64_t ts = 1790000000000LL;
  uint64_t ev = 0;
  const size_t ncalls = sizeof corpus_calls / sizeof corpus_calls[0];
  const size_t nwords = sizeof corpus_words / sizeof corpus_words[0];
  while (c.n < n) {
    size_t sess = corpus_rand(&s) % sessions;
    ts += 1 + (int64_t)(corpus_rand(&s) % 50);
    uint64_t r = corpus_rand(&s) % 100;
    struct corpus_pending *p = &pending[sess];
    int k;
    if (!started[sess]) {
      started[sess] = 1;
      k = snprintf(buf, sizeof buf,
                   "{\"type\":\"session_start\",\"session_id\":\"bench-%zu\","
                   "\"event_id\":\"e%llu\",\"ts_ms\":%lld,\"agent_id\":\"agent-1\","
                   "\"task\":\"fix the flaky login test\",\"mode\":\"%s\","
                   "\"environment\":\"%s\",\"scope\":{\"environments\":[\"%s\"]}}",
                   sess, (unsigned long long)ev++, (long long)ts,
                   corpus_modes[corpus_rand(&s) % 10],
                   corpus_envs[sess % 3], corpus_envs[sess % 3]);
    } else if (r < 8) {
      k = snprintf(buf, sizeof buf,
                   "{\"type\":\"agent_message\",\"session_id\":\"bench-%zu\","
                   "\"event_id\":\"e%llu\",\"ts_ms\":%lld,\"role\":\"assistant\","
                   "\"text\":\"The test fails because the mock clock is not "
                   "reset between cases; I will fix the fixture.\"}",
                   sess, (unsigned long long)ev++, (long long)ts);
    } else if (r < 16) {
      k = snprintf(buf, sizeof buf,
                   "{\"type\":\"file_access\",\"session_id\":\"bench-%zu\","
                   "\"event_id\":\"e%llu\",\"ts_ms\":%lld,\"path\":\"src/config/"
                   "deploy.yml\",\"op\":\"read\"}",
                   sess, (unsigned long long)ev++, (long long)ts);
    } else if (p->open) {
      /* The completion of the session's open call: same id and arguments,
       * now with its result. */
      const struct corpus_call *call = &corpus_calls[p->pick];
      k = snprintf(buf, sizeof buf,
                   "{\"type\":\"tool_call\",\"session_id\":\"bench-%zu\","
                   "\"event_id\":\"e%llu\",\"ts_ms\":%lld,\"agent_id\":\"agent-1\","
                   "\"phase\":\"completed\",\"call_id\":\"c%llu\",\"tool\":\"%s\","
                   "\"arguments\":%s,\"environment\":\"%s\"%s,"
                   "\"result\":\"%s\"}",
                   sess, (unsigned long long)ev++, (long long)ts,
                   (unsigned long long)p->call, call->tool, p->args,
                   corpus_envs[sess % 3], corpus_credential(call->tool),
                   p->result);
      p->open = 0;
    } else {
      /* Destructive shapes are the last three entries: 1 in 400 calls. */
      p->pick = corpus_rand(&s) % 400 == 0
                    ? ncalls - 1 - corpus_rand(&s) % 3
                    : corpus_rand(&s) % (ncalls - 3);
      const struct corpus_call *call = &corpus_calls[p->pick];
      const char *word = corpus_words[corpus_rand(&s) % nwords];
      unsigned num = (unsigned)(corpus_rand(&s) % 1000);
      corpus_fill(p->args, sizeof p->args, call->args, word, num);
      corpus_fill(p->result, sizeof p->result, call->result, word, num);
      p->call = ev;
      p->open = 1;
      int gated = corpus_rand(&s) % 10 == 0;
      k = snprintf(buf, sizeof buf,
                   "{\"type\":\"tool_call\",\"session_id\":\"bench-%zu\","
                   "\"event_id\":\"e%llu\",\"ts_ms\":%lld,\"agent_id\":\"agent-1\","
                   "\"phase\":\"requested\",\"call_id\":\"c%llu\",\"tool\":\"%s\","
                   "\"arguments\":%s,\"environment\":\"%s\"%s%s}",
                   sess, (unsigned long long)ev, (long long)ts,
                   (unsigned long long)ev, call->tool, p->args,
                   corpus_envs[sess % 3], corpus_credential(call->tool),
                   gated ? ",\"want_verdict\":true" : "");
      ev++;
    }
    corpus_add(&c, n, buf, k);
  }
  free(pending);
  free(started);
  return c;
}

static void corpus_free(struct corpus *c) {
  for (size_t i = 0; i < c->n; i++) free(c->line[i]);
  free(c->line);
  free(c->len);
}

#endif
