/*
 * secret_exposure: keys, tokens, passwords and connection strings in tool
 * arguments or results, a secret read in one call sent out in a later
 * one, and a well-known secret file or store sent off the machine by one
 * call.
 *
 * Finding is secrets.c's job (one Hyperscan scan for markers, validators in
 * C, placeholders such as `sk-...` or `password=<redacted>` rejected). This
 * file decides what a find means:
 *   - in the arguments of a requested call: the secret is being handed to a
 *     tool, maybe to a log or a remote end            -> in_arguments 0.7
 *   - in the result of a completed call: the secret is now in the agent's
 *     context                                          -> in_result 0.5
 *   - a value from an earlier result reappears in a later call's
 *     arguments: with a URL host the session did not declare (any of the
 *     URLs there)                                      -> sent_out 0.95
 *     (only declared scope domains, or no host: reused 0.6)
 *   - a requested call sends a secret file or store by name (not by its
 *     bytes: the agent never saw them): ~/.aws/credentials, an SSH private
 *     key, a kubeconfig, .netrc, a .env file, /etc/shadow, a *.key ...,
 *     given to curl (`@FILE`, `-T FILE`), wget --post-file, scp, rsync
 *     or rclone to a host:path, nc/ssh `< FILE`, aws/gsutil/gcloud to an
 *     s3:// or gs:// bucket, `gh gist create`, an interpreter's inline
 *     script that reaches the network (`python3 -c "...requests.post(..,
 *     data=open(FILE).read())"`), or piped from cat/base64/tar into one
 *     of them                                         -> file_sent 0.9
 *     A Hyperscan set of path literals finds the names (its prefilter
 *     skips the scan for most arguments); C reads the path around a match
 *     (a public key, ssh's config, .env.example, a certificate or a path
 *     on another host is not a secret) and the shell command around it
 *     (`curl --cert KEY`, `scp -i KEY`, `ssh-copy-id`, `cat FILE` alone
 *     send nothing). Tools that author text (Write, Edit) are left out.
 * Arguments are scanned when a call is requested (or has no phase), results
 * when it completes; a FAILED event carries nothing new. At most scan_bytes
 * of each text are read.
 *
 * Memory per session (under 400 bytes, no pointers): up to 6 secrets seen
 * in results, each as a 32-bit fingerprint of its first 12 bytes (a mixed
 * polynomial hash: it cannot give the value back, and a short prefix cannot
 * be brute-forced from 32 bits) with its kind and where it came from; and
 * the paths of the last 4 file-reading calls, so "read from .env" can be
 * said when the result arrives. Later arguments are checked against the
 * fingerprints with a rolling hash, only in sessions that hold one.
 *
 * Reasons name the kind and where, never the value.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detectors/helpers.h"
#include "detectors/secrets.h"

#define HELD_MAX 6
#define PEND_MAX 4
#define WIN 12 /* bytes of a value fingerprinted */
#define SOURCE_MAX 32
#define CALL_MAX 40
#define FP_BASE 0x100000001b3ull
#define LABEL_LATE_MS 2000 /* a file_access this soon after names the file */

/* Well-known secret files and stores, by name: a literal each, for
 * Hyperscan and the prefilter before it (most arguments hold none of them
 * and are not scanned); what the path around a match is (secret_file())
 * and whether the call sends it (sends()) is read in C. */
#define FCL SR_TEXTSCAN_CASELESS
static const struct sr_textscan_pattern file_markers[] = {
    {"\\.aws\\b", FCL, ".aws"},
    {"\\.ssh\\b", FCL, ".ssh"},
    {"\\.kube\\b", FCL, ".kube"},
    {"\\.docker/config", FCL, ".docker/"},
    {"netrc\\b", FCL, "netrc"},
    {"\\.git-credentials\\b", FCL, "-credentials"},
    {"gcloud\\b", FCL, "gcloud"},
    {"\\.azure\\b", FCL, ".azure"},
    {"\\.gnupg\\b", FCL, ".gnupg"},
    {"\\.password-store\\b", FCL, "password-store"},
    {"\\.env\\b", FCL, ".env"},
    {"shadow\\b", FCL, "shadow"},
    {"\\.pem\\b", FCL, ".pem"},
    {"\\.key\\b", FCL, ".key"},
};
#undef FCL

struct held {
  uint32_t fp;
  uint8_t kind;
  char source[SOURCE_MAX]; /* path, else tool */
  char call[CALL_MAX];
};

/* A requested call that reads a file: where its result comes from. */
struct pending {
  uint32_t call;
  char path[SOURCE_MAX];
};

/* Invariant: n_held <= HELD_MAX; slot next_held is replaced once full.
 * Holds [late_from, late_from + late_n) were labelled with a tool name only
 * and may still learn their path from a file_access until late_ts + 2 s. */
struct state {
  uint8_t n_held, next_held, next_pend; /* first: read by every call */
  uint8_t late_from, late_n;
  int64_t late_ts;
  struct held held[HELD_MAX];
  struct pending pend[PEND_MAX];
};

/* The file set first, as in the other text detectors' contexts. */
struct ctx {
  struct sr_textscan *files;
  float in_arguments, in_result, sent_out, reused, file_sent;
  size_t scan_bytes;
  uint64_t pow_w; /* FP_BASE^(WIN-1) */
  struct sr_secrets *secrets;
};

static const char *const allowed_keys[] = {
    "enabled",      "weight",    "threshold", "half_life_s",
    "in_arguments", "in_result", "sent_out",  "reused",
    "scan_bytes",   "file_sent", NULL};

