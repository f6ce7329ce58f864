/*
 * Corpus generator for the benchmarks: a fixed-seed stream of realistic agent
 * events over many sessions, in the JSON-lines contract. The mix (per
 * event): 8% agent messages, 8% file reads, the rest tool calls as
 * requested/completed pairs, 10% of requests gated (want_verdict), drawn
 * from real command shapes (one call in 400 destructive), each session
 * opened by a session_start. Same seed, same bytes.
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

static const char *const corpus_calls[][2] = {
    {"Bash", "{\"command\":\"ls -la src/\"}"},
    {"Bash", "{\"command\":\"git status --short\"}"},
    {"Bash", "{\"command\":\"grep -rn \\\"TODO\\\" src/ | head -50\"}"},
    {"Bash", "{\"command\":\"npm test -- --runInBand\"}"},
    {"Bash", "{\"command\":\"kubectl get pods -n staging -o wide\"}"},
    {"Bash", "{\"command\":\"rm -rf ./build ./dist\"}"},
    {"Bash", "{\"command\":\"git push origin feature/login-form\"}"},
    {"Read", "{\"file_path\":\"/repo/src/server/routes/users.ts\"}"},
    {"Edit", "{\"file_path\":\"/repo/src/app.ts\",\"old_string\":\"let x = 1\","
             "\"new_string\":\"const x = 1\"}"},
    {"Grep", "{\"pattern\":\"deleteUser\",\"path\":\"src\"}"},
    {"mcp__db__query", "{\"sql\":\"SELECT id, email FROM users WHERE "
                       "deleted_at IS NULL LIMIT 20\"}"},
    {"mcp__db__query", "{\"sql\":\"DELETE FROM sessions WHERE expires_at < "
                       "now()\"}"},
    {"railway.graphql", "{\"query\":\"mutation { customDomainCreate(input: "
                        "{domain: \\\"app.example.com\\\"}) { id } }\"}"},
    {"Bash", "{\"command\":\"terraform plan -out=tfplan\"}"},
    {"Bash", "{\"command\":\"psql -c 'DROP TABLE invoices CASCADE'\"}"},
    {"railway.graphql", "{\"query\":\"mutation { volumeDelete(volumeId: "
                        "\\\"vol-prod-7f3a\\\") }\"}"},
};

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

/* n events over `sessions` sessions. */
static struct corpus corpus_generate(size_t n, size_t sessions, uint64_t seed) {
  struct corpus c = {calloc(n, sizeof(char *)), calloc(n, sizeof(size_t)), 0, 0};
  uint64_t s = seed ? seed : 1;
  unsigned char *started = calloc(sessions, 1);
  char buf[2048];
  int64_t ts = 1790000000000LL;
  uint64_t ev = 0;
  while (c.n < n) {
    size_t sess = corpus_rand(&s) % sessions;
    ts += 1 + (int64_t)(corpus_rand(&s) % 50);
    uint64_t r = corpus_rand(&s) % 100;
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
    } else {
      /* Destructive shapes are the last three entries: 1 in 400 calls. */
      size_t ncalls = sizeof corpus_calls / sizeof corpus_calls[0];
      size_t pick = corpus_rand(&s) % 400 == 0
                        ? ncalls - 1 - corpus_rand(&s) % 3
                        : corpus_rand(&s) % (ncalls - 3);
      int gated = corpus_rand(&s) % 10 == 0;
      int completed = r >= 58;
      k = snprintf(buf, sizeof buf,
                   "{\"type\":\"tool_call\",\"session_id\":\"bench-%zu\","
                   "\"event_id\":\"e%llu\",\"ts_ms\":%lld,\"agent_id\":\"agent-1\","
                   "\"phase\":\"%s\",\"call_id\":\"c%llu\",\"tool\":\"%s\","
                   "\"arguments\":%s,\"environment\":\"%s\"%s%s}",
                   sess, (unsigned long long)ev, (long long)ts,
                   completed ? "completed" : "requested",
                   (unsigned long long)ev, corpus_calls[pick][0],
                   corpus_calls[pick][1], corpus_envs[sess % 3],
                   corpus_credential(corpus_calls[pick][0]),
                   gated && !completed ? ",\"want_verdict\":true" : "");
      ev++;
    }
    corpus_add(&c, n, buf, k);
  }
  free(started);
  return c;
}

static void corpus_free(struct corpus *c) {
  for (size_t i = 0; i < c->n; i++) free(c->line[i]);
  free(c->line);
  free(c->len);
}

#endif