static void *se_init(const struct sr_conf_node *section, char *err,
                     size_t errlen) {
  long long bytes;
  struct ctx *c = calloc(1, sizeof(*c));
  if (!c) {
    snprintf(err, errlen, "secret_exposure: out of memory");
    return NULL;
  }
  if (sr_conf_check_keys(section, allowed_keys, err, errlen) != 0 ||
      sr_detector_conf_score(section, "in_arguments", 0.7, &c->in_arguments,
                             err, errlen) != 0 ||
      sr_detector_conf_score(section, "in_result", 0.5, &c->in_result, err,
                             errlen) != 0 ||
      sr_detector_conf_score(section, "sent_out", 0.95, &c->sent_out, err,
                             errlen) != 0 ||
      sr_detector_conf_score(section, "reused", 0.6, &c->reused, err, errlen) !=
          0 ||
      sr_detector_conf_score(section, "file_sent", 0.9, &c->file_sent, err,
                             errlen) != 0 ||
      sr_conf_get_int(section, "scan_bytes", 65536, 64, SR_TEXT_MAX, &bytes,
                      err, errlen) != 0)
    goto fail;
  c->scan_bytes = (size_t)bytes;
  c->pow_w = 1;
  for (int i = 0; i < WIN - 1; i++) c->pow_w *= FP_BASE;
  if (!(c->secrets = sr_secrets_create(err, errlen))) goto fail;
  if (!(c->files = sr_textscan_create("secret_exposure", file_markers,
                                      SR_ARRAY_LEN(file_markers),
                                      sizeof file_markers[0], err, errlen)))
    goto fail;
  return c;
fail:
  sr_secrets_destroy(c->secrets);
  free(c);
  return NULL;
}

static void se_destroy(void *ctx) {
  struct ctx *c = ctx;
  if (!c) return;
  sr_textscan_destroy(c->files);
  sr_secrets_destroy(c->secrets);
  free(c);
}

/* Per thread: a Hyperscan scratch for each set. */
struct se_thread {
  struct sr_textscan_scratch *secrets, *files;
};

static void se_thread_destroy(void *thread) {
  struct se_thread *t = thread;
  if (!t) return;
  sr_textscan_scratch_destroy(t->files);
  sr_textscan_scratch_destroy(t->secrets);
  free(t);
}

static void *se_thread_create(const void *ctx) {
  const struct ctx *c = ctx;
  struct se_thread *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  t->secrets = sr_secrets_scratch_create(c->secrets);
  t->files = sr_textscan_scratch_create(c->files);
  if (!t->secrets || !t->files) {
    se_thread_destroy(t);
    return NULL;
  }
  return t;
}

static uint32_t fp_mix(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return (uint32_t)h;
}

static uint64_t poly(const char *p) {
  uint64_t h = 0;
  for (int i = 0; i < WIN; i++) h = h * FP_BASE + (unsigned char)p[i];
  return h;
}

/* Copies the end of s (the file name says more than the root). */
static void copy_tail(char *dst, size_t cap, sr_str s) {
  if (s.n < cap) {
    sr_str_copy(dst, cap, s);
    return;
  }
  size_t keep = cap - 4;
  memcpy(dst, "...", 3);
  memcpy(dst + 3, s.p + s.n - keep, keep);
  dst[cap - 1] = '\0';
}

/* A call that reads a file by name: Read, read_file, mcp__fs__read_file. */
static bool reads_file(sr_str tool) {
  /* "read" in any case, four bytes compared at once: this runs on every
   * requested call, and tool names are short. | 0x20 folds only the
   * letters' cases into these four bytes. */
  uint32_t read, w;
  memcpy(&read, "read", 4);
  if (tool.n > 64) return false;
  for (size_t i = 0; i + 4 <= tool.n; i++) {
    memcpy(&w, tool.p + i, 4);
    if ((w | 0x20202020u) == read) return true;
  }
  return false;
}

/* The value of the first "file_path" / "target_file" / "path" key. */
static sr_str path_argument(sr_str args) {
  static const char *const keys[] = {"\"file_path\"", "\"target_file\"",
                                     "\"path\"", "\"filePath\""};
  for (size_t k = 0; k < SR_ARRAY_LEN(keys); k++) {
    size_t kl = strlen(keys[k]);
    const char *at = sr_textscan_find(args.p, args.n, keys[k], kl);
    if (!at) continue;
    const char *e = args.p + args.n, *v = at + kl;
    while (v < e && (*v == ' ' || *v == ':')) v++;
    if (v >= e || *v != '"') continue;
    const char *q = ++v;
    while (q < e && *q != '"') q++;
    return (sr_str){v, (size_t)(q - v)};
  }
  return SR_STR_NULL;
}

static void remember_read(struct state *st, const struct sr_event *ev) {
  sr_str path = path_argument(ev->arguments);
  if (!path.n || !ev->call_id.n) return;
  struct pending *p = &st->pend[st->next_pend];
  st->next_pend = (uint8_t)((st->next_pend + 1) % PEND_MAX);
  p->call = sr_det_id_hash(ev->call_id);
  copy_tail(p->path, sizeof p->path, path);
}

/* Remembers one secret of a result; false when it was not added (too
 * short to recognise reliably, or already held). */
static bool hold(struct state *st, const char *p, const struct sr_secret *s,
                 const char *source, sr_str call) {
  if (s->to - s->from < WIN) return false;
  uint32_t fp = fp_mix(poly(p + s->from));
  for (size_t i = 0; i < st->n_held; i++)
    if (st->held[i].fp == fp) return false;
  size_t slot;
  if (st->n_held < HELD_MAX) {
    slot = st->n_held++;
  } else {
    slot = st->next_held;
    st->next_held = (uint8_t)((st->next_held + 1) % HELD_MAX);
  }
  struct held *h = &st->held[slot];
  h->fp = fp;
  h->kind = (uint8_t)s->kind;
  snprintf(h->source, sizeof h->source, "%s", source);
  copy_tail(h->call, sizeof h->call, call);
  return true;
}

/* The first held secret whose fingerprint starts a window of text, or -1. */
static int find_held(const struct ctx *c, const struct state *st, sr_str t) {
  if (t.n < WIN) return -1;
  uint64_t h = poly(t.p);
  for (size_t i = 0;; i++) {
    uint32_t m = fp_mix(h);
    for (size_t j = 0; j < st->n_held; j++)
      if (st->held[j].fp == m) return (int)j;
    if (i + WIN >= t.n) return -1;
    h = (h - (unsigned char)t.p[i] * c->pow_w) * FP_BASE +
        (unsigned char)t.p[i + WIN];
  }
}

/* "GitHub token, password": the kinds found, each once. */
static void kinds(char *buf, size_t cap, const struct sr_secret *s, size_t k) {
  size_t used = 0;
  uint32_t seen = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < k && used < cap; i++) {
    if (seen & (1u << s[i].kind)) continue;
    seen |= 1u << s[i].kind;
    int w = snprintf(buf + used, cap - used, "%s%s", used ? ", " : "",
                     sr_secret_kind_name(s[i].kind));
    if (w > 0) used += (size_t)w;
  }
}

/* Where a path or a word ends: blanks, quotes, JSON escapes and the shell's
 * punctuation (`@` and `=` too: `-d @FILE`, `--post-file=FILE`). */
static bool path_end(char c) {
  switch (c) {
    case ' ':
    case '\t':
    case '\n':
    case '\r':
    case '"':
    case '\'':
    case '\\':
    case '@':
    case '=':
    case '<':
    case '>':
    case '|':
    case ';':
    case '&':
    case '(':
    case ')':
    case '`':
    case ',':
      return true;
    default:
      return false;
  }
}

static bool eq_nocase(const char *p, size_t n, const char *w) {
  return sr_str_eq_nocase((sr_str){p, n}, w);
}

static bool starts_nocase(const char *p, size_t n, const char *w) {
  size_t k = strlen(w);
  return n >= k && sr_str_eq_nocase((sr_str){p, k}, w);
}

static bool ends_nocase(const char *p, size_t n, const char *w) {
  size_t k = strlen(w);
  return n >= k && sr_str_eq_nocase((sr_str){p + n - k, k}, w);
}

/* What the path t[0, n) names when it is a well-known secret file or store
 * ("AWS credentials"); NULL for anything else: a public key, ssh's config
 * or known_hosts, an example .env, a certificate, a URL, a path on another
 * host (`host:~/.ssh/id_rsa`, scp's remote side). */
static const char *secret_file(const char *t, size_t n) {
  if (sr_textscan_find(t, n, "://", 3)) return NULL;
  for (size_t i = 0; i < n && t[i] != '/'; i++)
    if (t[i] == ':') return NULL;
  const char *prev = "";
  size_t prev_n = 0;
  for (size_t at = 0; at < n;) {
    size_t e = at;
    while (e < n && t[e] != '/') e++;
    const char *c = t + at, *rest = t + e;
    size_t cn = e - at, rn = n - e;
    bool last = e >= n || e + 1 == n;
    /* The component after this one, if any. */
    const char *nx = rn ? rest + 1 : rest;
    size_t nn = 0;
    while (nx + nn < t + n && nx[nn] != '/') nn++;
    if (eq_nocase(c, cn, ".aws")) return "AWS credentials";
    if (eq_nocase(c, cn, ".ssh")) {
      if (!nn) return "SSH keys";
      if (ends_nocase(nx, nn, ".pub") || eq_nocase(nx, nn, "config") ||
          starts_nocase(nx, nn, "known_hosts") ||
          starts_nocase(nx, nn, "authorized_keys") || eq_nocase(nx, nn, "rc"))
        return NULL;
      return "SSH private key";
    }
    if (eq_nocase(c, cn, ".kube"))
      return !nn || starts_nocase(nx, nn, "config") ? "kubeconfig" : NULL;
    if (eq_nocase(c, cn, ".docker"))
      return starts_nocase(nx, nn, "config") ? "Docker credentials" : NULL;
    if (eq_nocase(c, cn, ".netrc") || eq_nocase(c, cn, "_netrc"))
      return "netrc credentials";
    if (eq_nocase(c, cn, ".git-credentials")) return "git credentials";
    if (eq_nocase(c, cn, "gcloud") && eq_nocase(prev, prev_n, ".config"))
      return "gcloud credentials";
    if (eq_nocase(c, cn, ".azure")) return "Azure credentials";
    if (eq_nocase(c, cn, ".gnupg"))
      return ends_nocase(nx, nn, ".conf") ? NULL : "GnuPG keyring";
    if (eq_nocase(c, cn, ".password-store")) return "password store";
    if (last && starts_nocase(c, cn, ".env") && (cn == 4 || c[4] == '.')) {
      static const char *const tmpl[] = {"example", "sample", "template",
                                         "dist", "defaults"};
      for (size_t i = 0; i < SR_ARRAY_LEN(tmpl); i++)
        if (sr_textscan_find(c, cn, tmpl[i], strlen(tmpl[i]))) return NULL;
      return ".env file";
    }
    if (last && (eq_nocase(c, cn, "shadow") || eq_nocase(c, cn, "gshadow")) &&
        eq_nocase(prev, prev_n, "etc"))
      return "password hashes";
    if (last && (ends_nocase(c, cn, ".pem") || ends_nocase(c, cn, ".key"))) {
      /* Certificates and their chains are public. */
      static const char *const pub[] = {"cert", "chain", "bundle", "pub",
                                        "crt"};
      for (size_t i = 0; i < SR_ARRAY_LEN(pub); i++)
        if (sr_textscan_find(c, cn, pub[i], strlen(pub[i]))) return NULL;
      if (starts_nocase(c, cn, "ca") && cn > 2 &&
          !isalpha((unsigned char)c[2]) && ends_nocase(c, cn, ".pem"))
        return NULL;
      return "private key file";
    }
    prev = c;
    prev_n = cn;
    at = e + 1;
  }
  return NULL;
}

/* How a program sends what it is given off the machine. */
enum sender {
  S_NONE = 0,
  S_CURL,   /* curl: `@FILE`, `-T FILE`, stdin with `@-` / `-T -` */
  S_HTTPIE, /* http, https: `@FILE`, `< FILE`, stdin */
  S_WGET,   /* wget: --post-file / --body-file */
  S_COPY,   /* scp, rsync: a local source and a host:path destination */
  S_STREAM, /* nc, ncat, netcat, socat, telnet, ssh: `< FILE`, stdin */
  S_CLOUD,  /* aws, gsutil, gcloud: a local source, then s3:// or gs:// */
  S_GH,     /* gh: `gist create FILE`, `release upload TAG FILE` */
};

/* A shell stage: [from, to) of the text, its program (a basename). */
struct stage {
  size_t from, to;
  sr_str prog;
};

#define STAGES_MAX 8

static bool blank(char c) {
  return c == ' ' || c == '\t';
}

/* The next word of p[i, to): skips blanks; [*w0, *w1). */
static size_t next_word(const char *p, size_t i, size_t to, size_t *w0,
                        size_t *w1) {
  while (i < to && blank(p[i])) i++;
  *w0 = i;
  while (i < to && !blank(p[i])) i++;
  *w1 = i;
  return i;
}

/* The program a stage runs: its first word after `sudo`, `env`, `VAR=x`,
 * `$(` and the like, as a basename. */
static sr_str program(const char *p, size_t from, size_t to) {
  size_t i = from, w0, w1;
  bool wrapper = false;
  while ((i = next_word(p, i, to, &w0, &w1)) > w0) {
    while (w0 < w1 && (p[w0] == '$' || p[w0] == '(' || p[w0] == '`' ||
                       p[w0] == '{' || p[w0] == '"' || p[w0] == '\''))
      w0++;
    if (w0 == w1) continue;
    const char *w = p + w0;
    size_t n = w1 - w0;
    if (wrapper && w[0] == '-') continue;
    if (eq_nocase(w, n, "sudo") || eq_nocase(w, n, "env") ||
        eq_nocase(w, n, "doas")) {
      wrapper = true;
      continue;
    }
    if (eq_nocase(w, n, "nohup") || eq_nocase(w, n, "time") ||
        eq_nocase(w, n, "command") || eq_nocase(w, n, "exec") ||
        memchr(w, '=', n))
      continue;
    size_t b = n;
    while (b > 0 && w[b - 1] != '/') b--;
    return (sr_str){w + b, n - b};
  }
  return SR_STR_NULL;
}

static enum sender sender_of(sr_str prog) {
  static const struct {
    const char *name;
    enum sender s;
  } tab[] = {{"curl", S_CURL},    {"http", S_HTTPIE},   {"https", S_HTTPIE},
             {"wget", S_WGET},    {"scp", S_COPY},      {"rsync", S_COPY},
             {"nc", S_STREAM},    {"ncat", S_STREAM},   {"netcat", S_STREAM},
             {"socat", S_STREAM}, {"telnet", S_STREAM}, {"ssh", S_STREAM},
             {"rclone", S_COPY},  {"aws", S_CLOUD},     {"gsutil", S_CLOUD},
             {"gcloud", S_CLOUD}, {"gh", S_GH}};
  for (size_t i = 0; i < SR_ARRAY_LEN(tab); i++)
    if (sr_str_eq_nocase(prog, tab[i].name)) return tab[i].s;
  return S_NONE;
}

/* Whether w is one of names[0, n): in any case, or as written. */
static bool one_of(sr_str w, const char *const *names, size_t n,
                   bool any_case) {
  for (size_t i = 0; i < n; i++)
    if (any_case ? sr_str_eq_nocase(w, names[i]) : sr_str_eq_cstr(w, names[i]))
      return true;
  return false;
}

/* Programs that write a file's bytes (or an encoding of them) to stdout. */
static bool reader(sr_str prog) {
  static const char *const names[] = {
      "cat", "tac", "base64", "base32", "gzip",    "bzip2",   "xz",   "zstd",
      "tar", "zip", "xxd",    "od",     "hexdump", "openssl", "head", "tail",
      "jq",  "yq",  "sed",    "awk",    "grep",    "strings", "dd",   "gpg"};
  return one_of(prog, names, SR_ARRAY_LEN(names), true);
}

/* scp and rsync options whose argument is a local file or a pattern the
 * copy leaves alone (or is read by ssh, inside -e's command). */
static bool takes_file(sr_str w) {
  static const char *const opts[] = {"-i",
                                     "-F",
                                     "-o",
                                     "-e",
                                     "-S",
                                     "-J",
                                     "-c",
                                     "--rsh",
                                     "--exclude",
                                     "--include",
                                     "--filter",
                                     "--exclude-from",
                                     "--include-from",
                                     "--files-from",
                                     "--password-file",
                                     "--log-file"};
  return one_of(w, opts, SR_ARRAY_LEN(opts), true);
}

/* The word before p[at] within [from, at), past blanks and `@`/`=`. */
static sr_str word_before(const char *p, size_t from, size_t at) {
  size_t e = at;
  while (e > from && blank(p[e - 1])) e--;
  size_t s = e;
  while (s > from && !path_end(p[s - 1])) s--;
  return (sr_str){p + s, e - s};
}

/* The byte before p[at] past blanks, or 0. */
static char byte_before(const char *p, size_t from, size_t at) {
  while (at > from && blank(p[at - 1])) at--;
  return at > from ? p[at - 1] : '\0';
}

/* Where a command list element ends or starts: `;`, `&&`, `||`, a lone
 * `&` (not `2>&1`), a newline, raw or as JSON writes it (`\n`). */
static bool list_sep(const char *p, size_t from, size_t to, size_t i) {
  char c = p[i];
  if (c == ';' || c == '\n') return true;
  if (c == '&')
    return !(i > from && p[i - 1] == '>') && !(i + 1 < to && p[i + 1] == '>');
  if (c == '|')
    return (i > from && p[i - 1] == '|') || (i + 1 < to && p[i + 1] == '|');
  return c == 'n' && i > from && p[i - 1] == '\\';
}

/* The JSON string around p[at]: between unescaped quotes, else the text. */
static void string_bounds(const char *p, size_t n, size_t at, size_t *s0,
                          size_t *s1) {
  size_t i = at;
  while (i > 0 && !(p[i - 1] == '"' && !(i >= 2 && p[i - 2] == '\\'))) i--;
  *s0 = i;
  i = at;
  while (i < n && !(p[i] == '"' && i > 0 && p[i - 1] != '\\')) i++;
  *s1 = i;
}

/* The string at s0 is the value of "description" (what an agent says the
 * command does, not the command). */
static bool is_description(const char *p, size_t s0) {
  static const char key[] = "\"description\"";
  size_t i = s0 ? s0 - 1 : 0; /* the opening quote */
  while (i > 0 && blank(p[i - 1])) i--;
  if (i == 0 || p[i - 1] != ':') return false;
  i--;
  while (i > 0 && blank(p[i - 1])) i--;
  return i >= sizeof key - 1 &&
         memcmp(p + i - (sizeof key - 1), key, sizeof key - 1) == 0;
}

/* The host of a `[user@]host[:path]` word, into out. */
static void host_of(const char *w, size_t n, char *out, size_t cap) {
  const char *at = memchr(w, '@', n);
  if (at) {
    n -= (size_t)(at + 1 - w);
    w = at + 1;
  }
  const char *colon = memchr(w, ':', n);
  if (colon) n = (size_t)(colon - w);
  sr_str_copy(out, cap, (sr_str){w, n});
}

/* A scp/rsync destination: `[user@]host:path` (a ':' before any '/'), or
 * rsync://. */
static bool remote_word(const char *w, size_t n) {
  if (starts_nocase(w, n, "rsync://")) return true;
  for (size_t i = 0; i < n && w[i] != '/'; i++)
    if (w[i] == ':') return i > 0;
  return false;
}

/* Where stage st sends to: the first URL's host; the destination host of
 * scp/rsync (its last word); else the first operand (nc HOST PORT, ssh
 * user@HOST). Empty when none is seen. */
static void destination(const char *p, const struct stage *st, enum sender s,
                        char *out, size_t cap) {
  out[0] = '\0';
  if (sr_textscan_next_host(p + st->from, st->to - st->from, 0, out, cap))
    return;
  size_t i = st->from, w0, w1, l0 = 0, l1 = 0;
  bool seen_prog = false;
  while ((i = next_word(p, i, st->to, &w0, &w1)) > w0) {
    const char *w = p + w0;
    size_t n = w1 - w0;
    if (!seen_prog) {
      seen_prog = st->prog.p >= w && st->prog.p < w + n;
      continue;
    }
    l0 = w0, l1 = w1;
    if (s == S_COPY) continue;
    if (w[0] == '-' || w[0] == '<' || memchr(w, '=', n)) continue;
    size_t d = 0;
    while (d < n && w[d] >= '0' && w[d] <= '9') d++;
    if (d == n) continue;
    host_of(w, n, out, cap);
    return;
  }
  if (s == S_COPY && l1 > l0 && remote_word(p + l0, l1 - l0))
    host_of(p + l0, l1 - l0, out, cap);
}

/* Whether p[at] starts a word of its stage (not `X=FILE`, `@FILE`). */
static bool word_start(const char *p, size_t from, size_t at) {
  return at == from || blank(p[at - 1]) || p[at - 1] == '"' ||
         p[at - 1] == '\'';
}

/* A word of p[from, to) naming a bucket (s3://, gs://): its scheme and
 * bucket into dest. */
static bool bucket_in(const char *p, size_t from, size_t to, char *dest,
                      size_t destcap) {
  size_t i = from, w0, w1;
  while ((i = next_word(p, i, to, &w0, &w1)) > w0) {
    while (w0 < w1 && (p[w0] == '"' || p[w0] == '\'' || p[w0] == '\\')) w0++;
    if (!starts_nocase(p + w0, w1 - w0, "s3://") &&
        !starts_nocase(p + w0, w1 - w0, "gs://"))
      continue;
    size_t e = w0 + 5;
    while (e < w1 && p[e] != '/' && !path_end(p[e])) e++;
    sr_str_copy(dest, destcap, (sr_str){p + w0, e - w0});
    return true;
  }
  return false;
}

/* Where a gh command p[from, to) publishes the files it names: a gist, a
 * release's assets; NULL for any other gh command. */
static const char *gh_publishes(const char *p, size_t from, size_t to) {
  if (sr_textscan_find(p + from, to - from, "gist create", 11))
    return "gist.github.com";
  if (sr_textscan_find(p + from, to - from, "release upload", 14))
    return "github.com";
  return NULL;
}

/* Whether a stage reads its stdin as a file (`-`, a word of its own). */
static bool dash_word(const char *p, size_t from, size_t to) {
  size_t i = from, w0, w1;
  while ((i = next_word(p, i, to, &w0, &w1)) > w0)
    if (w1 - w0 == 1 && p[w0] == '-') return true;
  return false;
}

/*
 * Whether the command around the path p[t0, t1) sends that file off the
 * machine: a sending program in its stage reads it (`curl -d @FILE`, `-T
 * FILE`, `wget --post-file=FILE`, `scp FILE host:`, `nc host 1 < FILE`,
 * `curl -d "$(cat FILE)"`), or a reader's output is piped to one (`cat
 * FILE | base64 | curl --data-binary @- URL`, `tar cz FILE | nc host 1`),
 * or written to /dev/tcp; or uploaded to a bucket (`aws s3 cp FILE
 * s3://b/`, `gsutil cp FILE gs://b/`, `rclone copy FILE remote:`) or to
 * GitHub (`gh gist create FILE`, `gh release upload v1 FILE`). Returns the
 * sending program (a view into p) and its destination in dest; an empty
 * view when it is not sent.
 */
static sr_str sends(const char *p, size_t n, size_t t0, size_t t1, char *dest,
                    size_t destcap) {
  dest[0] = '\0';
  size_t s0, s1;
  string_bounds(p, n, t0, &s0, &s1);
  if (is_description(p, s0)) return SR_STR_NULL;
  size_t e0 = t0, e1 = t1;
  while (e0 > s0 && !list_sep(p, s0, s1, e0 - 1)) e0--;
  while (e1 < s1 && !list_sep(p, s0, s1, e1)) e1++;
  if (e1 > e0 && e1 < s1 && p[e1] == 'n' && p[e1 - 1] == '\\') e1--;

  struct stage st[STAGES_MAX];
  size_t ns = 0, f = STAGES_MAX;
  for (size_t i = e0, from = e0; i <= e1 && ns < STAGES_MAX; i++) {
    if (i < e1 && p[i] != '|') continue;
    st[ns] = (struct stage){from, i, program(p, from, i)};
    if (t0 >= from && t0 < i) f = ns;
    ns++;
    from = i + 1;
  }
  if (f == STAGES_MAX) return SR_STR_NULL;
  char before = byte_before(p, st[f].from, t0);
  sr_str prev =
      word_before(p, st[f].from, before == '@' || before == '=' ? t0 - 1 : t0);
  /* In the sender's own stage. */
  enum sender s = sender_of(st[f].prog);
  bool sent = false;
  if (s != S_NONE) {
    bool subst = reader(prev) &&
                 (sr_textscan_find(p + st[f].from, t0 - st[f].from, "$(", 2) ||
                  memchr(p + st[f].from, '`', t0 - st[f].from));
    switch (s) {
      case S_CURL:
        sent = before == '@' || sr_str_eq_nocase(prev, "-T") ||
               sr_str_eq_nocase(prev, "--upload-file");
        break;
      case S_HTTPIE:
        sent = before == '@' || before == '<';
        break;
      case S_WGET:
        sent = sr_str_eq_nocase(prev, "--post-file") ||
               sr_str_eq_nocase(prev, "--body-file");
        break;
      case S_COPY: {
        if (before != ' ' && before != '\t' && before != '"' &&
            before != '\'' && t0 > st[f].from && !blank(p[t0 - 1]))
          break;
        if (takes_file(prev)) break; /* -i KEY, -e 'ssh -i KEY', --exclude */
        size_t i = st[f].from, w0, w1, l0 = 0, l1 = 0;
        while ((i = next_word(p, i, st[f].to, &w0, &w1)) > w0) l0 = w0, l1 = w1;
        sent = l0 > t1 && remote_word(p + l0, l1 - l0);
        break;
      }
      case S_STREAM:
        sent = before == '<';
        break;
      case S_CLOUD:
        sent = word_start(p, st[f].from, t0) &&
               bucket_in(p, t1, st[f].to, dest, destcap);
        break;
      case S_GH: {
        const char *site = gh_publishes(p, st[f].from, t0);
        sent = site && word_start(p, st[f].from, t0);
        if (sent) sr_str_copy(dest, destcap, sr_str_from(site));
        break;
      }
      case S_NONE:
        break;
    }
    if (sent || subst) {
      if (!dest[0]) destination(p, &st[f], s, dest, destcap);
      return st[f].prog;
    }
  }
  /* Read into a pipe: a later stage must send its stdin. */
  if (reader(st[f].prog) || before == '<') {
    for (size_t j = f + 1; j < ns; j++) {
      const char *q = p + st[j].from;
      size_t qn = st[j].to - st[j].from;
      s = sender_of(st[j].prog);
      switch (s) {
        case S_CURL:
          sent = sr_textscan_find(q, qn, "@-", 2) ||
                 sr_textscan_find(q, qn, "-T -", 4) ||
                 sr_textscan_find(q, qn, "-T-", 3) ||
                 sr_textscan_find(q, qn, "--upload-file -", 15) ||
                 sr_textscan_find(q, qn, "@/dev/stdin", 11);
          break;
        case S_WGET:
          sent = sr_textscan_find(q, qn, "/dev/stdin", 10);
          break;
        case S_HTTPIE:
        case S_STREAM:
          sent = true;
          break;
        case S_CLOUD: /* aws s3 cp - s3://b/k */
          sent = dash_word(p, st[j].from, st[j].to) &&
                 bucket_in(p, st[j].from, st[j].to, dest, destcap);
          break;
        case S_GH: /* gh gist create [-] reads stdin */
          sent = sr_textscan_find(q, qn, "gist create", 11);
          if (sent) sr_str_copy(dest, destcap, SR_STR_LIT("gist.github.com"));
          break;
        default:
          break;
      }
      if (sent) {
        if (!dest[0]) destination(p, &st[j], s, dest, destcap);
        return st[j].prog;
      }
    }
  }
  /* Written to a socket by bash itself: `cat FILE > /dev/tcp/HOST/PORT`. */
  const char *tcp = sr_textscan_find(p + e0, e1 - e0, "/dev/tcp/", 9);
  if (!tcp) tcp = sr_textscan_find(p + e0, e1 - e0, "/dev/udp/", 9);
  if (tcp && (reader(st[f].prog) || before == '<')) {
    const char *h = tcp + 9, *e = p + e1;
    size_t hn = 0;
    while (h + hn < e && h[hn] != '/' && !path_end(h[hn])) hn++;
    sr_str_copy(dest, destcap, (sr_str){h, hn});
    return (sr_str){tcp, 8};
  }
  return SR_STR_NULL;
}

/* Interpreters whose inline script (`python3 -c '...'`) is read here. */
static bool interpreter(sr_str w) {
  static const char *const names[] = {"python", "node", "nodejs", "ruby",
                                      "perl",   "php",  "deno",   "bun"};
  if (one_of(w, names, SR_ARRAY_LEN(names), true)) return true;
  /* python3, python3.12 */
  if (!starts_nocase(w.p, w.n, "python")) return false;
  for (size_t i = 6; i < w.n; i++)
    if (!(w.p[i] >= '0' && w.p[i] <= '9') && w.p[i] != '.') return false;
  return true;
}

/* An option after which interpreter prog's next word is its script, as
 * written: python's -E and ruby's -E are other options. */
static bool script_flag(sr_str prog, sr_str w) {
  static const char *const flags[] = {"-e",      "-p", "--eval",
                                      "--print", "-r", "eval"};
  if (starts_nocase(prog.p, prog.n, "python")) return sr_str_eq_cstr(w, "-c");
  return one_of(w, flags, SR_ARRAY_LEN(flags), false);
}

/*
 * Whether the path p[t0, t1) is named inside an interpreter's inline
 * script that reaches the network (`python3 -c "...requests.post(URL,
 * data=open(FILE).read())"`, `node -e "fetch(URL, {body:
 * fs.readFileSync(FILE)})"`): the interpreter, and the script's first
 * host in dest; an empty view when not. The script is read from the
 * quote after its option to the matching one (`\"`, as JSON writes it, or
 * `'`): a `;` inside it separates nothing.
 */
static sr_str script_sends(const char *p, size_t n, size_t t0, size_t t1,
                           char *dest, size_t destcap) {
  static const char *const net[] = {
      "requests.",    "httpx.",        "urlopen",    "urllib",
      "http.client",  "socket",        "smtplib",    "ftplib",
      "paramiko",     "upload_file",   "put_object", "fetch(",
      "http.request", "https.request", "axios",      "xmlhttprequest",
      "net.connect",  "net::http",     "uri.open",   "restclient",
      "faraday",      "lwp",           "http::tiny", "curl_",
      "fsockopen"};
  dest[0] = '\0';
  size_t s0, s1;
  string_bounds(p, n, t0, &s0, &s1);
  if (is_description(p, s0)) return SR_STR_NULL;
  sr_str prog = SR_STR_NULL, cand = SR_STR_NULL;
  size_t body = 0, i = s0, w0, w1;
  while ((i = next_word(p, i, t0, &w0, &w1)) > w0) {
    sr_str w = {p + w0, w1 - w0};
    if (cand.n && script_flag(cand, w)) { /* the last one is the script's */
      prog = cand;
      body = w1;
      continue;
    }
    if (cand.n && w.n && w.p[0] == '-') continue; /* python3 -u -c */
    cand = program(p, w0, w1);
    if (!interpreter(cand)) cand = SR_STR_NULL;
  }
  if (!prog.n) return SR_STR_NULL;
  while (body < t0 && blank(p[body])) body++;
  /* the script's end: its closing quote, or the end of its word */
  size_t q = 0; /* bytes of its opening quote */
  if (p[body] == '\'' || p[body] == '"') q = 1;
  if (p[body] == '\\' && body + 1 < t0 && p[body + 1] == '"') q = 2;
  size_t end = body + q;
  for (; end < s1; end++) {
    bool close = q == 0   ? blank(p[end])
                 : q == 1 ? p[end] == p[body]
                          : p[end] == '\\' && end + 1 < s1 && p[end + 1] == '"';
    if (close) break;
  }
  if (end < t1) return SR_STR_NULL; /* the path is after the script */
  for (size_t k = 0; k < SR_ARRAY_LEN(net); k++) {
    if (!sr_textscan_find(p + body, end - body, net[k], strlen(net[k])))
      continue;
    sr_textscan_next_host(p + body, end - body, 0, dest, destcap);
    return prog;
  }
  return SR_STR_NULL;
}

/* The first secret file or store the call sends off the machine, with what
 * it is, its path, the program and its destination written into reason;
 * the score (0 when none). Runs only when a file marker matched. */
static float file_sent(const struct ctx *c, struct se_thread *t, sr_str a,
                       sr_str tool, float floor, char *reason,
                       size_t reasonlen) {
  struct sr_textscan_hits hits;
  sr_textscan_run(c->files, t->files, a.p, a.n, &hits);
  size_t done = 0;
  for (uint32_t h = 0; h < hits.n; h++) {
    size_t t0 = hits.v[h].end, t1 = hits.v[h].end;
    if (t0 < done) continue; /* a token already read */
    while (t0 > 0 && !path_end(a.p[t0 - 1])) t0--;
    while (t1 < a.n && !path_end(a.p[t1])) t1++;
    done = t1;
    const char *what = secret_file(a.p + t0, t1 - t0);
    if (!what) continue;
    char dest[64];
    sr_str prog = sends(a.p, a.n, t0, t1, dest, sizeof dest);
    if (!prog.n) prog = script_sends(a.p, a.n, t0, t1, dest, sizeof dest);
    if (!prog.n) continue;
    if (c->file_sent < floor) return c->file_sent;
    char path[SOURCE_MAX];
    copy_tail(path, sizeof path, (sr_str){a.p + t0, t1 - t0});
    snprintf(reason, reasonlen, "%s %s sent by %.*s%s%s in a %.*s call", what,
             path, SR_SV(prog, 16), dest[0] ? " to " : "", dest,
             SR_SV(tool, 40));
    return c->file_sent;
  }
  return 0;
}

static float se_score(const void *ctx, void *thread_scratch,
                      const struct sr_detect_input *in, void *session_scratch,
                      char *reason, size_t reasonlen) {
  const struct ctx *c = ctx;
  struct se_thread *t = thread_scratch;
  const struct sr_event *ev = in->ev;
  struct state *st = session_scratch;

  if (ev->type == SR_EV_FILE_ACCESS) {
    if (st->late_n && ev->path.n && ev->ts_ms - st->late_ts <= LABEL_LATE_MS) {
      for (size_t i = 0; i < st->late_n; i++)
        copy_tail(st->held[(st->late_from + i) % HELD_MAX].source, SOURCE_MAX,
                  ev->path);
    }
    st->late_n = 0;
    return 0;
  }
  if (ev->type != SR_EV_TOOL_CALL) return 0;
  /* Its counts load during the scan for secrets below. */
  sr_det_prefetch(st, 64);

  struct sr_secret found[SR_SECRETS_MAX];
  if (ev->phase == SR_PHASE_COMPLETED) {
    if (!ev->result.n) return 0;
    sr_str r = {ev->result.p, SR_MIN(ev->result.n, c->scan_bytes)};
    size_t k = sr_secrets_find(c->secrets, t->secrets, r.p, r.n, found,
                               SR_SECRETS_MAX);
    if (!k) return 0;
    uint32_t ch = sr_det_id_hash(ev->call_id);
    char source[SOURCE_MAX] = "";
    for (size_t i = 0; i < PEND_MAX && ch; i++)
      if (st->pend[i].call == ch) memcpy(source, st->pend[i].path, SOURCE_MAX);
    bool labelled = source[0] != '\0';
    if (!labelled) sr_str_copy(source, sizeof source, ev->tool);
    /* New holds take consecutive ring slots from here. */
    uint8_t first = st->n_held < HELD_MAX ? st->n_held : st->next_held;
    size_t added = 0;
    for (size_t i = 0; i < k; i++)
      added += hold(st, r.p, &found[i], source, ev->call_id);
    st->late_n = 0;
    if (!labelled) {
      st->late_from = first;
      st->late_n = (uint8_t)SR_MIN(added, (size_t)HELD_MAX);
      st->late_ts = ev->ts_ms;
    }
    float score = c->in_result;
    if (!(score > 0) || score < in->reason_floor) return score;
    char what[96];
    kinds(what, sizeof what, found, k);
    snprintf(reason, reasonlen, "%s in result of %.*s (call %.*s%s%s)", what,
             SR_SV(ev->tool, 40), SR_SV(ev->call_id, 40), labelled ? ", " : "",
             labelled ? source : "");
    return score;
  }
  if (ev->phase != SR_PHASE_REQUESTED && ev->phase != SR_PHASE_NONE) return 0;
  if (!ev->arguments.n) return 0;
  if (reads_file(ev->tool)) remember_read(st, ev);

  sr_str a = {ev->arguments.p, SR_MIN(ev->arguments.n, c->scan_bytes)};
  size_t k =
      sr_secrets_find(c->secrets, t->secrets, a.p, a.n, found, SR_SECRETS_MAX);
  int h = st->n_held ? find_held(c, st, a) : -1;
  float file =
      file_sent(c, t, a, ev->tool, in->reason_floor, reason, reasonlen);
  /* A document that quotes such a command sends nothing (asked only when
   * one was found: most calls send nothing, and the names cost more). */
  if (file > 0 && sr_det_authors_text(ev->tool)) {
    file = 0;
    reason[0] = '\0';
  }
  if (!k && h < 0) return file;

  float score = k ? c->in_arguments : 0;
  char host[64] = "";
  bool out = false;
  if (h >= 0) {
    /* Sent out: to any host the session did not declare. */
    for (size_t at = 0;
         !out && (at = sr_textscan_next_host(a.p, a.n, at, host, sizeof host));)
      out = !sr_det_declared_host(in->session, host);
    score = SR_MAX(score, out ? c->sent_out : c->reused);
  }
  if (file > 0 && file >= score) return file; /* its reason is written */
  if (!(score > 0) || score < in->reason_floor) return score;
  if (h >= 0) {
    const struct held *x = &st->held[h];
    if (out)
      snprintf(reason, reasonlen, "%s read from %s by call %s sent to %s",
               sr_secret_kind_name(x->kind), x->source, x->call, host);
    else
      snprintf(reason, reasonlen,
               "%s read from %s by call %s reused in arguments of %.*s",
               sr_secret_kind_name(x->kind), x->source, x->call,
               SR_SV(ev->tool, 40));
  } else {
    char what[96];
    kinds(what, sizeof what, found, k);
    snprintf(reason, reasonlen, "%s in arguments of %.*s", what,
             SR_SV(ev->tool, 48));
  }
  return score;
}

const struct sr_detector sr_detector_secret_exposure = {
    .version = SR_DETECTOR_VERSION,
    .name = "secret_exposure",
    .description =
        "keys, tokens, passwords and connection strings in tool arguments or "
        "results; a secret read in one call sent out in a later one; a "
        "secret file sent off the machine",
    .session_size = sizeof(struct state),
    .init = se_init,
    .thread_create = se_thread_create,
    .thread_destroy = se_thread_destroy,
    .kinds =
        SR_KIND_CALL_REQUESTED | SR_KIND_CALL_COMPLETED | SR_KIND_FILE_ACCESS,
    .score = se_score,
    .destroy = se_destroy,
};
