/*
 * The operation catalogue: reads a tool call once, for every detector.
 *
 * What it answers: is this call destructive (how badly, can it be undone,
 * what kind of resource, which scope would it need), does it read or write,
 * which environment and target does it act on, and what can its credential
 * do. Detectors then only weigh these facts.
 *
 * How, for one call:
 *
 * 1. One pass copies "tool + ' ' + arguments" into the scratch. JSON strings
 *    are unescaped (the text reads as the shell sees it), runs of blanks
 *    become one, and the free-text "description" a coding agent attaches to
 *    its shell calls is dropped. On the way it records the shell segments:
 *    unquoted ; & | && || newlines and # comments, and every JSON string
 *    boundary (in `{"command":"echo 'a; b' | psql"}` only the pipe
 *    separates).
 * 2. Hyperscan scans that raw text once, caseless, against the catalogue
 *    compiled at setup: shell, SQL, NoSQL, HTTP and CLI syntax, where flags
 *    and punctuation matter (`rm -rf /`, `DELETE FROM t;`, `-X DELETE`), the
 *    masks, read/write hints for SQL/HTTP/GraphQL, inventory ids, and a
 *    literal prefilter for destructive verbs. Two very common CLIs, git and
 *    kubectl, are hooks whose subcommand and flags are read in C (git push
 *    --force, kubectl delete namespace): as patterns their optional global
 *    flags cost thousands of instructions at every `git`.
 *    Likewise a few patterns are a literal for Hyperscan and the rest is
 *    read in C when it matches (confirmed()): `select .. from`, `mutation
 *    {`, `create table`, and where a grep or echo starts a command; as
 *    patterns they ran an automaton over the rest of the text. So are the
 *    flags and targets of every `rm` (rm_read(): its eleven entries and
 *    mask.rm_build) and the subcommand after a CLI's flags (`terraform
 *    -chdir=x destroy`, flags_then()). The paths an rm, a find, an mv,
 *    shred or truncate, or a tool whose name deletes are given are read
 *    by store_of(): the files of a data store (a database's data
 *    directory, its WAL, a volume, a backup) are the store.
 * 3. A word form is built: camelCase split, `_ . : @ __` and `-` between
 *    letters turned into spaces, lowercase, so `volumeDelete`,
 *    `mcp__github__delete_repository` and `heroku apps:destroy` read "volume
 *    delete", "delete repository", "apps destroy". Paths, URLs and file names
 *    stay out (`cat docs/delete-volume.md` reads a document). It is built for
 *    the tool name always (the scratch keeps it for the last few names) and
 *    for the arguments only when the prefilter saw a destructive verb that
 *    ends a word (up to the first resource noun for a GraphQL document
 *    without one). Its rules (a destructive verb next to a resource noun,
 *    API names such as volumeDelete) are evaluated in C over a hashed
 *    vocabulary; configured `words: true` entries go through a second
 *    Hyperscan database. Hyperscan's cost per literal hit made a word-form
 *    scan cost more than the whole raw scan.
 *
 * Hyperscan reports where a match ends; asking where it starts
 * (HS_FLAG_SOM_LEFTMOST) made the raw scan twenty times slower, so a raw
 * match is placed by its shell segment, which is what the rest of the logic
 * reasons about anyway.
 *
 * The worst destructive match wins, after two corrections. Masks are benign
 * look-alikes that damp the matches of their segment (`--dry-run`, `echo`,
 * `grep`, `git commit -m`, `rm -rf node_modules`, `UPDATE .. WHERE`); a
 * catch-all ("delete" next to "database", `aws ... delete-*`) gives way to a
 * specific entry matched in the same segment (`aws rds
 * delete-db-snapshot`). Whether a harmless call reads or writes comes from a
 * small classifier on the programs and subcommands of its commands, the
 * hints, and the verbs of the tool's name.
 *
 * The answer for a tool name and arguments depends on those bytes alone,
 * and the same bytes come back (a completion repeats its request; agents
 * rerun `git status`), so each scratch remembers its last 2,048 answers,
 * keyed by the exact bytes (see "Classification: the memo").
 *
 * Tools whose arguments are content rather than commands (Read, Write, Edit,
 * Grep, WebFetch, Task, ...; `*__get_*`, `*__create_issue`-style names) are
 * not scanned: a migration file that contains DROP TABLE, or a pull request
 * that quotes `rm -rf /`, destroys nothing.
 *
 * Memory: the catalogue owns its entries and databases and borrows strings
 * from the configuration tree, which outlives it (the engine destroys the
 * conf after the detectors). A scratch owns one Hyperscan scratch and fixed
 * buffers (about 2 MiB: the copied arguments, up to 256 KiB, the word form
 * and the memo, 1.4 MiB); classification allocates nothing.
 */
#include "detectors/catalogue.h"

#include <assert.h>
#include <hs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "detectors/env.h"

/* Bounds. Configuration beyond them is an error, input beyond them is cut. */
#define CONF_ENTRIES_MAX 1024 /* catalogue.destructive items */
#define CREDS_MAX 4096        /* credentials items */
#define RESOURCES_MAX 4096    /* resources items */
#define CRED_LIST_MAX 64      /* scopes or environments of one credential */
#define RAW_CAP (SR_NAME_MAX + 1 + SR_TEXT_MAX)
#define WORDS_CAP (64 * 1024)
#define CANDS_MAX 32
#define MASKS_MAX 16
#define SEPS_MAX 512 /* separators remembered; past them: unknown segment */
#define CMDS_MAX 16  /* command strings classified */
#define ID_RESOURCE (1u << 24) /* Hyperscan ids at or above: inventory ids */
#define SEG_UNKNOWN UINT32_MAX
#define LEX_SLOTS 4096    /* power of two, > 3 x the vocabulary */
#define MATCHED_MAX 120   /* bytes of a raw match shown in op->matched */
#define MEMO_SLOTS 2048   /* remembered classifications; a power of two */
#define MEMO_KEY_MAX 384  /* tool + arguments bytes; longer calls are not */
#define MEMO_COPY_MAX 256 /* bytes of views copied into an entry */
#define TOKEN_MAX 256     /* bytes of a token the word form reads */
#define NAMES_KEPT 4      /* tool names whose word form a scratch keeps */
#define NAME_KEEP_MAX 48  /* ... of at most this many bytes */

/* How a match picks its variant (struct variant): what a `kubectl` or
 * `git` command does (its subcommand, resource type, flags), the noun of a
 * "delete <noun>" phrase. */
enum resolver {
  RESOLVE_NONE = 0,
  RESOLVE_K8S,
  RESOLVE_GIT,
  RESOLVE_NOUN,
  RESOLVE_RM,    /* `rm`: the entries of enum rm_target, read in C (rm_read) */
  RESOLVE_FIND,  /* `find ... -delete`: its starting points (find_resolve) */
  RESOLVE_XARGS, /* `find ... | xargs rm`: the same (xargs_resolve) */
  RESOLVE_FILES, /* `mv`, `shred`, `truncate` of a data store (files_resolve) */
};

enum kind {
  K_DESTROY = 0,    /* a destructive operation */
  K_MASK,           /* damps matches in its segment */
  K_HINT,           /* raw syntax that reads or writes (verb) */
  K_PREFILTER,   /* a destructive verb: the word form is worth building */
  K_VERB,        /* ... if it can end a word there (verb_ends_word) */
};

/* Where an entry is matched: the raw-text database, the word-form database
 * (configured `words: true` entries), or by word_rules() in C. */
enum db { DB_RAW = 0, DB_WORDS = 1, DB_N = 2, DB_NONE = 3 };

#define F_CASEFUL 1u  /* raw pattern is case-sensitive */
#define F_GRAPHQL 2u  /* hint: the arguments are a GraphQL document */
#define F_FALLBACK 4u /* catch-all: yields to a specific match nearby */
#define F_MENTION 8u  /* mask: the segment mentions, it does not execute */
#define F_NO_PIPE 16u /* mask: not when its segment pipes into another */
#define F_DRY_RUN 32u /* mask: a dry run, so the call reads */
#define F_BY_CODE 64u /* mask: set in C (a resolver, rm_read), not compiled */

/* What C checks after a raw match where the rest of a pattern would make
 * Hyperscan run an automaton over the rest of the text, thousands of
 * instructions per scan (see confirmed()). */
enum confirm {
  CONFIRM_NONE = 0,
  CONFIRM_FROM,   /* `[^;]*\bfrom\b` follows the match */
  CONFIRM_PAREN,  /* `\s?\w*\s?[({]` follows the match */
  CONFIRM_CMD,    /* the program matched starts a command (cmd_starts_at) */
  CONFIRM_CREATE, /* what `create` makes: see created_object() */
  CONFIRM_FLAGS,  /* flags, then a subcommand: see flags_then() */
  CONFIRM_OWN_DB, /* the segment names no DATABASE_URL (own_database()) */
};

/* resource value asking to derive the kind from the call (URL, nouns) */
static const char RES_DERIVE[] = "@";
/* ... from the data store whose path the match is (struct cand.store) */
static const char RES_STORE[] = "@store";

/*
 * One compiled pattern. Invariant: the entry's index is its Hyperscan id in
 * database `db`. Strings are static, borrowed from the configuration tree,
 * or owned (own_*); patterns are only needed until compiled.
 */
struct entry {
  const char *name;
  const char *pattern;
  uint8_t kind;
  uint8_t db;
  uint8_t verb;  /* hints: SR_VERB_* */
  uint8_t flags; /* F_* */
  bool irreversible;
  float severity; /* K_DESTROY: severity; masks: factor */
  const char *resource;
  const char *scope;
  const char *applies; /* masks: only rules whose name starts with this */
  size_t applies_len;
  uint8_t resolver;     /* RESOLVE_*: the variant is worked out on a match */
  uint8_t confirm;      /* CONFIRM_*: the rest of the match, checked in C */
  const char *programs; /* CONFIRM_CMD: names, '|' apart, ' ' for \s */
  const char *after;    /* CONFIRM_FLAGS: subcommands, '|' apart */
  const char *then;     /* CONFIRM_FLAGS: later words, '|' apart, or NULL */
  const struct sr_conf_node *node; /* configured entries, for errors */
  char *own_pattern;
  char *own_scope;
};

/* One word of the word form's vocabulary (a view into a static list). */
struct lex {
  const char *p;
  uint8_t n;
  uint8_t cls;  /* L_* */
  int8_t noun;  /* nouns[] index, -1 none */
  int8_t k8s;   /* k8s_types[] index, -1 none */
  uint16_t prog; /* P_* of a program name (progs[]), 0 none */
  uint8_t sub;   /* SR_VERB_* of a subcommand word (subs[]), 0 none */
};

#define L_DEL 1u      /* destroys: delete, destroy, drop, ... */
#define L_RM 2u       /* rm: destroys after a noun only */
#define L_RESET 4u    /* resets a database */
#define L_BETWEEN 8u  /* may stand between verb and noun */
#define L_READ 16u    /* a tool name verb that reads */
#define L_WRITE 32u   /* ... that writes */
#define L_DELNAME 64u /* ... that deletes */

/* A configured credential: views borrowed from the conf tree (environments
 * canonicalised, possibly to static strings). */
struct cred {
  sr_str id;
  sr_str purpose;
  sr_str *scopes;
  uint32_t n_scopes;
  bool scopes_set;
  sr_str *envs;
  uint32_t n_envs;
};

/* A configured resource. */
struct resource {
  sr_str id;
  sr_str kind;
  sr_str environment; /* canonical */
  enum sr_backups backups;
};

/* Open-addressing index from id to array position + 1 (0 = empty). */
struct id_index {
  uint32_t *slots;
  uint32_t mask;
};

struct sr_catalogue {
  struct entry *entries;
  size_t n_entries;
  size_t n_destructive;
  bool words_always; /* configured word entries: no prefilter possible */
  uint8_t wcls[256]; /* byte classes of the word normaliser */
  struct lex *lex;   /* the word form's vocabulary */
  size_t n_lex;
  uint16_t lex_slots[LEX_SLOTS];      /* hash of a word -> lex index + 1 */
  uint32_t e_generic, e_reset, e_api; /* entries of the word rules */
  uint32_t e_vcs_message;             /* the mask the git resolver sets */
  uint32_t e_rm_build;                /* the mask rm_read() sets */
  uint32_t e_files; /* the hook of files_resolve(); tool_paths() uses it */
  hs_database_t *db[DB_N];            /* NULL when it has no pattern */
  struct cred *creds;
  size_t n_creds;
  sr_str *cred_lists; /* pool for creds[].scopes and .envs */
  struct id_index cred_index;
  struct resource *res;
  size_t n_res;
  struct id_index res_index;
  int noun_file; /* nouns[] index of "file": what the fixed file tools touch */
  /* bit n of fixed_lens[c]: a fixed tool's name starts with c and has n
   * bytes; rules out nearly every other tool in one test */
  uint32_t fixed_lens[128];
  /* bit c - 'a': a data verb starts with c; rules out most tool names
   * (Bash, mcp__db__query) without a comparison */
  uint32_t data_initials;
};

/* A destructive match or a mask, in raw-text coordinates. Raw matches have
 * no exact start (from = SEG_UNKNOWN until needed); `seg` is the shell
 * segment of their last byte. */
struct cand {
  uint32_t entry;
  uint32_t from, to;
  uint32_t seg;
  int32_t variant; /* index into the entry resolver's table, -1 none */
  /* stores[] index + 1 of the path raw[from, to), for entries whose
   * resource is RES_STORE; 0 none */
  uint8_t store;
};

/* A command string of the arguments: raw[from, to). */
struct span {
  uint32_t from, to;
};

/*
 * Per-thread scratch: the Hyperscan scratch, the texts being scanned and
 * what the scans found. Everything but `cat` and `hs` is per call.
 * Invariants during a call: sep_pos is ascending; words[0..words_len) is the
 * word form of a prefix of raw and wpos[i] the raw offset words[i] came from.
 */
/* Where a view of a remembered answer lives: offsets into the tool name or
 * the arguments hold for any event with the same bytes; text that only the
 * scratch's unescaped copy held is copied into the entry. */
enum memo_at { AT_NONE = 0, AT_TOOL, AT_ARGS, AT_COPY };
struct memo_view {
  uint8_t at;
  uint32_t off, n;
};

/* A tool name's word form and what its words say (see tool_name). */
struct name_form {
  uint32_t n; /* bytes of name; 0: empty slot */
  char name[NAME_KEEP_MAX];
  uint32_t words_len;
  uint8_t name_verb;
  int8_t noun_tool;
  bool args_data; /* args_are_data() */
  char words[2 * NAME_KEEP_MAX + 4];
  uint32_t wpos[2 * NAME_KEEP_MAX + 4];
};

/* One remembered classification (see "Classification: the memo"). */
struct memo_entry {
  uint64_t hash;  /* of tool name and arguments */
  uint64_t stamp; /* memo_clock when stored; 0 = empty */
  uint32_t tool_n, args_n, copy_n;
  struct sr_op text; /* what the tool name and arguments decided; its views
                        and credential are empty, kept as the two below */
  struct memo_view matched, found_id;
  uint32_t res_found; /* inventory index + 1 of an id found, 0 none */
  char key[MEMO_KEY_MAX];   /* tool name, then arguments */
  char copy[MEMO_COPY_MAX]; /* views that were in the scratch's copy */
};

struct sr_catalogue_scratch {
  const struct sr_catalogue *cat;
  hs_scratch_t *hs;
  struct cand cands[CANDS_MAX];
  uint32_t n_cands;
  struct cand masks[MASKS_MAX];
  uint32_t n_masks;
  uint8_t hint_verb;
  uint8_t name_verb;
  bool graphql;
  bool want_words;
  bool redirect;      /* a command writes a file with > or >> */
  int noun_tool;      /* last noun in the tool name, -1 none */
  int noun_args;      /* first noun in the arguments, -1 none */
  uint32_t res_found; /* inventory index + 1 of the earliest id, 0 none */
  uint32_t res_from;
  uint32_t n_seps;
  bool seps_overflow;
  uint32_t n_cmds;
  size_t raw_len;
  size_t tool_len; /* bytes of the tool name at the start of raw */
  size_t words_len;
  size_t tool_words_end; /* word-form bytes that come from the tool name */
  uint32_t sep_pos[SEPS_MAX];
  char sep_kind[SEPS_MAX]; /* '|' a pipe, ';' anything else */
  struct span cmds[CMDS_MAX];
  sr_str envs[SR_LIST_MAX]; /* canonical copy of the event's cred envs */
  struct name_form names[NAMES_KEPT]; /* the last tool names read */
  uint32_t names_next;                /* the slot replaced next */
  uint64_t memo_clock;                /* stores so far: the age of an entry */
  uint64_t memo_lookups, memo_hits;
  struct memo_entry memo[MEMO_SLOTS];
  char raw[RAW_CAP];
  uint64_t reach[RAW_CAP / 64 + 1]; /* rm_build(): offsets an item ends at */
  char words[WORDS_CAP];
  uint32_t wpos[WORDS_CAP];
};

/* ---------------------------------------------------------------------- */
/* The built-in catalogue                                                   */
/* ---------------------------------------------------------------------- */

/*
 * Raw patterns: Hyperscan syntax, caseless unless F_CASEFUL. The copy
 * collapses runs of blanks, so one \s matches any run, and a space in a
 * pattern stands for \s (expanded at setup; never put one inside [...]).
 * Fragments:
 *   SEG   the rest of one shell segment
 *   END   the end of one argument (ENDX inside a pattern: Hyperscan
 *         accepts $ only at the end)
 *   FL    any flags
 *   CLI   a program name, then anything in the same segment
 */
#define SEG "[^;&|\\n]*"
#define END "(?:\\s|$|[;&|\"'`)\\\\])"
#define ENDX "[\\s;&|\"'`)\\\\]"
#define FL "(?:-\\S+ )*"
#define CLI(x) "\\b" x "(?: " SEG ")? "
#define RM0 "(?:^|[^\\w./-])rm " FL
/* every `rm`: the hook of rm_read(), which checks what precedes it */
#define RM_HOOK "rm "
#define SQLID "[\\w.\"`\\[\\]]+"
#define SQLEND "\\s*(?:$|[;,)}\"'\\\\]|\\bcascade\\b|\\brestart\\b)"
#define HTTPDEL "(?:-X\\s*|--request[=\\s]\\s*)['\"]?DELETE\\b"
/* a bucket's name, or a variable standing for it (s3://$b) */
#define BUCKET "[\\w.${}-]+"
/* cloud CLIs, their deleting subcommands, and a listing with no filter:
 * only options that shape its output (a --query without a ?[...] test) */
#define CLOUD "\\b(?:aws|gcloud|az|doctl)\\b"
#define DELV "\\s(?:batch-)?(?:delete|terminate|remove|rm|rb|destroy)\\b"
#define LISTING                                                            \
  "\\s(?:describe|list|ls)[\\w-]*(?: (?:--(?:profile|region|output|query|" \
  "format|project|subscription|resource-group|max-items|page-size|no-"     \
  "paginate|no-cli-pager)|-[og])(?:(?:=| )['\"]?[^\\s'\"?]*['\"]?)?)*"

#define IRR true
#define REV false

struct builtin {
  const char *name;
  float severity;
  bool irreversible;
  const char *resource; /* NULL: none; RES_DERIVE: from the call */
  const char *pattern;
  unsigned flags;
  uint8_t resolver; /* RESOLVE_* */
  const char *after; /* CONFIRM_FLAGS: see flags_then() */
  const char *then;
};

/* Destructive operations on the raw text. Order matters only for ties:
 * the earlier entry names the match, so specific ones come first. */
/* clang-format off */
static const struct builtin raw_destructive[] = {
    /* filesystems */
    /* one hook reads the flags and targets of every `rm` for these
     * eleven entries (rm_read, which says what each matches) */
    {"shell.rm_rf_root", 1.00f, IRR, "file", RM_HOOK, 0, RESOLVE_RM},
    {"shell.rm_rf_home", 0.95f, IRR, "file", NULL},
    {"shell.rm_rf_system", 0.95f, IRR, "file", NULL},
    /* the files of a database, a volume or a backup (store_of), with
     * or without -r or -f: the store is gone whatever the flags */
    {"shell.rm_datastore", 0.95f, IRR, RES_STORE, NULL},
    /* the working directory: where a coding agent runs, the project and
     * its repository, or the home it was started in */
    {"shell.rm_rf_cwd", 0.95f, IRR, "file", NULL},
    /* "$DIR/" or "$DIR"/, with a star or not: where DIR is unset or
     * empty, as a variable nothing in the call sets often is, that is
     * rm -rf of the root (Steam's installer) */
    {"shell.rm_rf_var_root", 0.95f, IRR, "file", NULL},
    {"shell.rm_rf_git", 0.80f, IRR, "repo", NULL},
    /* ... one the call set to a name first (`OUT=dist; rm -rf "$OUT"/`) */
    {"shell.rm_rf_var", 0.70f, IRR, "file", NULL},
    {"shell.rm_rf", 0.60f, IRR, "file", NULL},
    {"shell.rm_recursive", 0.50f, IRR, "file", NULL},
    {"shell.rm", 0.25f, REV, "file", NULL},
    /* a find that no test narrows wipes where it starts: find_starts[] */
    {"shell.find_delete", 0.60f, IRR, "file", "\\bfind\\b" SEG "\\s(?:-delete|-exec (?:/bin/)?rm)\\b", 0, RESOLVE_FIND},
    /* ... and its listing piped to `xargs rm` (a hook: only an unnarrowed
     * find's listing matches, as find_xargs_rm_* of find_starts[]) */
    {"shell.find_xargs_rm", 0.0f, IRR, "file", "\\bxargs\\s", 0, RESOLVE_XARGS},
    /* a hook: a data store's files moved away, shredded or truncated
     * (store_ops[]; files_resolve) */
    {"shell.datastore_files", 0.0f, IRR, NULL, "\\b(?:mv|shred|truncate)\\s", 0, RESOLVE_FILES},
    {"shell.shred", 0.80f, IRR, "file", "(?:^|[\\s;&|(\"'])shred\\s"},
    {"shell.dd_device", 0.95f, IRR, "volume", "\\bdd\\b" SEG "\\sof=/dev/(?:sd|hd|vd|xvd|nvme|mmcblk|disk|mapper|md|dm-|loop)"},
    {"shell.redirect_device", 0.95f, IRR, "volume", ">\\s*/dev/(?:sd|hd|vd|xvd|nvme|mmcblk|disk)"},
    {"shell.mkfs", 0.95f, IRR, "volume", "\\b(?:mkfs(?:\\.\\w+)?|mke2fs|mkswap|wipefs)\\s"},
    {"shell.sgdisk_zap", 0.95f, IRR, "volume", "\\bsgdisk\\b" SEG "\\s(?:-Z|--zap-all)\\b"},
    {"shell.truncate_zero", 0.50f, IRR, "file", "\\btruncate " FL "?(?:-s\\s*0|--size[=\\s]0)\\b"},
    {"shell.mv_devnull", 0.60f, IRR, "file", "\\bmv\\s" SEG "\\s/dev/null\\b"},
    {"shell.rsync_delete", 0.50f, IRR, "file", "\\brsync\\b" SEG "\\s--delete(?:-\\w+)?\\b"},
    /* every mode or owner of the system replaced: nothing records what
     * they were, and sudo, ssh and the services stop (case matters: -r
     * is a mode) */
    {"shell.chmod_recursive_system", 0.95f, IRR, "file", "\\b(?:chmod|chown|chgrp) (?:-[^\\s;&|]+ )*(?:-[a-zA-Z]*R[a-zA-Z]*|--recursive) (?:[^\\s;&|]+ )*/(?:\\*|(?:bin|boot|etc|lib|lib32|lib64|opt|sbin|srv|usr|var)/?\\*?)?" END, F_CASEFUL},
    {"shell.crontab_remove", 0.50f, IRR, "file", "\\bcrontab\\s-r\\b"},

    /* SQL */
    {"sql.drop_database", 1.00f, IRR, "database", "\\bdrop (?:database|keyspace)\\b"},
    {"sql.drop_schema", 0.95f, IRR, "database", "\\bdrop schema\\b"},
    {"sql.drop_table", 0.90f, IRR, "table", "\\bdrop table\\b"},
    {"sql.truncate", 0.90f, IRR, "table", "\\btruncate (?:table )?(?:only )?" SQLID SQLEND},
    {"sql.delete_all", 0.90f, IRR, "table", "\\bdelete from " SQLID "(?: (?:as )?\\w+)?(?:\\s|\\\\[nrt])*(?:$|[;)}\"'])"},
    {"sql.delete_where_true", 0.85f, IRR, "table", "\\bdelete from " SQLID " (?:[^;]* )?where (?:1\\s*=\\s*1|true|'1'\\s*=\\s*'1')" SQLEND},
    {"sql.delete_where", 0.30f, IRR, "table", "\\bdelete from " SQLID " (?:[^;]* )?where\\b"},
    {"sql.update_all", 0.60f, IRR, "table", "\\bupdate " SQLID " set\\b"},
    {"sql.alter_drop_column", 0.70f, IRR, "table", "\\balter table (?:if exists )?(?:only )?" SQLID " drop column\\b"},
    {"sql.alter_drop", 0.40f, IRR, "table", "\\balter table (?:if exists )?(?:only )?" SQLID " drop\\b", F_FALLBACK},
    {"sql.drop_other", 0.40f, REV, "database", "\\bdrop (?:index|view|materialized view|function|procedure|trigger|sequence|type|extension|policy|role|user)\\b"},
    {"sql.dropdb", 1.00f, IRR, "database", "(?:^|[\\s;&|\"'(])(?:dropdb|mysqladmin\\b" SEG "\\sdrop)\\s"},
    {"orm.db_drop", 1.00f, IRR, "database", "\\b(?:rails|rake|bin/rails|sequelize|sequelize-cli)\\sdb:drop\\b|\\bartisan db:wipe\\b"},
    /* every table emptied and the schema rebuilt: a dropped database */
    {"orm.db_reset", 0.95f, IRR, "database", "\\b(?:rails|rake|bin/rails)\\sdb:(?:reset|schema:load|purge)\\b|\\bartisan migrate:(?:fresh|reset)\\b|\\bprisma migrate reset\\b|\\bmanage\\.py (?:flush|reset_db)\\b|\\bprisma db push\\b" SEG "--force-reset\\b"},
    {"orm.data_loss", 0.70f, IRR, "database", "\\bprisma db push\\b" SEG "--accept-data-loss\\b|\\balembic downgrade base\\b|\\bknex migrate:rollback\\b" SEG "--all\\b"},

    /* NoSQL */
    {"mongo.drop_database", 1.00f, IRR, "database", "\\bdropDatabase\\s*\\("},
    {"mongo.drop_collection", 0.90f, IRR, "collection", "\\bdb\\.(?:\\w+|getCollection\\([^)]*\\))\\.drop\\s*\\(\\s*\\)"},
    {"mongo.delete_all", 0.90f, IRR, "collection", "\\.(?:deleteMany|remove)\\s*\\(\\s*\\{\\s*\\}\\s*[,)]"},
    {"mongo.delete_many", 0.35f, IRR, "collection", "\\.deleteMany\\s*\\("},
    {"mongo.delete_one", 0.20f, IRR, "collection", "\\.(?:deleteOne|findOneAndDelete)\\s*\\("},
    {"redis.flushall", 1.00f, IRR, "database", "\\bflushall\\b"},
    /* a database other than 0, as test suites and queues select: one the
     * application's own data is not in, unless in production */
    {"redis.flushdb_numbered", 0.90f, IRR, "database", "\\bredis-cli\\b" SEG "\\s(?:-n ?[1-9]\\d*|-u ['\"]?rediss?://[^\\s/]*/[1-9]\\d*)\\b" SEG "\\bflushdb\\b"},
    {"redis.flushdb", 0.95f, IRR, "database", "\\bflushdb\\b", F_FALLBACK},
    {"redis.del", 0.30f, IRR, "database", "\\bredis-cli\\b" SEG "\\s(?:del|unlink|hdel)\\s"},
    {"elasticsearch.delete_all", 1.00f, IRR, "index", "\\bDELETE /?(?:_all|\\*)(?:\\s|$|[\\\\\"'?])", F_CASEFUL},
    {"elasticsearch.delete_index", 0.90f, IRR, "index", "\\bDELETE /[\\w.*,-]+/?(?:\\s|$|[\\\\\"'?])", F_CASEFUL},
    {"elasticsearch.curl_delete_index", 0.90f, IRR, "index", "\\bcurl\\b" SEG HTTPDEL SEG "\\s['\"]?https?://[^\\s/]+:9200/[\\w.*,-]+/?(?:\\s|$|['\"?\\\\])"},
    {"etcd.delete_prefix", 0.90f, IRR, "database", "\\betcdctl\\b" SEG "\\sdel\\b" SEG "\\s--(?:prefix|from-key)\\b"},
    {"kafka.delete_topic", 0.85f, IRR, "topic", "\\bkafka-topics(?:\\.sh)?\\b" SEG "\\s--delete\\b"},

    /* git and GitHub */
    /* git: the subcommand and its flags pick a git_ops[] variant (push
     * --force, reset --hard, branch -D, ...); plain git commands match
     * nothing */
    {"git", 0.0f, IRR, NULL, "\\bgit\\s", 0, RESOLVE_GIT},
    {"git.filter_history", 0.80f, IRR, "repo", "(?:^|[\\s;&|\"'(])bfg\\s--?(?:delete|replace|strip)"},
    {"gh.repo_delete", 1.00f, IRR, "repo", "\\bgh repo delete\\b"},
    {"gh.api_delete_repo", 1.00f, IRR, "repo", "\\bgh api\\b" SEG "(?:-X\\s*|--method[=\\s]\\s*)DELETE\\b" SEG "\\s['\"]?/?repos/[\\w.-]+/[\\w.-]+/?" END "|\\bgh api ['\"]?/?repos/[\\w.-]+/[\\w.-]+/?['\"]? " SEG "(?:-X\\s*|--method[=\\s]\\s*)DELETE\\b"},
    {"gh.api_delete", 0.60f, IRR, RES_DERIVE, "\\bgh api\\b" SEG "(?:-X\\s*|--method[=\\s]\\s*)DELETE\\b", F_FALLBACK},
    {"gh.release_delete", 0.50f, IRR, "release", "\\bgh release delete\\b"},
    {"gh.delete", 0.40f, IRR, RES_DERIVE, "\\bgh (?:issue|secret|variable|label|cache|run|codespace|gist|ssh-key|gpg-key|project|ruleset) delete\\b", F_FALLBACK},

    /* AWS */
    {"aws.s3_rb_force", 1.00f, IRR, "bucket", CLI("aws") "s3 rb\\b" SEG "\\s--force\\b"},
    /* recursive at the bucket's root: every object in it */
    {"aws.s3_rm_bucket", 0.95f, IRR, "bucket", CLI("aws") "s3 rm\\b" SEG "\\s['\"]?s3://" BUCKET "/?" ENDX SEG "--recursive\\b|" CLI("aws") "s3 rm\\b" SEG "\\s--recursive\\b" SEG "\\s['\"]?s3://" BUCKET "/?" END},
    {"aws.s3_rm_recursive", 0.90f, IRR, "bucket", CLI("aws") "s3 rm\\b" SEG "\\s--recursive\\b"},
    {"aws.s3_rb", 0.80f, IRR, "bucket", CLI("aws") "s3 rb\\b"},
    {"aws.s3api_delete_bucket", 0.85f, IRR, "bucket", CLI("aws") "s3api delete-bucket\\b"},
    {"aws.s3_sync_delete", 0.60f, IRR, "bucket", CLI("aws") "s3 sync\\b" SEG "\\s--delete\\b"},
    {"aws.s3_rm", 0.40f, IRR, "object", CLI("aws") "s3 rm\\b", F_FALLBACK},
    {"aws.rds_delete_db_instance", 0.95f, IRR, "database", CLI("aws") "rds delete-db-instance\\b"},
    {"aws.rds_delete_db_cluster", 0.95f, IRR, "database", CLI("aws") "rds delete-db-cluster" END},
    {"aws.rds_delete_snapshot", 0.85f, IRR, "snapshot", CLI("aws") "rds delete-db(?:-cluster)?-snapshot\\b"},
    {"aws.dynamodb_delete_table", 0.95f, IRR, "table", CLI("aws") "dynamodb delete-table\\b"},
    {"aws.dynamodb_delete_backup", 0.85f, IRR, "backup", CLI("aws") "dynamodb delete-backup\\b"},
    {"aws.ec2_terminate_instances", 0.90f, IRR, "instance", CLI("aws") "ec2 terminate-instances\\b"},
    {"aws.ec2_delete_volume", 0.90f, IRR, "volume", CLI("aws") "ec2 delete-volume\\b"},
    {"aws.ec2_delete_snapshot", 0.85f, IRR, "snapshot", CLI("aws") "ec2 delete-snapshot\\b"},
    {"aws.efs_delete_file_system", 0.90f, IRR, "volume", CLI("aws") "efs delete-file-system\\b"},
    {"aws.eks_delete_cluster", 0.95f, IRR, "cluster", CLI("aws") "eks delete-cluster\\b|\\beksctl delete cluster\\b"},
    {"aws.ecs_delete", 0.80f, IRR, "service", CLI("aws") "ecs delete-(?:cluster|service)\\b"},
    {"aws.cloudformation_delete_stack", 0.95f, IRR, "stack", CLI("aws") "cloudformation delete-stack\\b"},
    {"aws.route53_delete_hosted_zone", 0.90f, IRR, "domain", CLI("aws") "route53 delete-hosted-zone\\b"},
    {"aws.backup_delete", 0.90f, IRR, "backup", CLI("aws") "backup delete-(?:recovery-point|backup-vault)\\b"},
    {"aws.secret_delete_now", 0.80f, IRR, "secret", CLI("aws") "secretsmanager delete-secret\\b" SEG "--force-delete-without-recovery\\b"},
    {"aws.kms_schedule_key_deletion", 0.70f, REV, "key", CLI("aws") "kms schedule-key-deletion\\b"},
    /* every resource an unfiltered listing returns, fed to a deletion:
     * `terminate-instances --instance-ids $(aws ec2 describe-instances
     * ...)`, `... list-users ... | xargs ... delete-user` */
    {"cloud.delete_listed", 0.95f, IRR, RES_DERIVE, CLOUD SEG DELV "[^;&|\\n]*\\$\\( ?" CLOUD "[^)|]*" LISTING " ?\\)|" CLOUD "[^;&|\\n]*" LISTING " ?\\| ?(?:awk ['\"]\\{ ?print \\$\\d+ ?\\}['\"] ?\\| ?)?xargs\\b" SEG CLOUD SEG DELV},
    {"aws.delete", 0.60f, IRR, RES_DERIVE, CLI("aws") "[\\w-]+ (?:batch-)?(?:delete|terminate|remove)-[\\w-]+", F_FALLBACK},

    /* Google Cloud */
    {"gcloud.projects_delete", 1.00f, IRR, "project", CLI("gcloud") "projects delete\\b"},
    {"gcloud.sql_instances_delete", 1.00f, IRR, "database", CLI("gcloud") "sql instances delete\\b"},
    {"gcloud.sql_databases_delete", 0.95f, IRR, "database", CLI("gcloud") "sql databases delete\\b"},
    {"gcloud.sql_backups_delete", 0.85f, IRR, "backup", CLI("gcloud") "sql backups delete\\b"},
    {"gcloud.container_clusters_delete", 0.95f, IRR, "cluster", CLI("gcloud") "container clusters delete\\b"},
    {"gcloud.compute_disks_delete", 0.90f, IRR, "volume", CLI("gcloud") "compute disks delete\\b"},
    {"gcloud.compute_snapshots_delete", 0.85f, IRR, "snapshot", CLI("gcloud") "compute snapshots delete\\b"},
    {"gcloud.compute_instances_delete", 0.85f, IRR, "instance", CLI("gcloud") "compute instances delete\\b"},
    {"gcloud.storage_rm_bucket", 0.95f, IRR, "bucket", CLI("gcloud") "storage rm\\b" SEG "\\s['\"]?gs://" BUCKET "(?:/\\*{0,2})?" END},
    {"gcloud.storage_rm_recursive", 0.90f, IRR, "bucket", CLI("gcloud") "storage rm\\b" SEG "\\s(?:-r|-R|--recursive)" END},
    {"gcloud.storage_buckets_delete", 0.90f, IRR, "bucket", CLI("gcloud") "storage buckets delete\\b"},
    {"gcloud.delete", 0.60f, IRR, RES_DERIVE, CLI("gcloud") "(?:[\\w-]+ ){1,4}delete\\b", F_FALLBACK},
    {"gsutil.rm_bucket", 0.95f, IRR, "bucket", CLI("gsutil") "rm\\b" SEG "\\s['\"]?gs://" BUCKET "(?:/\\*{0,2})?" END},
    {"gsutil.rm_recursive", 0.90f, IRR, "bucket", CLI("gsutil") "rm\\b" SEG "\\s-[a-z]*r[a-z]*" END},
    {"gsutil.rb", 0.85f, IRR, "bucket", CLI("gsutil") "rb\\b"},
    {"gsutil.rm", 0.40f, IRR, "object", CLI("gsutil") "rm\\b", F_FALLBACK},

    /* Azure */
    {"az.group_delete", 1.00f, IRR, "resource-group", CLI("az") "group delete\\b"},
    {"az.sql_server_delete", 1.00f, IRR, "database", CLI("az") "(?:sql|postgres|mysql) (?:flexible-)?server delete\\b"},
    {"az.sql_db_delete", 0.95f, IRR, "database", CLI("az") "(?:sql|cosmosdb) (?:\\w+ )?(?:db|database) delete\\b|" CLI( "az") "cosmosdb delete\\b"},
    {"az.storage_account_delete", 1.00f, IRR, "bucket", CLI("az") "storage account delete\\b"},
    {"az.storage_blob_delete_batch", 0.85f, IRR, "bucket", CLI("az") "storage (?:blob delete-batch|container delete)\\b"},
    {"az.aks_delete", 0.95f, IRR, "cluster", CLI("az") "aks delete\\b"},
    {"az.vm_delete", 0.85f, IRR, "instance", CLI("az") "vm delete\\b"},
    {"az.disk_delete", 0.90f, IRR, "volume", CLI("az") "disk delete\\b"},
    {"az.snapshot_delete", 0.85f, IRR, "snapshot", CLI("az") "snapshot delete\\b"},
    {"az.keyvault_purge", 0.90f, IRR, "secret", CLI("az") "keyvault (?:\\w+ )?purge\\b"},
    {"az.delete", 0.60f, IRR, RES_DERIVE, CLI("az") "(?:[\\w-]+ ){1,3}delete\\b", F_FALLBACK},
    {"doctl.delete", 0.60f, IRR, RES_DERIVE, CLI("doctl") "(?:[\\w-]+ ){1,3}(?:delete|rm)\\b", F_FALLBACK},
    /* rclone reaches every cloud's storage: purge removes a path and all
     * it holds, delete the files under it */
    {"rclone.purge", 0.90f, IRR, "bucket", CLI("rclone") "purge\\b"},
    {"rclone.delete", 0.60f, IRR, "object", CLI("rclone") "(?:delete|deletefile)\\b"},

    /* infrastructure as code */
    {"terraform.destroy", 0.95f, IRR, "stack", "\\b(?:terraform|tofu) |\\bterragrunt\\b" SEG "\\sdestroy\\b", 0, 0, "destroy"},
    {"terraform.apply_destroy", 0.95f, IRR, "stack", "\\b(?:terraform|tofu|terragrunt) ", 0, 0, "apply", "-destroy"},
    {"terraform.state_rm", 0.50f, REV, "stack", "\\b(?:terraform|tofu|terragrunt) ", 0, 0, "state rm"},
    {"terraform.workspace_delete", 0.50f, IRR, "stack", "\\b(?:terraform|tofu) ", 0, 0, "workspace delete"},
    {"pulumi.destroy", 0.95f, IRR, "stack", "\\bpulumi ", 0, 0, "destroy|down"},
    /* --force removes a stack that still has resources: its state and
     * history go, and nothing manages those resources any more */
    {"pulumi.stack_rm_force", 0.95f, IRR, "stack", "\\bpulumi ", 0, 0, "stack rm", "--force|-f"},
    {"pulumi.stack_rm", 0.60f, IRR, "stack", "\\bpulumi ", 0, 0, "stack rm"},
    {"cdk.destroy", 0.95f, IRR, "stack", "\\b(?:cdk|cdktf) ", 0, 0, "destroy"},
    {"serverless.remove", 0.90f, IRR, "stack", "\\b(?:serverless|sls|sst) ", 0, 0, "remove"},

    /* Kubernetes, Helm, containers */
    /* kubectl: the subcommand, resource type and flags pick a k8s_ops[]
     * variant (delete namespace, delete --all, drain, scale to 0) */
    {"k8s", 0.0f, IRR, NULL, "\\b(?:kubectl|oc)\\s", 0, RESOLVE_K8S},
    {"k8s.cluster_delete_local", 0.60f, IRR, "cluster", "\\b(?:kind|k3d|minikube)\\b" SEG "\\s(?:delete|cluster delete)\\b"},
    {"helm.uninstall", 0.70f, IRR, "service", CLI("helm") "(?:uninstall|delete|del)\\b"},
    {"docker.volume_rm", 0.85f, IRR, "volume", CLI("(?:docker|podman)") "volume (?:rm|remove|prune)\\b"},
    {"docker.system_prune_volumes", 0.85f, IRR, "volume", CLI("(?:docker|podman)") "system prune\\b" SEG "\\s--volumes\\b"},
    {"docker.compose_down_volumes", 0.80f, IRR, "volume", "\\b(?:docker(?:-| )compose|podman-compose|docker-compose)\\b" SEG "\\sdown\\b" SEG "\\s(?:-v|--volumes)" END},
    {"docker.system_prune", 0.50f, REV, "container", CLI("(?:docker|podman)") "system prune\\b"},
    {"docker.rm_force", 0.40f, REV, "container", "\\b(?:docker|podman) (?:container )?(?:rm|remove)\\b" SEG "\\s(?:-[a-z]*f[a-z]*|--force)" END},

    /* platforms */
    {"railway.volume_delete", 0.95f, IRR, "volume", CLI("railway") "volumes? (?:delete|rm|remove)\\b"},
    {"railway.down", 0.40f, REV, "service", CLI("railway") "down\\b"},
    {"heroku.apps_destroy", 1.00f, IRR, "app", CLI("heroku") "apps:destroy\\b|\\bheroku " FL "destroy\\b"},
    {"heroku.pg_reset", 1.00f, IRR, "database", CLI("heroku") "pg:reset\\b"},
    {"heroku.addons_destroy", 0.90f, IRR, "addon", CLI("heroku") "addons:(?:destroy|remove|detach)\\b"},
    {"heroku.pg_backups_delete", 0.85f, IRR, "backup", CLI("heroku") "pg:backups:(?:delete|destroy)\\b"},
    {"heroku.domains_remove", 0.50f, IRR, "domain", CLI("heroku") "domains:(?:remove|clear)\\b"},
    {"fly.apps_destroy", 1.00f, IRR, "app", CLI("(?:fly|flyctl)") "apps? (?:destroy|delete|remove|rm)\\b|\\b(?:fly|flyctl) ", 0, 0, "destroy"},
    {"fly.postgres_destroy", 0.95f, IRR, "database", CLI("(?:fly|flyctl)") "(?:postgres|pg|mpg) (?:destroy|delete|remove)\\b"},
    {"fly.volumes_destroy", 0.95f, IRR, "volume", CLI("(?:fly|flyctl)") "(?:volumes?|vol) (?:destroy|delete|remove|rm)\\b"},
    {"fly.machine_destroy", 0.50f, IRR, "instance", CLI("(?:fly|flyctl)") "(?:machines?|m) (?:destroy|remove|rm)\\b"},
    {"vercel.project_rm", 0.90f, IRR, "project", CLI("vercel") "projects? (?:rm|remove)\\b"},
    {"vercel.remove", 0.85f, IRR, "project", "\\bvercel ", 0, 0, "remove|rm"},
    {"vercel.domains_rm", 0.60f, IRR, "domain", CLI("vercel") "domains? (?:rm|remove)\\b"},
    {"render.service_delete", 0.85f, IRR, "service", CLI("render") "services? delete\\b"},
    {"supabase.db_reset_linked", 1.00f, IRR, "database", CLI("supabase") "db reset\\b" SEG "\\s--(?:linked|db-url)\\b"},
    {"supabase.projects_delete", 1.00f, IRR, "project", CLI("supabase") "projects? delete\\b"},
    {"supabase.branches_delete", 0.70f, IRR, "branch", CLI("supabase") "branch(?:es)? delete\\b"},
    {"supabase.db_reset", 0.60f, IRR, "database", CLI("supabase") "db reset\\b"},
    {"netlify.sites_delete", 0.90f, IRR, "project", CLI("netlify") "sites:delete\\b"},
    {"firebase.firestore_delete_all", 1.00f, IRR, "database", CLI("firebase") "firestore:delete\\b" SEG "\\s--all-collections\\b"},
    {"firebase.delete", 0.80f, IRR, "database", CLI("firebase") "(?:firestore:delete|database:remove)\\b"},

    /* package registries: an unpublished name or version cannot be
     * published again. The subcommand right after the program: allowing
     * flags between made Hyperscan run on at every npm command (+16
     * instructions per event of the bench corpus, which runs npm test) */
    {"npm.unpublish", 0.80f, IRR, "package", "\\b(?:npm|pnpm|yarn) unpublish\\b"},

    /* HTTP */
    {"http.curl_delete", 0.60f, IRR, RES_DERIVE, "\\b(?:curl|wget)\\b" SEG HTTPDEL "|\\bwget\\b" SEG "--method[=\\s]DELETE\\b", F_FALLBACK},
    {"http.method_delete", 0.60f, IRR, RES_DERIVE, "\\bmethod['\"\\\\]*\\s*[:=]\\s*['\"\\\\]*DELETE\\b", F_FALLBACK},
    {"http.client_delete", 0.60f, IRR, RES_DERIVE, "\\b(?:requests|axios|httpx|session|client|http)\\.delete\\s*\\(", F_FALLBACK},
    {"http.httpie_delete", 0.60f, IRR, RES_DERIVE, "\\b(?:http|https|xh) " FL "DELETE\\s", F_CASEFUL | F_FALLBACK},
};
/* clang-format on */

/*
 * Word-form rules (lowercase words, one space apart). API method names that
 * are a resource followed by Delete, as GraphQL mutations spell them
 * (Railway's volumeDelete): `pattern` lists the exact phrases, '|' apart.
 * The catch-all verb/noun rule and "reset the database" follow from the
 * word lists below (see word_rules()).
 */
/* clang-format off */
static const struct builtin api_deletes[] = {
    {"graphql.projectDelete", 1.00f, IRR, "project", "project delete"},
    {"graphql.volumeBackupDelete", 0.90f, IRR, "backup", "volume backup delete|volume instance backup delete"},
    {"graphql.volumeDelete", 0.95f, IRR, "volume", "volume delete|volume instance delete"},
    {"graphql.environmentDelete", 0.90f, IRR, "environment", "environment delete"},
    {"graphql.serviceDelete", 0.85f, IRR, "service", "service delete"},
};
/* clang-format on */

static const struct builtin reset_database = {
    "api.reset_database", 0.90f, IRR, "database", NULL, F_FALLBACK};

/*
 * Resource nouns: what the word form may name, how bad deleting one is, and
 * the scope strings handed out in sr_op. A severity > 0 generates the
 * catch-all "generic.delete_<kind>": a delete verb next to the noun, in
 * either order ("delete volume", "volumes destroy").
 */
struct noun {
  const char *words; /* space-separated spellings */
  const char *resource;
  float severity;
  bool irreversible;
  const char *name;
  const char *scope_read, *scope_write, *scope_delete;
};

#define NOUN(words, res, sev, irr)                                          \
  {                                                                         \
    words, res, sev, irr, "generic.delete_" res, res ":read", res ":write", \
        res ":delete"                                                       \
  }

/* clang-format off */
static const struct noun nouns[] = {
    NOUN("organization organizations organisation organisations org orgs", "organization", 0.95f, IRR),
    NOUN("database databases db dbs keyspace keyspaces", "database", 0.95f, IRR),
    NOUN("project projects", "project", 0.95f, IRR),
    NOUN("repo repos repository repositories", "repo", 0.90f, IRR),
    NOUN("backup backups", "backup", 0.90f, IRR),
    NOUN("namespace namespaces", "namespace", 0.90f, IRR),
    NOUN("cluster clusters", "cluster", 0.90f, IRR),
    NOUN("volume volumes disk disks", "volume", 0.85f, IRR),
    NOUN("bucket buckets", "bucket", 0.85f, IRR),
    NOUN("stack stacks", "stack", 0.85f, IRR),
    NOUN("app apps application applications", "app", 0.85f, IRR),
    NOUN("account accounts", "account", 0.80f, IRR),
    NOUN("snapshot snapshots", "snapshot", 0.80f, IRR),
    NOUN("environment environments", "environment", 0.80f, IRR),
    NOUN("instance instances", "instance", 0.80f, IRR),
    NOUN("table tables", "table", 0.80f, IRR),
    NOUN("collection collections", "collection", 0.80f, IRR),
    NOUN("topic topics queue queues", "topic", 0.70f, IRR),
    NOUN("service services", "service", 0.70f, IRR),
    NOUN("index indexes indices", "index", 0.60f, IRR),
    NOUN("workspace workspaces", "workspace", 0.60f, IRR),
    NOUN("branch branches", "branch", 0.50f, IRR),
    NOUN("domain domains", "domain", 0.50f, IRR),
    NOUN("secret secrets", "secret", 0.50f, IRR),
    NOUN("user users", "user", 0.50f, IRR),
    NOUN("function functions", "function", 0.40f, REV),
    NOUN("release releases", "release", 0.40f, REV),
    NOUN("deployment deployments", "deployment", 0.40f, REV),
    NOUN("container containers", "container", 0.40f, REV),
    NOUN("file files", "file", 0.30f, REV),
    NOUN("webhook webhooks", "webhook", 0.30f, REV),
    NOUN("variable variables var vars", "variable", 0.0f, REV),
    NOUN("issue issues", "issue", 0.0f, REV),
};
/* clang-format on */

/*
 * A variant of an entry, chosen when it matches: the noun of a
 * "generic.delete" phrase (from nouns[]), or the Kubernetes resource type
 * that `kubectl delete` names (k8s_types[]).
 */
struct variant {
  const char *words; /* space-separated spellings */
  const char *name;
  float severity;
  bool irreversible;
  const char *resource;
  const char *scope;
};

#define VAR(words, name, sev, irr, res) \
  { words, name, sev, irr, res, res ":delete" }

/* kubectl delete TYPE: the resource types worth telling apart. */
/* clang-format off */
static const struct variant k8s_types[] = {
    VAR("namespace namespaces ns", "k8s.delete_namespace", 0.95f, IRR, "namespace"),
    VAR("crd crds customresourcedefinition customresourcedefinitions", "k8s.delete_crd", 0.90f, IRR, "crd"),
    VAR("pv persistentvolume persistentvolumes", "k8s.delete_pv", 0.90f, IRR, "volume"),
    VAR("pvc persistentvolumeclaim persistentvolumeclaims", "k8s.delete_pvc", 0.85f, IRR, "volume"),
    VAR("statefulset statefulsets sts", "k8s.delete_statefulset", 0.80f, IRR, "service"),
    VAR("node nodes no", "k8s.delete_node", 0.70f, IRR, "instance"),
    VAR("deployment deployments deploy", "k8s.delete_deployment", 0.60f, IRR, "service"),
    VAR("secret secrets", "k8s.delete_secret", 0.50f, IRR, "secret"),
    VAR("service services svc", "k8s.delete_service", 0.50f, IRR, "service"),
    VAR("pod pods po", "k8s.delete_pod", 0.40f, REV, "pod"),
};
/* clang-format on */

/* Other kubectl operations (indices: enum k8s_op). */
enum k8s_op {
  K8S_DELETE_EVERYWHERE,
  K8S_DELETE_ALL,
  K8S_DELETE_FILE,
  K8S_DELETE,
  K8S_DRAIN,
  K8S_SCALE_ZERO
};
/* clang-format off */
static const struct variant k8s_ops[] = {
    VAR(NULL, "k8s.delete_all_namespaces", 0.95f, IRR, "cluster"), /* --all -A */
    VAR(NULL, "k8s.delete_all", 0.90f, IRR, "namespace"), /* --all, -A */
    {NULL, "k8s.delete_file", 0.60f, IRR, NULL, NULL},    /* -f, -k */
    {NULL, "k8s.delete", 0.50f, IRR, NULL, NULL},         /* other types */
    VAR(NULL, "k8s.drain", 0.50f, REV, "instance"),
    VAR(NULL, "k8s.scale_zero", 0.40f, REV, "service"), /* --replicas=0 */
};
/* clang-format on */

/* git operations (indices: enum git_op). */
enum git_op {
  GIT_PUSH_MIRROR,
  GIT_PUSH_FORCE,
  GIT_PUSH_FORCE_LEASE,
  GIT_PUSH_DELETE,
  GIT_FILTER_HISTORY,
  GIT_REFLOG_EXPIRE,
  GIT_CLEAN_FORCE,
  GIT_BRANCH_FORCE_DELETE,
  GIT_RESET_HARD,
  GIT_CHECKOUT_DISCARD,
  GIT_STASH_CLEAR,
  GIT_UPDATE_REF_DELETE,
  GIT_BRANCH_DELETE,
  GIT_TAG_DELETE,
};
/* clang-format off */
static const struct variant git_ops[] = {
    VAR(NULL, "git.push_mirror", 0.80f, IRR, "repo"),  /* push --mirror */
    VAR(NULL, "git.push_force", 0.70f, IRR, "branch"), /* push -f, +ref */
    VAR(NULL, "git.push_force_lease", 0.50f, IRR, "branch"),                                      /* --force-with-lease */
    VAR(NULL, "git.push_delete", 0.60f, IRR, "branch"), /* push -d, :ref */
    VAR(NULL, "git.filter_history", 0.80f, IRR, "repo"), /* filter-branch, filter-repo */
    VAR(NULL, "git.reflog_expire", 0.60f, IRR, "repo"), /* reflog expire --expire=now */
    VAR(NULL, "git.clean_force", 0.60f, IRR, "file"), /* clean -f (not -n) */
    VAR(NULL, "git.branch_force_delete", 0.60f, IRR, "branch"), /* branch -D */
    VAR(NULL, "git.reset_hard", 0.50f, IRR, "file"), /* reset --hard */
    VAR(NULL, "git.checkout_discard", 0.40f, IRR, "file"),                                      /* checkout/restore . */
    VAR(NULL, "git.stash_clear", 0.40f, IRR, "file"), /* stash clear/drop */
    VAR(NULL, "git.update_ref_delete", 0.40f, IRR, "branch"),                                        /* update-ref -d */
    VAR(NULL, "git.branch_delete", 0.30f, REV, "branch"), /* branch -d */
    VAR(NULL, "git.tag_delete", 0.30f, REV, "tag"),       /* tag -d */
};
/* clang-format on */

/* `find START... -delete` (or -exec rm) with no test that narrows what it
 * finds deletes everything under START, as `rm -rf START` would; so does
 * its listing piped to `xargs rm` (indices: enum find_start, then
 * FIND_XARGS + enum find_start). */
enum find_start {
  FIND_ROOT,
  FIND_HOME,
  FIND_SYSTEM,
  FIND_CWD,
  FIND_DATASTORE, /* a data store's files (store_of) */
  FIND_XARGS
};
/* clang-format off */
static const struct variant find_starts[] = {
    VAR(NULL, "shell.find_delete_root", 1.00f, IRR, "file"),
    VAR(NULL, "shell.find_delete_home", 0.95f, IRR, "file"),
    VAR(NULL, "shell.find_delete_system", 0.95f, IRR, "file"),
    VAR(NULL, "shell.find_delete_cwd", 0.95f, IRR, "file"),
    {NULL, "shell.find_delete_datastore", 0.95f, IRR, RES_STORE, NULL},
    VAR(NULL, "shell.find_xargs_rm_root", 1.00f, IRR, "file"),
    VAR(NULL, "shell.find_xargs_rm_home", 0.95f, IRR, "file"),
    VAR(NULL, "shell.find_xargs_rm_system", 0.95f, IRR, "file"),
    VAR(NULL, "shell.find_xargs_rm_cwd", 0.95f, IRR, "file"),
    {NULL, "shell.find_xargs_rm_datastore", 0.95f, IRR, RES_STORE, NULL},
};
/* clang-format on */

/* A data store's files (store_of) destroyed by other means than rm and
 * find (indices: enum store_op). A move counts only for the files a
 * server runs on (struct store.live): the server loses them while it may
 * be running (PostgreSQL panics, a running MySQL corrupts what it writes
 * next), nothing but a person who stops it and moves them back recovers
 * it, and moved to /tmp (often a tmpfs, emptied at boot) or to another
 * filesystem they are copied and deleted. A moved backup is still one. */
enum store_op {
  STORE_MV,
  STORE_SHRED,
  STORE_TRUNCATE,
  STORE_TOOL_DELETE /* a tool whose name deletes, given the path */
};
/* clang-format off */
static const struct variant store_ops[] = {
    {NULL, "shell.mv_datastore", 0.95f, IRR, RES_STORE, NULL},
    {NULL, "shell.shred_datastore", 0.95f, IRR, RES_STORE, NULL},
    {NULL, "shell.truncate_datastore", 0.95f, IRR, RES_STORE, NULL},
    {NULL, "tool.delete_datastore", 0.95f, IRR, RES_STORE, NULL},
};
/* clang-format on */

/*
 * The word form's vocabulary, as space-separated lists: verbs that destroy
 * (before or after a noun: "delete volume", "volumes destroy"; rm only
 * after: "volume rm"); verbs that reset a database; words that may stand
 * between a verb and its noun ("delete the production volume"); and the
 * verbs a tool name may start with (`mcp__github__create_issue` writes).
 */
static const char del_words[] =
    "delete deletes destroy remove purge wipe drop terminate nuke erase";
static const char reset_words[] = "reset wipe nuke";
static const char between_words[] =
    "the a an this that these those all my our your its their old existing "
    "unused current prod production staging stage dev test primary main "
    "default entire whole remote local db sql rds ec2 s3 gcs k8s persistent "
    "storage data managed custom git github docker cloud compute container "
    "preview feature target linked attached selected specified named empty "
    "stale orphaned dangling postgres postgresql mysql mongo mongodb redis "
    "railway heroku fly supabase vercel neon aws gcp azure team cache log";
static const char read_words[] =
    "get list describe read search fetch show view find query lookup count "
    "check inspect status logs diff explain select browse download cat grep "
    "ls glob stat peek preview validate plan print dump head tail watch "
    "whoami info ping";
static const char write_words[] =
    "create update add set put post patch deploy redeploy apply insert upsert "
    "send push commit install write edit move rename copy mkdir chmod chown "
    "upload merge restart start stop scale trigger enable disable attach "
    "detach link unlink connect disconnect rollback publish release tag "
    "assign unassign invite grant revoke approve reject close reopen comment "
    "reply replace save modify change configure register unregister import "
    "sync migrate restore fork transfer archive lock unlock pause resume "
    "cancel submit generate provision promote rotate reset mutate mutation";
static const char delete_name_words[] =
    "delete deletes destroy remove purge wipe drop terminate nuke erase "
    "truncate uninstall prune clear flush evict expunge";

struct mask {
  const char *name;
  float factor;
  unsigned flags;
  const char *applies;
  const char *pattern;
  /* or: one of these programs ('|' apart, lowercase letters, ' ' for \s)
   * followed by \s, where a command starts: Hyperscan matches the names,
   * cmd_starts_at() what precedes them. As a pattern the start of a command
   * made Hyperscan run an automaton from the start of the text at every
   * `grep`. */
  const char *programs;
  uint8_t confirm; /* CONFIRM_*: checked in C after the pattern matched */
};

/* Benign look-alikes: each damps the matches in its own shell segment (the
 * segment of its last byte), optionally only those of rules whose name
 * starts with `applies`. */
/* clang-format off */
static const struct mask masks[] = {
    /* a dry run or a help page does nothing (pulumi destroy
     * --preview-only only shows what it would delete) */
    {"mask.dry_run", 0.0f, F_DRY_RUN, NULL, "--dry-?run(?:=(?:client|server|true|all))?\\b|--what-?if\\b|-whatif\\b|--noop\\b|--preview-only\\b"},
    {"mask.help", 0.0f, 0, NULL, "\\s--help\\b"},
    /* a mention is not an execution */
    {"mask.echo", 0.2f, F_MENTION | F_NO_PIPE, NULL, NULL, "echo|printf"},
    {"mask.search", 0.1f, F_MENTION, NULL, NULL, "grep|egrep|fgrep|rg|ag|ack|git grep"},
    /* set by the git resolver for git commit, log, show */
    {"mask.vcs_message", 0.1f, F_MENTION | F_BY_CODE, NULL, NULL},
    /* a WHERE clause makes an UPDATE an update */
    {"mask.update_where", 0.0f, 0, "sql.update", "\\bupdate " SQLID " set\\b[^;]*\\bwhere\\b"},
    /* rm of build output and temp files is housekeeping (rm_build) */
    {"mask.rm_build", 0.4f, F_BY_CODE, "shell.rm", NULL}, /* rm_read() */
    /* `cd build && rm -rf *` empties the directory it names, not the one
     * the agent works in: below rm -rf of that directory, which names it */
    {"mask.cd_subdir", 0.6f, 0, "shell.rm_rf_cwd", "\\bcd (?:\\./)?(?:\\w|/tmp/)[^\\s;&|]* ?(?:&&|;) ?(?:sudo )?rm "},
    /* `git rm` is recoverable from history; `npm rm` uninstalls a package */
    {"mask.vcs_rm", 0.3f, 0, "shell.rm", "\\b(?:git|hg|svn|dvc)\\srm\\b"},
    /* --exclude/--include keep part of the bucket: back to a prefix */
    {"mask.s3_filter", 0.94f, 0, "aws.s3_rm_bucket", CLI("aws") "s3 rm\\b" SEG "\\s--(?:exclude|include)\\b"},
    {"mask.tool_rm", 0.0f, 0, "shell.rm", "\\b(?:npm|pnpm|yarn|bun|pip3?|brew|cargo|poetry|conda|gem|dotnet) rm\\b"},
    /* RAILS_ENV=test: the test database, which the test suite empties and
     * rebuilds (weighed as a test environment is); not when a
     * DATABASE_URL says which database that is */
    {"mask.test_database", 0.4f, F_CASEFUL, "orm.", "\\b(?:RAILS|RACK)_ENV=['\"]?test\\b", NULL, CONFIRM_OWN_DB},
};
/* clang-format on */

struct hint {
  const char *name;
  uint8_t verb;
  unsigned flags;
  const char *pattern;
  uint8_t confirm; /* CONFIRM_*: the pattern's tail, checked in C */
};

#define R SR_VERB_READ
#define W SR_VERB_WRITE
#define METHOD "\\bmethod['\"\\\\]*\\s*[:=]\\s*['\"\\\\]*"

/* Read/write syntax on the raw text that the shell classifier cannot see:
 * SQL, HTTP requests described as JSON, GraphQL, MongoDB shell. Only
 * whether a hint matches matters. `select .. from`, `mutation {` and
 * `create table` are a literal here and the rest in C: as patterns they
 * made Hyperscan run an automaton to the end of every SQL query or GraphQL
 * document (or start one at every `...Create(`), more than the rest of the
 * scan. */
/* clang-format off */
static const struct hint hints[] = {
    {"hint.sql_read", R, 0, "\\bselect\\s", CONFIRM_FROM},
    {"hint.sql_read", R, 0, "\\b(?:show|describe|explain)\\s(?:tables|databases|schemas|columns|create|select)\\b"},
    {"hint.sql_write", W, 0, "\\binsert\\s(?:ignore\\s)?into\\b|\\bupdate\\s[\\w.\"`]+\\sset\\b|\\b(?:merge|replace)\\sinto\\b|\\balter\\s(?:table|database|schema|user|role|index|view|sequence|type|system)\\b|\\b(?:grant|revoke)\\s[\\w\\s,]+\\son\\b"},
    {"hint.sql_write", W, 0, "\\bcreate\\s", CONFIRM_CREATE},
    {"hint.http_read", R, 0, METHOD "(?:GET|HEAD|OPTIONS)\\b"},
    {"hint.http_write", W, 0, METHOD "(?:POST|PUT|PATCH)\\b|\\b(?:requests|axios|httpx)\\.(?:post|put|patch)\\s*\\("},
    {"hint.graphql_mutation", W, F_GRAPHQL, "\\bmutation", CONFIRM_PAREN},
    {"hint.graphql_query", R, F_GRAPHQL, "\"query\":\"\\s?(?:query\\b|\\{)|\\bquery\\s\\w+\\s?[({]"},
    {"hint.mongo_read", R, 0, "\\.(?:find|findOne|aggregate|countDocuments|distinct|getIndexes)\\s*\\("},
    {"hint.mongo_write", W, 0, "\\.(?:insertOne|insertMany|updateOne|updateMany|replaceOne|findOneAndUpdate|bulkWrite|createIndex|createCollection|renameCollection)\\s*\\("},
};
/* clang-format on */

/*
 * A destructive verb of the word rules (del_words, reset_words, rm) in the
 * raw text: only then can a word-form destructive entry match, so only then
 * is the word form built. `rm` counts as a whole word; the other verbs
 * count where they can end a word of the word form (see on_match), so that
 * `deleted_at` or `removes` build nothing.
 */
static const char prefilter_pattern[] = "\\brm\\b";
static const char verbs_pattern[] =
    "deletes?|destroy|remove|purge|wipe|drop|terminate|nuke|erase|reset";

/* Tools whose arguments are content, not commands: never scanned. */
struct fixed_tool {
  const char *name;
  enum sr_verb verb;
  const char *resource; /* "file" for file tools; NULL otherwise */
  size_t len;
};

/* clang-format off */
static const struct fixed_tool fixed_tools[] = {
    {"Read", R, "file", 4},
    {"NotebookRead", R, "file", 12},
    {"Grep", R, "file", 4},
    {"Glob", R, "file", 4},
    {"LS", R, "file", 2},
    {"WebSearch", R, NULL, 9},
    {"WebFetch", R, NULL, 8},
    {"read_file", R, "file", 9},
    {"list_dir", R, "file", 8},
    {"file_search", R, "file", 11},
    {"grep_search", R, "file", 11},
    {"codebase_search", R, "file", 15},
    {"web_search", R, NULL, 10},
    {"Write", W, "file", 5},
    {"Edit", W, "file", 4},
    {"MultiEdit", W, "file", 9},
    {"NotebookEdit", W, "file", 12},
    {"write_file", W, "file", 10},
    {"edit_file", W, "file", 9},
    {"create_file", W, "file", 11},
    {"search_replace", W, "file", 14},
    {"str_replace_based_edit_tool", W, "file", 27},
    {"TodoWrite", SR_VERB_NONE, NULL, 9},
    {"TodoRead", SR_VERB_NONE, NULL, 8},
    {"Task", SR_VERB_NONE, NULL, 4},
    {"Agent", SR_VERB_NONE, NULL, 5},
    {"ExitPlanMode", SR_VERB_NONE, NULL, 12},
    {"AskUserQuestion", SR_VERB_NONE, NULL, 15},
};
/* clang-format on */

/* Verbs that make a tool name say its arguments are data (args_are_data). */
static const char *const data_verbs[] = {
    "get",    "list",   "describe", "read",   "search", "fetch",
    "show",   "view",   "find",     "create", "update", "add",
    "send",   "post",   "comment",  "reply",  "edit",   "write",
    "upload", "insert", "set",      "put",    "append", "save"};

/*
 * The shell classifier's knowledge: what a program does by itself (P_READ,
 * P_WRITE), or that its subcommand words say it (P_CLI: `git status`,
 * `kubectl get`, `aws s3 cp`, `npm install`). Looked up through the
 * vocabulary's hash.
 */
#define P_READ 1u
#define P_WRITE 2u
#define P_CLI 4u
#define P_RUN 8u      /* CLI where `run` starts something (docker run) */
#define P_INPLACE 16u /* reads, unless -i (sed -i, perl -pi) */
#define P_HTTP 32u    /* reads, unless a method or a body says otherwise */
#define P_FIELDS 64u  /* -f/-F/--field send a body (gh api) */
#define P_INTERP 128u /* runs a script: the script's name decides
                         (python manage.py migrate, php artisan migrate) */
/* a database client: the SQL in the text decides (hints), unless it runs
 * a script file we cannot read (runs_script) */
#define P_SQLCLI 256u

struct prog {
  const char *name;
  unsigned flags;
};

static const struct prog progs[] = {
    {"ack", P_READ},
    {"ag", P_READ},
    {"alembic", P_CLI},
    {"apk", P_CLI},
    {"apt", P_CLI},
    {"apt-get", P_CLI},
    {"artisan", P_CLI},
    {"awk", P_READ},
    {"aws", P_CLI},
    {"az", P_CLI},
    {"basename", P_READ},
    {"bat", P_READ},
    {"brew", P_CLI},
    {"bun", P_CLI},
    {"bundle", P_CLI},
    {"bzip2", P_WRITE},
    {"cargo", P_CLI},
    {"cat", P_READ},
    {"cd", P_READ},
    {"cdk", P_CLI},
    {"cdktf", P_CLI},
    {"chgrp", P_WRITE},
    {"chmod", P_WRITE},
    {"chown", P_WRITE},
    {"clickhouse-client", P_SQLCLI},
    {"cmp", P_READ},
    {"column", P_READ},
    {"composer", P_CLI},
    {"cp", P_WRITE},
    {"cqlsh", P_SQLCLI},
    {"crontab", P_WRITE},
    {"curl", P_HTTP},
    {"cut", P_READ},
    {"date", P_READ},
    {"dd", P_WRITE},
    {"df", P_READ},
    {"diff", P_READ},
    {"dig", P_READ},
    {"dirname", P_READ},
    {"dnf", P_CLI},
    {"docker", P_CLI | P_RUN},
    {"docker-compose", P_CLI | P_RUN},
    {"doctl", P_CLI},
    {"du", P_READ},
    {"echo", P_READ},
    {"egrep", P_READ},
    {"eksctl", P_CLI},
    {"env", P_READ},
    {"fd", P_READ},
    {"fgrep", P_READ},
    {"file", P_READ},
    {"find", P_READ},
    {"firebase", P_CLI},
    {"fly", P_CLI | P_RUN},
    {"flyctl", P_CLI | P_RUN},
    {"free", P_READ},
    {"gcloud", P_CLI | P_RUN},
    {"gem", P_CLI},
    {"gh", P_CLI | P_RUN | P_FIELDS},
    {"git", P_CLI},
    {"go", P_CLI},
    {"grep", P_READ},
    {"groupadd", P_WRITE},
    {"gsutil", P_CLI},
    {"gunzip", P_WRITE},
    {"gzip", P_WRITE},
    {"head", P_READ},
    {"helm", P_CLI},
    {"heroku", P_CLI | P_RUN},
    {"hexdump", P_READ},
    {"history", P_READ},
    {"host", P_READ},
    {"hostname", P_READ},
    {"http", P_HTTP},
    {"https", P_HTTP},
    {"id", P_READ},
    {"install", P_WRITE},
    {"journalctl", P_READ},
    {"jq", P_READ},
    {"k3d", P_CLI},
    {"kill", P_WRITE},
    {"killall", P_WRITE},
    {"kind", P_CLI},
    {"kubectl", P_CLI | P_RUN},
    {"less", P_READ},
    {"liquibase", P_CLI},
    {"ln", P_WRITE},
    {"ls", P_READ},
    {"lscpu", P_READ},
    {"lsof", P_READ},
    {"man", P_READ},
    {"manage.py", P_CLI},
    {"mariadb", P_SQLCLI},
    {"md5sum", P_READ},
    {"minikube", P_CLI},
    {"mkdir", P_WRITE},
    {"mongo", P_SQLCLI},
    {"mongosh", P_SQLCLI},
    {"more", P_READ},
    {"mount", P_WRITE},
    {"mv", P_WRITE},
    {"mysql", P_SQLCLI},
    {"netlify", P_CLI},
    {"netstat", P_READ},
    {"nl", P_READ},
    {"npm", P_CLI},
    {"nproc", P_READ},
    {"npx", P_CLI},
    {"oc", P_CLI | P_RUN},
    {"od", P_READ},
    {"pacman", P_CLI},
    {"passwd", P_WRITE},
    {"patch", P_WRITE},
    {"perl", P_INPLACE},
    {"php", P_INTERP},
    {"pip", P_CLI},
    {"pip3", P_CLI},
    {"pipx", P_CLI},
    {"pkill", P_WRITE},
    {"pnpm", P_CLI},
    {"podman", P_CLI | P_RUN},
    {"poetry", P_CLI},
    {"printenv", P_READ},
    {"printf", P_READ},
    {"ps", P_READ},
    {"psql", P_SQLCLI},
    {"pulumi", P_CLI},
    {"pwd", P_READ},
    {"python", P_INTERP},
    {"python3", P_INTERP},
    {"rails", P_CLI},
    {"railway", P_CLI},
    {"rake", P_CLI},
    {"rclone", P_CLI},
    {"readlink", P_READ},
    {"realpath", P_READ},
    {"reboot", P_WRITE},
    {"redis-cli", P_CLI},
    {"rg", P_READ},
    {"rmdir", P_WRITE},
    {"rsync", P_WRITE},
    {"scp", P_WRITE},
    {"sed", P_INPLACE},
    {"seq", P_READ},
    {"serverless", P_CLI},
    {"service", P_CLI},
    {"sha1sum", P_READ},
    {"sha256sum", P_READ},
    {"shutdown", P_WRITE},
    {"sls", P_CLI},
    {"snap", P_CLI},
    {"sort", P_READ},
    {"sqlcmd", P_SQLCLI},
    {"sqlite3", P_SQLCLI},
    {"ss", P_READ},
    {"sst", P_CLI},
    {"stat", P_READ},
    {"strings", P_READ},
    {"supabase", P_CLI},
    {"systemctl", P_CLI},
    {"tac", P_READ},
    {"tail", P_READ},
    {"tar", P_WRITE},
    {"tee", P_WRITE},
    {"terraform", P_CLI},
    {"terragrunt", P_CLI},
    {"test", P_READ},
    {"tofu", P_CLI},
    {"top", P_READ},
    {"touch", P_WRITE},
    {"tr", P_READ},
    {"tree", P_READ},
    {"truncate", P_WRITE},
    {"umount", P_WRITE},
    {"uname", P_READ},
    {"uniq", P_READ},
    {"unzip", P_WRITE},
    {"uptime", P_READ},
    {"useradd", P_WRITE},
    {"userdel", P_WRITE},
    {"usermod", P_WRITE},
    {"uv", P_CLI},
    {"vercel", P_CLI},
    {"wc", P_READ},
    {"wget", P_HTTP},
    {"whereis", P_READ},
    {"which", P_READ},
    {"whoami", P_READ},
    {"wrangler", P_CLI},
    {"xh", P_HTTP},
    {"xxd", P_READ},
    {"xz", P_WRITE},
    {"yarn", P_CLI},
    {"yq", P_READ},
    {"yum", P_CLI},
    {"zip", P_WRITE},
};

/* Subcommand words of P_CLI programs. An AWS-style
 * `describe-instances` or a Heroku-style `config:set` is looked up by its
 * verb part. */
struct sub {
  const char *word;
  uint8_t verb;
};

static const struct sub subs[] = {
    {"add", W},          {"am", W},          {"annotate", W},
    {"apply", W},        {"archive", W},     {"associate", W},
    {"attach", W},       {"audit", R},       {"authorize", W},
    {"blame", R},        {"bootstrap", W},   {"can-i", R},
    {"cancel", W},       {"cat", R},         {"check", R},
    {"checkout", W},     {"cherry-pick", W}, {"ci", W},
    {"clone", W},        {"commit", W},      {"copy", W},
    {"cordon", W},       {"cp", W},          {"create", W},
    {"deploy", W},       {"deregister", W},  {"describe", R},
    {"detach", W},       {"diff", R},        {"disable", W},
    {"downgrade", W},
    {"disassociate", W}, {"edit", W},        {"enable", W},
    {"events", R},       {"exec", W},        {"execute", W},
    {"explain", R},      {"expose", W},      {"fetch", R},
    {"force-unlock", W}, {"fork", W},        {"get", R},
    {"grep", R},         {"history", R},     {"images", R},
    {"import", W},       {"info", R},        {"insert", W},
    {"inspect", R},      {"install", W},     {"invoke", W},
    {"keys", R},         {"kill", W},        {"label", W},
    {"link", W},         {"lint", R},        {"list", R},
    {"log", R},          {"logs", R},        {"ls", R},
    {"ls-files", R},     {"ls-remote", R},   {"ls-tree", R},
    {"mb", W},           {"merge", W},       {"migrate", W},
    {"modify", W},       {"mv", W},          {"new", W},
    {"outdated", R},     {"output", R},      {"patch", W},
    {"plan", R},         {"port", R},        {"post", W},
    {"preview", R},      {"promote", W},     {"ps", R},
    {"publish", W},      {"pull", W},        {"push", W},
    {"put", W},          {"rebase", W},      {"reboot", W},
    {"redeploy", W},     {"reflog", R},      {"refresh", W},
    {"register", W},     {"release", W},     {"reload", W},
    {"rename", W},       {"replace", W},     {"reset", W},
    {"resize", W},       {"restart", W},     {"restore", W},
    {"rev-parse", R},    {"revert", W},      {"revoke", W},
    {"rollback", W},     {"scale", W},
    {"search", R},       {"seed", W},        {"send", W},
    {"set", W},
    {"shortlog", R},     {"show", R},        {"start", W},
    {"stash", W},        {"stats", R},       {"status", R},
    {"stop", W},         {"switch", W},      {"sync", W},
    {"synth", R},        {"tag", W},         {"taint", W},
    {"template", R},     {"top", R},         {"ttl", R},
    {"uncordon", W},     {"unlink", W},      {"untag", W},
    {"untaint", W},      {"up", W},          {"update", W},
    {"upgrade", W},      {"upload", W},      {"validate", R},
    {"version", R},      {"view", R},        {"whoami", R},
};

#undef R
#undef W

/* ---------------------------------------------------------------------- */
/* Setup                                                                    */
/* ---------------------------------------------------------------------- */

static void init_word_classes(uint8_t *cls);

static struct entry *push_entry(struct sr_catalogue *cat, size_t *cap) {
  if (cat->n_entries == *cap) {
    size_t ncap = *cap ? *cap * 2 : 256;
    struct entry *ne = realloc(cat->entries, ncap * sizeof(*ne));
    if (!ne) return NULL;
    cat->entries = ne;
    *cap = ncap;
  }
  struct entry *e = &cat->entries[cat->n_entries++];
  memset(e, 0, sizeof(*e));
  return e;
}

/* A built-in raw pattern with each space replaced by \s+. Caller frees. */
static char *expand_spaces(const char *p) {
  size_t n = 0, sp = 0;
  for (const char *q = p; *q; q++, n++) sp += *q == ' ';
  char *out = malloc(n + sp * 2 + 1);
  if (!out) return NULL;
  char *o = out;
  for (const char *q = p; *q; q++) {
    if (*q == ' ') {
      memcpy(o, "\\s", 2);
      o += 2;
    } else {
      *o++ = *q;
    }
  }
  *o = '\0';
  return out;
}

/* "<resource>:delete" owned by the entry. */
static int set_delete_scope(struct entry *e, const char *resource) {
  size_t len = strlen(resource) + sizeof(":delete");
  if (!(e->own_scope = malloc(len))) return SR_ENOMEM;
  snprintf(e->own_scope, len, "%s:delete", resource);
  e->scope = e->own_scope;
  return SR_OK;
}

static int add_builtin(struct sr_catalogue *cat, size_t *cap,
                       const struct builtin *b, enum db db) {
  struct entry *e = push_entry(cat, cap);
  if (!e) return SR_ENOMEM;
  e->name = b->name;
  e->kind = K_DESTROY;
  e->db = (uint8_t)db;
  e->flags = (uint8_t)b->flags;
  e->severity = b->severity;
  e->irreversible = b->irreversible;
  e->resource = b->resource;
  e->resolver = b->resolver;
  if (b->after) {
    e->confirm = CONFIRM_FLAGS;
    e->after = b->after;
    e->then = b->then;
    /* flags_then(): FL stops at the first word that is not a flag */
    assert(b->after[0] != '-');
  }
  if (b->resource && b->resource != RES_DERIVE && b->resource != RES_STORE &&
      set_delete_scope(e, b->resource))
    return SR_ENOMEM;
  if (db == DB_RAW) {
    if (!(e->own_pattern = expand_spaces(b->pattern))) return SR_ENOMEM;
    e->pattern = e->own_pattern;
  } else {
    e->pattern = b->pattern;
  }
  cat->n_destructive++;
  return SR_OK;
}

/* The entries the word rules report: the catch-all "generic.delete" (its
 * variant is the noun: generic.delete_volume), the API method names and
 * "reset the database". They are matched in C, not compiled. */
static int add_word_entries(struct sr_catalogue *cat, size_t *cap) {
  struct entry *e = push_entry(cat, cap);
  if (!e) return SR_ENOMEM;
  cat->e_generic = (uint32_t)(cat->n_entries - 1);
  e->name = "generic.delete";
  e->kind = K_DESTROY;
  e->db = DB_NONE;
  e->flags = F_FALLBACK;
  e->resolver = RESOLVE_NOUN;
  e->severity = 0.5f; /* a variant always replaces it */
  e->irreversible = true;
  for (size_t i = 0; i < SR_ARRAY_LEN(nouns); i++)
    cat->n_destructive += nouns[i].severity > 0;
  cat->e_api = (uint32_t)cat->n_entries;
  for (size_t i = 0; i < SR_ARRAY_LEN(api_deletes); i++)
    if (add_builtin(cat, cap, &api_deletes[i], DB_NONE)) return SR_ENOMEM;
  cat->e_reset = (uint32_t)cat->n_entries;
  return add_builtin(cat, cap, &reset_database, DB_NONE);
}

/* FNV-1a: words are short, a byte loop is all it takes. */
static uint32_t word_hash(const char *p, size_t n) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)p[i]) * 16777619u;
  return h;
}

static int lex_cmp(const char *a, size_t an, const char *b, size_t bn) {
  int c = memcmp(a, b, SR_MIN(an, bn));
  return c ? c : (an < bn ? -1 : an > bn);
}

static int lex_sort(const void *x, const void *y) {
  const struct lex *a = x, *b = y;
  return lex_cmp(a->p, a->n, b->p, b->n);
}

/* Adds the words of a space-separated list with class `cls` (and noun). */
static size_t lex_add(struct lex *out, size_t n, const char *list, uint8_t cls,
                      int noun, int k8s) {
  for (const char *w = list; *w;) {
    size_t len = 0;
    while (w[len] && w[len] != ' ') len++;
    if (len && len < 256 && out)
      out[n] =
          (struct lex){w, (uint8_t)len, cls, (int8_t)noun, (int8_t)k8s, 0, 0};
    n += len > 0 && len < 256;
    w += len;
    while (*w == ' ') w++;
  }
  return n;
}

static size_t lex_fill(struct lex *out) {
  size_t n = 0;
  for (size_t i = 0; i < SR_ARRAY_LEN(nouns); i++)
    n = lex_add(out, n, nouns[i].words, 0, (int)i, -1);
  for (size_t i = 0; i < SR_ARRAY_LEN(k8s_types); i++)
    n = lex_add(out, n, k8s_types[i].words, 0, -1, (int)i);
  n = lex_add(out, n, del_words, L_DEL, -1, -1);
  n = lex_add(out, n, "rm", L_RM, -1, -1);
  n = lex_add(out, n, reset_words, L_RESET, -1, -1);
  n = lex_add(out, n, between_words, L_BETWEEN, -1, -1);
  n = lex_add(out, n, read_words, L_READ, -1, -1);
  n = lex_add(out, n, write_words, L_WRITE, -1, -1);
  n = lex_add(out, n, delete_name_words, L_DELNAME, -1, -1);
  for (size_t i = 0; i < SR_ARRAY_LEN(progs); i++, n++)
    if (out)
      out[n] = (struct lex){progs[i].name,
                            (uint8_t)strlen(progs[i].name),
                            0,
                            -1,
                            -1,
                            (uint16_t)progs[i].flags,
                            0};
  for (size_t i = 0; i < SR_ARRAY_LEN(subs); i++, n++)
    if (out)
      out[n] = (struct lex){
          subs[i].word, (uint8_t)strlen(subs[i].word), 0, -1, -1, 0,
          subs[i].verb};
  return n;
}

/* The sorted vocabulary; a word in several lists is one entry with the
 * classes of all (db is a noun and may stand between). */
static int build_lexicon(struct sr_catalogue *cat) {
  size_t n = lex_fill(NULL);
  struct lex *lx = malloc(n * sizeof(*lx));
  if (!lx) return SR_ENOMEM;
  lex_fill(lx);
  qsort(lx, n, sizeof(*lx), lex_sort);
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (k && lex_cmp(lx[k - 1].p, lx[k - 1].n, lx[i].p, lx[i].n) == 0) {
      lx[k - 1].cls |= lx[i].cls;
      if (lx[k - 1].noun < 0) lx[k - 1].noun = lx[i].noun;
      if (lx[k - 1].k8s < 0) lx[k - 1].k8s = lx[i].k8s;
      lx[k - 1].prog |= lx[i].prog;
      lx[k - 1].sub |= lx[i].sub;
    } else {
      lx[k++] = lx[i];
    }
  }
  cat->lex = lx;
  cat->n_lex = k;
  assert(k * 3 < LEX_SLOTS);
  for (size_t i = 0; i < k; i++) {
    uint32_t h = word_hash(lx[i].p, lx[i].n) & (LEX_SLOTS - 1);
    while (cat->lex_slots[h]) h = (h + 1) & (LEX_SLOTS - 1);
    cat->lex_slots[h] = (uint16_t)(i + 1);
  }
  return SR_OK;
}

static int add_hint(struct sr_catalogue *cat, size_t *cap,
                    const struct hint *hh, enum kind kind, enum db db) {
  struct entry *e = push_entry(cat, cap);
  if (!e) return SR_ENOMEM;
  e->name = hh->name;
  e->kind = (uint8_t)kind;
  e->db = (uint8_t)db;
  e->verb = hh->verb;
  e->flags = (uint8_t)hh->flags;
  e->confirm = hh->confirm;
  if (db == DB_RAW) {
    if (!(e->own_pattern = expand_spaces(hh->pattern))) return SR_ENOMEM;
    e->pattern = e->own_pattern;
  } else {
    e->pattern = hh->pattern;
  }
  return SR_OK;
}

static int add_builtins(struct sr_catalogue *cat, size_t *cap) {
  for (size_t i = 0; i < SR_ARRAY_LEN(raw_destructive); i++) {
    if (add_builtin(cat, cap, &raw_destructive[i],
                    raw_destructive[i].pattern ? DB_RAW : DB_NONE))
      return SR_ENOMEM;
    if (raw_destructive[i].resolver == RESOLVE_FILES)
      cat->e_files = (uint32_t)(cat->n_entries - 1);
  }
  if (add_word_entries(cat, cap)) return SR_ENOMEM;
  cat->n_destructive += SR_ARRAY_LEN(k8s_types) + SR_ARRAY_LEN(k8s_ops) +
                        SR_ARRAY_LEN(git_ops) + SR_ARRAY_LEN(find_starts) +
                        SR_ARRAY_LEN(store_ops) - 4; /* the four hooks */
  for (size_t i = 0; i < SR_ARRAY_LEN(masks); i++) {
    struct entry *e = push_entry(cat, cap);
    if (!e) return SR_ENOMEM;
    e->name = masks[i].name;
    e->kind = K_MASK;
    e->db = DB_RAW;
    e->flags = (uint8_t)masks[i].flags;
    e->severity = masks[i].factor;
    e->applies = masks[i].applies;
    e->applies_len = e->applies ? strlen(e->applies) : 0;
    if (masks[i].flags & F_BY_CODE) {
      e->db = DB_NONE;
      if (strcmp(e->name, "mask.vcs_message") == 0)
        cat->e_vcs_message = (uint32_t)(cat->n_entries - 1);
      if (strcmp(e->name, "mask.rm_build") == 0)
        cat->e_rm_build = (uint32_t)(cat->n_entries - 1);
      continue;
    }
    const char *pattern = masks[i].pattern;
    e->confirm = masks[i].confirm;
    char buf[128];
    if (masks[i].programs) { /* (?:a|b|c)\s */
      e->confirm = CONFIRM_CMD;
      e->programs = masks[i].programs;
      /* confirmed() folds case with | 0x20 and reads ' ' as \s */
      assert(strspn(e->programs, "abcdefghijklmnopqrstuvwxyz| ") ==
             strlen(e->programs));
      int len = snprintf(buf, sizeof buf, "(?:%s)\\s", e->programs);
      assert(len > 0 && (size_t)len < sizeof buf);
      (void)len;
      pattern = buf;
    }
    if (!(e->own_pattern = expand_spaces(pattern))) return SR_ENOMEM;
    e->pattern = e->own_pattern;
  }
  for (size_t i = 0; i < SR_ARRAY_LEN(hints); i++)
    if (add_hint(cat, cap, &hints[i], K_HINT, DB_RAW)) return SR_ENOMEM;
  struct entry *e = push_entry(cat, cap);
  if (!e) return SR_ENOMEM;
  e->name = "prefilter.words";
  e->kind = K_PREFILTER;
  e->db = DB_RAW;
  e->pattern = prefilter_pattern;
  if (!(e = push_entry(cat, cap))) return SR_ENOMEM;
  e->name = "prefilter.verbs";
  e->kind = K_VERB;
  e->db = DB_RAW;
  e->pattern = verbs_pattern;
  return SR_OK;
}

/* --- configuration ----------------------------------------------------- */

static bool is_list(const struct sr_conf_node *n) {
  return n && sr_conf_kind(n) == SR_CONF_LIST;
}

/* An empty value (`credentials:` with nothing after it). */
static bool empty_scalar(const struct sr_conf_node *n) {
  if (!n || sr_conf_kind(n) != SR_CONF_SCALAR) return false;
  const char *s = sr_conf_scalar(n);
  return !s || !*s;
}

/* A section that must be a list of at most `max` items. */
static int section_list(const struct sr_conf_node *n, size_t max, char *err,
                        size_t errlen) {
  if (!n || empty_scalar(n)) return SR_OK;
  if (!is_list(n))
    return sr_conf_error(n, err, errlen, "expected a list of maps");
  if (sr_conf_len(n) > max)
    return sr_conf_error(n, err, errlen, "more than %zu entries", max);
  return SR_OK;
}

static const char *const entry_keys[] = {
    "name",         "pattern",  "words", "severity",
    "irreversible", "resource", "scope", NULL};

static int conf_destructive_one(struct sr_catalogue *cat, size_t *cap,
                                const struct sr_conf_node *item, char *err,
                                size_t errlen) {
  if (sr_conf_kind(item) != SR_CONF_MAP)
    return sr_conf_error(item, err, errlen, "expected a map");
  if (sr_conf_check_keys(item, entry_keys, err, errlen)) return SR_EINVAL;
  const char *name = NULL, *pattern = NULL, *resource = NULL, *scope = NULL;
  bool words = false, irreversible = true;
  double severity = -1;
  if (sr_conf_get_string(item, "name", NULL, &name, err, errlen) ||
      sr_conf_get_string(item, "pattern", NULL, &pattern, err, errlen) ||
      sr_conf_get_bool(item, "words", false, &words, err, errlen) ||
      sr_conf_get_double(item, "severity", -1, 0, 1, &severity, err, errlen) ||
      sr_conf_get_bool(item, "irreversible", true, &irreversible, err,
                       errlen) ||
      sr_conf_get_string(item, "resource", NULL, &resource, err, errlen) ||
      sr_conf_get_string(item, "scope", NULL, &scope, err, errlen))
    return SR_EINVAL;
  if (!name || !*name)
    return sr_conf_error(item, err, errlen, "missing 'name'");
  if (!pattern || !*pattern)
    return sr_conf_error(item, err, errlen, "entry '%s': missing 'pattern'",
                         name);
  if (severity < 0)
    return sr_conf_error(item, err, errlen, "entry '%s': missing 'severity'",
                         name);
  for (size_t i = 0; i < cat->n_entries; i++) {
    if (cat->entries[i].kind == K_DESTROY &&
        strcmp(cat->entries[i].name, name) == 0)
      return sr_conf_error(item, err, errlen,
                           "duplicate catalogue entry name '%s'", name);
  }
  struct entry *e = push_entry(cat, cap);
  if (!e) return sr_conf_error(item, err, errlen, "out of memory");
  e->name = name;
  e->pattern = pattern;
  e->kind = K_DESTROY;
  e->db = words ? DB_WORDS : DB_RAW;
  e->severity = (float)severity;
  e->irreversible = irreversible;
  e->resource = resource && *resource ? resource : NULL;
  e->node = sr_conf_get(item, "pattern");
  if (scope && *scope) {
    e->scope = scope;
  } else if (e->resource && set_delete_scope(e, e->resource)) {
    return sr_conf_error(item, err, errlen, "out of memory");
  }
  if (words) cat->words_always = true;
  cat->n_destructive++;
  return SR_OK;
}

static int conf_catalogue(struct sr_catalogue *cat, size_t *cap,
                          const struct sr_conf_node *root, char *err,
                          size_t errlen) {
  static const char *const keys[] = {"destructive", NULL};
  const struct sr_conf_node *sec = sr_conf_get(root, "catalogue");
  if (!sec || empty_scalar(sec)) return SR_OK;
  if (sr_conf_kind(sec) != SR_CONF_MAP)
    return sr_conf_error(sec, err, errlen, "expected a map");
  if (sr_conf_check_keys(sec, keys, err, errlen)) return SR_EINVAL;
  const struct sr_conf_node *list = sr_conf_get(sec, "destructive");
  if (section_list(list, CONF_ENTRIES_MAX, err, errlen)) return SR_EINVAL;
  if (!is_list(list)) return SR_OK;
  for (size_t i = 0; i < sr_conf_len(list); i++) {
    if (conf_destructive_one(cat, cap, sr_conf_at(list, i), err, errlen))
      return SR_EINVAL;
  }
  return SR_OK;
}

static uint32_t id_hash(sr_str id) {
  return (uint32_t)XXH3_64bits(id.p, id.n);
}

/* Builds an index over n ids read through get(arr, i). */
static int index_build(struct id_index *ix, size_t n,
                       sr_str (*get)(const void *, size_t), const void *arr) {
  uint32_t size = 16;
  while (size < n * 2) size *= 2;
  ix->slots = calloc(size, sizeof(uint32_t));
  if (!ix->slots) return SR_ENOMEM;
  ix->mask = size - 1;
  for (size_t i = 0; i < n; i++) {
    uint32_t h = id_hash(get(arr, i)) & ix->mask;
    while (ix->slots[h]) h = (h + 1) & ix->mask;
    ix->slots[h] = (uint32_t)i + 1;
  }
  return SR_OK;
}

/* Position + 1 of `id`, 0 when absent. */
static uint32_t index_find(const struct id_index *ix, sr_str id,
                           sr_str (*get)(const void *, size_t),
                           const void *arr) {
  if (!ix->slots || id.n == 0) return 0;
  uint32_t h = id_hash(id) & ix->mask;
  while (ix->slots[h]) {
    if (sr_str_eq(get(arr, ix->slots[h] - 1), id)) return ix->slots[h];
    h = (h + 1) & ix->mask;
  }
  return 0;
}

static sr_str cred_id_at(const void *arr, size_t i) {
  return ((const struct cred *)arr)[i].id;
}

static sr_str res_id_at(const void *arr, size_t i) {
  return ((const struct resource *)arr)[i].id;
}

/* Reads a list of scalars into pool[*used...] (environments canonical). */
static int conf_str_list(const struct sr_conf_node *item, const char *key,
                         bool envs, sr_str *pool, size_t *used, sr_str **out,
                         uint32_t *n, bool *present, char *err, size_t errlen) {
  const char **vals = NULL;
  size_t count = 0;
  if (sr_conf_get_strings(item, key, &vals, CRED_LIST_MAX, &count, err, errlen))
    return SR_EINVAL;
  if (present) *present = sr_conf_get(item, key) != NULL;
  *out = pool + *used;
  *n = (uint32_t)count;
  for (size_t i = 0; i < count; i++) {
    sr_str s = sr_str_from(vals[i]);
    pool[(*used)++] = envs ? sr_env_canonical(s) : s;
  }
  return SR_OK;
}

static const char *const cred_keys[] = {"id", "scopes", "purpose",
                                        "environments", NULL};

static int conf_credentials(struct sr_catalogue *cat,
                            const struct sr_conf_node *root, char *err,
                            size_t errlen) {
  const struct sr_conf_node *list = sr_conf_get(root, "credentials");
  if (section_list(list, CREDS_MAX, err, errlen)) return SR_EINVAL;
  if (!is_list(list)) return SR_OK;
  size_t n = sr_conf_len(list);
  cat->creds = calloc(n ? n : 1, sizeof(*cat->creds));
  cat->cred_lists = calloc(n * 2 * CRED_LIST_MAX + 1, sizeof(sr_str));
  if (!cat->creds || !cat->cred_lists)
    return sr_conf_error(list, err, errlen, "out of memory");
  size_t used = 0;
  for (size_t i = 0; i < n; i++) {
    const struct sr_conf_node *item = sr_conf_at(list, i);
    if (sr_conf_kind(item) != SR_CONF_MAP)
      return sr_conf_error(item, err, errlen, "expected a map");
    if (sr_conf_check_keys(item, cred_keys, err, errlen)) return SR_EINVAL;
    struct cred *c = &cat->creds[i];
    const char *id = NULL, *purpose = NULL;
    if (sr_conf_get_string(item, "id", NULL, &id, err, errlen) ||
        sr_conf_get_string(item, "purpose", NULL, &purpose, err, errlen))
      return SR_EINVAL;
    if (!id || !*id) return sr_conf_error(item, err, errlen, "missing 'id'");
    c->id = sr_str_from(id);
    c->purpose = sr_str_from(purpose);
    if (conf_str_list(item, "scopes", false, cat->cred_lists, &used, &c->scopes,
                      &c->n_scopes, &c->scopes_set, err, errlen) ||
        conf_str_list(item, "environments", true, cat->cred_lists, &used,
                      &c->envs, &c->n_envs, NULL, err, errlen))
      return SR_EINVAL;
    for (size_t j = 0; j < i; j++) {
      if (sr_str_eq(cat->creds[j].id, c->id))
        return sr_conf_error(item, err, errlen, "duplicate credential id '%s'",
                             id);
    }
    cat->n_creds = i + 1;
  }
  if (index_build(&cat->cred_index, cat->n_creds, cred_id_at, cat->creds))
    return sr_conf_error(list, err, errlen, "out of memory");
  return SR_OK;
}

static const char *const res_keys[] = {"id", "kind", "environment", "backups",
                                       NULL};

static int parse_backups(const char *s, enum sr_backups *out) {
  sr_str v = sr_str_from(s);
  if (!s || !*s || sr_str_eq_nocase(v, "unknown"))
    *out = SR_BACKUPS_UNKNOWN;
  else if (sr_str_eq_nocase(v, "co-located") ||
           sr_str_eq_nocase(v, "co_located") ||
           sr_str_eq_nocase(v, "colocated"))
    *out = SR_BACKUPS_CO_LOCATED;
  else if (sr_str_eq_nocase(v, "off-site") || sr_str_eq_nocase(v, "off_site") ||
           sr_str_eq_nocase(v, "offsite"))
    *out = SR_BACKUPS_OFF_SITE;
  else if (sr_str_eq_nocase(v, "none"))
    *out = SR_BACKUPS_NONE;
  else
    return SR_EINVAL;
  return SR_OK;
}

static int conf_resources(struct sr_catalogue *cat,
                          const struct sr_conf_node *root, char *err,
                          size_t errlen) {
  const struct sr_conf_node *list = sr_conf_get(root, "resources");
  if (section_list(list, RESOURCES_MAX, err, errlen)) return SR_EINVAL;
  if (!is_list(list)) return SR_OK;
  size_t n = sr_conf_len(list);
  cat->res = calloc(n ? n : 1, sizeof(*cat->res));
  if (!cat->res) return sr_conf_error(list, err, errlen, "out of memory");
  for (size_t i = 0; i < n; i++) {
    const struct sr_conf_node *item = sr_conf_at(list, i);
    if (sr_conf_kind(item) != SR_CONF_MAP)
      return sr_conf_error(item, err, errlen, "expected a map");
    if (sr_conf_check_keys(item, res_keys, err, errlen)) return SR_EINVAL;
    const char *id = NULL, *kind = NULL, *env = NULL, *backups = NULL;
    if (sr_conf_get_string(item, "id", NULL, &id, err, errlen) ||
        sr_conf_get_string(item, "kind", NULL, &kind, err, errlen) ||
        sr_conf_get_string(item, "environment", NULL, &env, err, errlen) ||
        sr_conf_get_string(item, "backups", NULL, &backups, err, errlen))
      return SR_EINVAL;
    if (!id || !*id) return sr_conf_error(item, err, errlen, "missing 'id'");
    struct resource *r = &cat->res[i];
    r->id = sr_str_from(id);
    r->kind = sr_str_from(kind);
    r->environment = sr_env_canonical(sr_str_from(env));
    if (parse_backups(backups, &r->backups))
      return sr_conf_error(sr_conf_get(item, "backups"), err, errlen,
                           "expected co-located, off-site or none, got '%s'",
                           backups);
    for (size_t j = 0; j < i; j++) {
      if (sr_str_eq(cat->res[j].id, r->id))
        return sr_conf_error(item, err, errlen, "duplicate resource id '%s'",
                             id);
    }
    cat->n_res = i + 1;
  }
  if (index_build(&cat->res_index, cat->n_res, res_id_at, cat->res))
    return sr_conf_error(list, err, errlen, "out of memory");
  return SR_OK;
}

/* --- Hyperscan --------------------------------------------------------- */

/* A regex matching `id` literally. Caller frees. */
static char *escape_literal(sr_str id) {
  char *out = malloc(id.n * 4 + 1);
  if (!out) return NULL;
  char *o = out;
  for (size_t i = 0; i < id.n; i++) {
    unsigned char c = (unsigned char)id.p[i];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9') || c == '_') {
      *o++ = (char)c;
    } else {
      o += sprintf(o, "\\x%02x", c);
    }
  }
  *o = '\0';
  return out;
}

/*
 * Flags per entry. Only the word form asks for match starts: its patterns
 * are short and the spans become op->matched. Hints and nouns need one hit.
 */
static unsigned hs_flags_for(const struct entry *e) {
  unsigned f = 0;
  if (e->db == DB_RAW && !(e->flags & F_CASEFUL)) f |= HS_FLAG_CASELESS;
  if (e->db == DB_WORDS && e->node) f |= HS_FLAG_CASELESS; /* configured */
  if (e->db == DB_WORDS && e->kind == K_DESTROY) f |= HS_FLAG_SOM_LEFTMOST;
  /* a confirmed hint needs every match: the first may fail in C */
  if ((e->kind == K_HINT && !e->confirm) || e->kind == K_PREFILTER)
    f |= HS_FLAG_SINGLEMATCH;
  return f;
}

static int compile_db(struct sr_catalogue *cat, enum db db, char *err,
                      size_t errlen) {
  size_t n = 0;
  for (size_t i = 0; i < cat->n_entries; i++) n += cat->entries[i].db == db;
  size_t n_ids = db == DB_RAW ? cat->n_res : 0;
  if (n + n_ids == 0) return SR_OK;
  int rc = SR_ENOMEM;
  const char **exprs = calloc(n + n_ids, sizeof(*exprs));
  unsigned *flags = calloc(n + n_ids, sizeof(*flags));
  unsigned *ids = calloc(n + n_ids, sizeof(*ids));
  char **lits = calloc(n_ids + 1, sizeof(*lits));
  hs_compile_error_t *cerr = NULL;
  if (!exprs || !flags || !ids || !lits) {
    snprintf(err, errlen, "catalogue: out of memory");
    goto out;
  }
  size_t k = 0;
  for (size_t i = 0; i < cat->n_entries; i++) {
    const struct entry *e = &cat->entries[i];
    if (e->db != db) continue;
    exprs[k] = e->pattern;
    flags[k] = hs_flags_for(e);
    ids[k] = (unsigned)i;
    k++;
  }
  for (size_t i = 0; i < n_ids; i++) {
    if (!(lits[i] = escape_literal(cat->res[i].id))) {
      snprintf(err, errlen, "catalogue: out of memory");
      goto out;
    }
    exprs[k] = lits[i];
    flags[k] = 0;
    ids[k] = ID_RESOURCE | (unsigned)i;
    k++;
  }
  if (hs_compile_multi(exprs, flags, ids, (unsigned)k, HS_MODE_BLOCK, NULL,
                       &cat->db[db], &cerr) != HS_SUCCESS) {
    rc = SR_EINVAL;
    int x = cerr ? cerr->expression : -1;
    const char *msg = cerr ? cerr->message : "unknown error";
    if (x >= 0 && (size_t)x < n) {
      const struct entry *e = &cat->entries[ids[x]];
      if (e->node)
        sr_conf_error(e->node, err, errlen,
                      "catalogue entry '%s': invalid pattern: %s", e->name,
                      msg);
      else
        snprintf(err, errlen, "catalogue: built-in entry '%s': %s", e->name,
                 msg);
    } else if (x >= 0) {
      const struct resource *r = &cat->res[ids[x] & ~ID_RESOURCE];
      snprintf(err, errlen, "catalogue: resource id '%.*s': %s", (int)r->id.n,
               r->id.p, msg);
    } else {
      snprintf(err, errlen, "catalogue: hyperscan: %s", msg);
    }
    goto out;
  }
  rc = SR_OK;
out:
  if (cerr) hs_free_compile_error(cerr);
  if (lits)
    for (size_t i = 0; i < n_ids; i++) free(lits[i]);
  free(lits);
  free(ids);
  free(flags);
  free(exprs);
  return rc;
}

static int noun_index_of_resource(const char *res) {
  if (!res) return -1;
  for (size_t i = 0; i < SR_ARRAY_LEN(nouns); i++)
    if (strcmp(nouns[i].resource, res) == 0) return (int)i;
  return -1;
}

struct sr_catalogue *sr_catalogue_create(const struct sr_conf_node *root,
                                         char *err, size_t errlen) {
  if (hs_valid_platform() != HS_SUCCESS) {
    snprintf(err, errlen,
             "catalogue: this CPU lacks the instructions Hyperscan needs "
             "(SSSE3 at least)");
    return NULL;
  }
  struct sr_catalogue *cat = calloc(1, sizeof(*cat));
  if (!cat) {
    snprintf(err, errlen, "catalogue: out of memory");
    return NULL;
  }
  size_t cap = 0;
  cat->noun_file = noun_index_of_resource("file");
  assert(cat->noun_file >= 0);
  for (size_t i = 0; i < SR_ARRAY_LEN(fixed_tools); i++) {
    const struct fixed_tool *f = &fixed_tools[i];
    assert(f->len == strlen(f->name) && f->len < 32);
    cat->fixed_lens[(unsigned char)f->name[0] & 127] |= 1u << f->len;
  }
  for (size_t i = 0; i < SR_ARRAY_LEN(data_verbs); i++) {
    assert(data_verbs[i][0] >= 'a' && data_verbs[i][0] <= 'z');
    cat->data_initials |= 1u << (data_verbs[i][0] - 'a');
  }
  init_word_classes(cat->wcls);
  if (build_lexicon(cat) || add_builtins(cat, &cap)) {
    snprintf(err, errlen, "catalogue: out of memory");
    goto fail;
  }
  if (root && sr_conf_kind(root) != SR_CONF_MAP) {
    sr_conf_error(root, err, errlen, "expected a map");
    goto fail;
  }
  if (conf_catalogue(cat, &cap, root, err, errlen) ||
      conf_credentials(cat, root, err, errlen) ||
      conf_resources(cat, root, err, errlen))
    goto fail;
  for (int db = 0; db < DB_N; db++)
    if (compile_db(cat, (enum db)db, err, errlen)) goto fail;
  /* The databases hold the patterns now. */
  for (size_t i = 0; i < cat->n_entries; i++) {
    free(cat->entries[i].own_pattern);
    cat->entries[i].own_pattern = NULL;
    cat->entries[i].pattern = NULL;
  }
  return cat;
fail:
  sr_catalogue_destroy(cat);
  return NULL;
}

void sr_catalogue_destroy(struct sr_catalogue *cat) {
  if (!cat) return;
  for (size_t i = 0; i < cat->n_entries; i++) {
    free(cat->entries[i].own_pattern);
    free(cat->entries[i].own_scope);
  }
  free(cat->entries);
  free(cat->lex);
  for (int db = 0; db < DB_N; db++) hs_free_database(cat->db[db]);
  free(cat->creds);
  free(cat->cred_lists);
  free(cat->cred_index.slots);
  free(cat->res);
  free(cat->res_index.slots);
  free(cat);
}

size_t sr_catalogue_size(const struct sr_catalogue *cat) {
  return cat ? cat->n_destructive : 0;
}

struct sr_catalogue_scratch *sr_catalogue_scratch_create(
    const struct sr_catalogue *cat) {
  assert(cat);
  struct sr_catalogue_scratch *s = malloc(sizeof(*s));
  if (!s) return NULL;
  s->cat = cat;
  s->hs = NULL;
  s->memo_clock = s->memo_lookups = s->memo_hits = 0;
  s->names_next = 0;
  for (size_t i = 0; i < NAMES_KEPT; i++) s->names[i].n = 0;
  memset(s->reach, 0, sizeof(s->reach)); /* rm_build() leaves it clear */
  for (size_t i = 0; i < MEMO_SLOTS; i++) s->memo[i].stamp = 0;
  for (int db = 0; db < DB_N; db++) {
    if (cat->db[db] && hs_alloc_scratch(cat->db[db], &s->hs) != HS_SUCCESS) {
      sr_catalogue_scratch_destroy(s);
      return NULL;
    }
  }
  return s;
}

void sr_catalogue_scratch_destroy(struct sr_catalogue_scratch *s) {
  if (!s) return;
  hs_free_scratch(s->hs);
  free(s);
}

/* ---------------------------------------------------------------------- */
/* Classification: preparing the text                                       */
/* ---------------------------------------------------------------------- */

static inline bool is_alnum(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c >= 0x80;
}
static inline bool is_upper(unsigned char c) {
  return c >= 'A' && c <= 'Z';
}
static inline bool is_digit(unsigned char c) {
  return c >= '0' && c <= '9';
}
static inline bool is_alpha(char c) {
  return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}
static inline bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Compile-time string literal equality on a view. */
#define EQ(w, lit) ((w).n == sizeof(lit) - 1 && memcmp((w).p, lit, (w).n) == 0)

static void add_sep(struct sr_catalogue_scratch *s, size_t at, char kind) {
  if (s->n_seps == SEPS_MAX) {
    s->seps_overflow = true;
    return;
  }
  assert(s->n_seps == 0 || s->sep_pos[s->n_seps - 1] < at);
  s->sep_pos[s->n_seps] = (uint32_t)at;
  s->sep_kind[s->n_seps++] = kind;
}

static void add_cmd(struct sr_catalogue_scratch *s, size_t a, size_t b) {
  if (s->n_cmds < CMDS_MAX && b > a)
    s->cmds[s->n_cmds++] = (struct span){(uint32_t)a, (uint32_t)b};
}

/* `>` at raw[i] writes a file (not 2>&1, not > /dev/null, not =>). */
static bool writes_file(const char *t, size_t i, size_t end) {
  char prev = i ? t[i - 1] : ' ';
  if (is_digit((unsigned char)prev) || prev == '&' || prev == '>' ||
      prev == '=' || prev == '-' || prev == '<')
    return false;
  size_t j = i + 1;
  if (j < end && t[j] == '>') j++;
  while (j < end && is_blank(t[j])) j++;
  if (j < end && (t[j] == '"' || t[j] == '\'')) j++;
  if (j >= end || t[j] == '&') return false;
  return !(end - j >= 5 && memcmp(t + j, "/dev/", 5) == 0);
}

enum value_kind { V_KEY, V_PLAIN, V_COMMAND, V_PROSE };

/* Bytes the copy loop stops at; everything else is copied as it is. A
 * single space is copied too; two in a row stop it (see plain_run). */
static const unsigned char copy_special[256] = {
    ['\\'] = 1, ['"'] = 1, ['\''] = 1, [';'] = 1, ['\n'] = 1, ['\r'] = 1,
    ['\t'] = 1, ['|'] = 1, ['&'] = 1,  ['#'] = 1, ['>'] = 1};

/* Length of the run at p[0, n) that copy_text copies without a look: no
 * copy_special byte and no two spaces in a row. SSE2 reads 16 bytes at a
 * time and may stop early at other bytes below '(' (the slow path copies
 * those as they are). */
static size_t plain_run(const char *p, size_t n) {
  size_t i = 0;
#if defined(__SSE2__)
  const __m128i below = _mm_set1_epi8(0x28), semi = _mm_set1_epi8(';'),
                gt = _mm_set1_epi8('>'), bsl = _mm_set1_epi8('\\'),
                bar = _mm_set1_epi8('|'), sp = _mm_set1_epi8(' ');
  for (; i + 17 <= n; i += 16) {
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
    __m128i y = _mm_loadu_si128((const __m128i *)(const void *)(p + i + 1));
    /* x < 0x28, except a space not followed by another */
    __m128i low = _mm_xor_si128(_mm_cmpeq_epi8(_mm_max_epu8(x, below), x),
                                _mm_set1_epi8(-1));
    __m128i lone =
        _mm_andnot_si128(_mm_cmpeq_epi8(y, sp), _mm_cmpeq_epi8(x, sp));
    __m128i hit = _mm_or_si128(
        _mm_andnot_si128(lone, low),
        _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(x, semi), _mm_cmpeq_epi8(x, gt)),
            _mm_or_si128(_mm_cmpeq_epi8(x, bsl), _mm_cmpeq_epi8(x, bar))));
    unsigned m = (unsigned)_mm_movemask_epi8(hit);
    if (m) return i + (size_t)__builtin_ctz(m);
  }
#endif
  for (; i < n; i++) {
    unsigned char c = (unsigned char)p[i];
    if (copy_special[c] || (c == ' ' && i + 1 < n && p[i + 1] == ' ')) break;
  }
  return i;
}

/*
 * Copies one text to raw[raw_len...] and returns where it stopped in `in`:
 * a JSON string (`json`: stops after the closing quote and unescapes \" \n
 * \t \\, so the text reads as the shell sees it) or plain arguments. Runs of
 * blanks become one byte (a newline if they held one), so built-in patterns
 * match a single \s. For shell-like text it records the unquoted separators
 * (; & | && || newline #comment) and, for commands, whether a > writes a
 * file. Prose is skipped.
 */
static size_t copy_text(struct sr_catalogue_scratch *s, const char *restrict in,
                        size_t i, size_t n, bool json, enum value_kind kind) {
  if (kind == V_PROSE) { /* to the first quote not escaped by a backslash */
    for (;;) {
      const char *q = memchr(in + i, '"', n - i);
      if (!q) return n;
      size_t k = (size_t)(q - in), bs = 0;
      while (k - bs > i && in[k - bs - 1] == '\\') bs++;
      i = k + 1;
      if (bs % 2 == 0) return i;
    }
  }
  char *restrict out = s->raw;
  size_t o = s->raw_len, start = o;
  bool shell = kind != V_KEY;
  char q = 0;       /* the shell quote we are in */
  bool esc = false; /* the previous byte was a shell backslash */
  uint32_t gt[8], n_gt = 0;
  for (;;) {
    size_t run = plain_run(in + i, n - i);
    if (run && in[i] == ' ' && o > start && is_blank(out[o - 1])) {
      i++; /* the rest of a run of blanks already written as one */
      run--;
    }
    memcpy(out + o, in + i, run);
    i += run;
    o += run;
    if (i >= n) break;
    unsigned char c = (unsigned char)in[i++];
    if (json && c == '"') break;
    if (json && c == '\\' && i < n) {
      unsigned char d = (unsigned char)in[i++];
      if (d == 'n' || d == 'r') {
        c = '\n';
      } else if (d == 't' || d == 'b' || d == 'f') {
        c = ' ';
      } else if (d == 'u') { /* kept as written */
        out[o++] = '\\';
        out[o++] = 'u';
        esc = false;
        continue;
      } else {
        c = d; /* \" \\ \/ */
      }
    }
    if (is_blank((char)c)) {
      bool nl = c == '\n' || c == '\r';
      for (; i < n && is_blank(in[i]); i++)
        nl |= in[i] == '\n' || in[i] == '\r';
      bool sep = nl && shell && !q && !esc;
      if (o > start && is_blank(out[o - 1])) {
        if (nl && out[o - 1] != '\n') {
          out[o - 1] = '\n';
          if (sep) add_sep(s, o - 1, ';');
        }
      } else {
        out[o++] = nl ? '\n' : ' ';
        if (sep) add_sep(s, o - 1, ';');
      }
      esc = false;
      continue;
    }
    out[o++] = (char)c;
    if (!shell) continue;
    if (esc) {
      esc = false;
      continue;
    }
    char next = i < n ? in[i] : '\0';
    switch (c) {
      case '\\':
        esc = q != '\'';
        if (esc && i < n && !copy_special[(unsigned char)in[i]]) {
          out[o++] = in[i++];
          esc = false;
        }
        break;
      case '"':
        if (q != '\'') q = q == '"' ? 0 : '"';
        break;
      case '\'':
        if (q != '"') q = q == '\'' ? 0 : '\'';
        break;
      case ';':
        if (!q) add_sep(s, o - 1, ';');
        break;
      case '|':
        if (q) break;
        add_sep(s, o - 1, next == '|' ? ';' : '|');
        if (next == '|') out[o++] = in[i++];
        break;
      case '&':
        if (q || next == '>' || (o - 1 > start && out[o - 2] == '>')) break;
        add_sep(s, o - 1, ';');
        if (next == '&') out[o++] = in[i++];
        break;
      case '#':
        if (!q && (o - 1 == start || is_blank(out[o - 2])))
          add_sep(s, o - 1, ';');
        break;
      case '>':
        if (!q && kind == V_COMMAND && n_gt < SR_ARRAY_LEN(gt))
          gt[n_gt++] = (uint32_t)(o - 1);
        break;
      default:
        break;
    }
  }
  for (uint32_t k = 0; k < n_gt && !s->redirect; k++)
    s->redirect = writes_file(out, gt[k], o);
  if (kind == V_COMMAND) add_cmd(s, start, o);
  s->raw_len = o;
  return i;
}

/* What the value of JSON key k holds. A coding agent's "description"
 * (Claude Code) or "explanation" (Cursor) is prose about the command: it
 * is dropped, not scanned. */
static enum value_kind key_kind(const char *k, size_t n) {
  static const struct {
    const char *key;
    size_t len;
    enum value_kind kind;
  } keys[] = {{"command", 7, V_COMMAND},    {"cmd", 3, V_COMMAND},
              {"script", 6, V_COMMAND},     {"commands", 8, V_COMMAND},
              {"description", 11, V_PROSE}, {"explanation", 11, V_PROSE}};
  for (size_t i = 0; i < SR_ARRAY_LEN(keys); i++)
    if (keys[i].len == n && memcmp(keys[i].key, k, n) == 0) return keys[i].kind;
  return V_PLAIN;
}

/* Copies JSON arguments to raw: structure as it is (blanks dropped),
 * strings through copy_text; every string boundary separates segments. */
static void copy_json(struct sr_catalogue_scratch *s, const char *in,
                      size_t n) {
  char *out = s->raw;
  uint64_t objects = 0; /* bit d: the container at depth d is an object */
  int depth = 0, kind_depth = -1;
  bool expect_key = false;
  enum value_kind kind = V_PLAIN;
  size_t i = 0;
  while (i < n) {
    char c = in[i++];
    if (c != '"') {
      if (is_blank(c)) continue;
      out[s->raw_len++] = c;
      switch (c) {
        case '{':
        case '[':
          depth++;
          if (depth < 64) {
            if (c == '{')
              objects |= 1ull << depth;
            else
              objects &= ~(1ull << depth);
          }
          expect_key = c == '{';
          break;
        case '}':
        case ']':
          if (depth == kind_depth) kind = V_PLAIN;
          if (depth > 0) depth--;
          expect_key = false;
          break;
        case ',':
          expect_key = depth > 0 && depth < 64 && (objects >> depth & 1);
          if (expect_key && depth == kind_depth) kind = V_PLAIN;
          break;
        case ':':
          expect_key = false;
          break;
        default:
          break;
      }
      continue;
    }
    bool key = expect_key;
    add_sep(s, s->raw_len, ';');
    out[s->raw_len++] = '"';
    size_t a = s->raw_len;
    i = copy_text(s, in, i, n, true, key ? V_KEY : kind);
    if (key) {
      kind = key_kind(out + a, s->raw_len - a);
      kind_depth = depth;
      expect_key = false;
    }
    add_sep(s, s->raw_len, ';');
    out[s->raw_len++] = '"';
  }
}

/* raw = tool + ' ' + arguments (only the tool when `with_args` is false). */
static void prepare(struct sr_catalogue_scratch *s, const struct sr_event *ev,
                    bool with_args) {
  size_t tn = SR_MIN(ev->tool.n, (size_t)SR_NAME_MAX);
  if (tn) memcpy(s->raw, ev->tool.p, tn);
  s->raw[tn] = ' ';
  s->tool_len = tn;
  s->raw_len = tn + 1;
  size_t n = with_args ? SR_MIN(ev->arguments.n, (size_t)SR_TEXT_MAX) : 0;
  const char *in = ev->arguments.p;
  size_t i = 0;
  while (i < n && is_blank(in[i])) i++;
  if (i < n && (in[i] == '{' || in[i] == '['))
    copy_json(s, in + i, n - i);
  else if (i < n)
    copy_text(s, in, i, n, false, V_COMMAND);
  assert(s->raw_len <= RAW_CAP);
}

/* Segment of raw offset p: the number of separators before it; a separator
 * belongs to the segment it closes. SEG_UNKNOWN past the recorded ones. */
static uint32_t seg_of(const struct sr_catalogue_scratch *s, uint32_t p) {
  if (s->seps_overflow && s->n_seps && p > s->sep_pos[s->n_seps - 1])
    return SEG_UNKNOWN;
  uint32_t lo = 0, hi = s->n_seps;
  while (lo < hi) {
    uint32_t mid = (lo + hi) / 2;
    if (s->sep_pos[mid] < p)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/* End of the segment that raw offset p is in. */
static uint32_t seg_end(const struct sr_catalogue_scratch *s, uint32_t p) {
  uint32_t k = seg_of(s, p);
  return k < s->n_seps ? s->sep_pos[k] : (uint32_t)s->raw_len;
}

/* --- the word form ----------------------------------------------------- */

/* Word-form byte classes (cat->wcls); W_LOW..W_SLASH make up tokens. */
enum {
  W_SEP = 0,   /* dropped */
  W_LOW = 1,   /* lowercase letter, UTF-8 byte */
  W_DIG = 2,   /* digit */
  W_UP = 3,    /* uppercase letter */
  W_PUNCT = 4, /* _ : @ - inside a token: splits words */
  W_DOT = 5,   /* . splits words too, and may start a file extension */
  W_SLASH = 6, /* a token with one is a path or a URL */
  W_BREAK = 7, /* ; | & # newline: a segment break */
};

static void init_word_classes(uint8_t *cls) {
  for (int c = 0; c < 256; c++) {
    uint8_t k = W_SEP;
    if ((c >= 'a' && c <= 'z') || c >= 0x80)
      k = W_LOW;
    else if (c >= '0' && c <= '9')
      k = W_DIG;
    else if (c >= 'A' && c <= 'Z')
      k = W_UP;
    else if (c == '_' || c == ':' || c == '@' || c == '-')
      k = W_PUNCT;
    else if (c == '.')
      k = W_DOT;
    else if (c == '/')
      k = W_SLASH;
    else if (c == ';' || c == '|' || c == '&' || c == '#' || c == '\n')
      k = W_BREAK;
    cls[c] = k;
  }
}

/* File name extensions whose tokens are left out of the word form. */
static bool file_ext(const char *p, size_t n) {
  static const char *const exts[] = {
      "md",   "txt",  "rst", "json", "yaml", "yml", "toml", "ini", "cfg",
      "conf", "log",  "csv", "sql",  "py",   "js",  "ts",   "tsx", "jsx",
      "go",   "rs",   "c",   "h",    "cc",   "cpp", "java", "rb",  "php",
      "sh",   "html", "css", "lock", "tf",   "xml", "pdf",  "png", "jpg"};
  if (n == 0 || n > 4) return false;
  for (size_t i = 0; i < SR_ARRAY_LEN(exts); i++)
    if (exts[i][0] == p[0] && strlen(exts[i]) == n &&
        memcmp(exts[i], p, n) == 0)
      return true;
  return false;
}

static const struct lex *lex_find(const struct sr_catalogue *cat, const char *p,
                                  size_t n);

/*
 * Copies the run of lower-case letters (and UTF-8 bytes: class W_LOW) at
 * in[i, limit) to w[o...], pos[o...] getting each byte's offset, and returns
 * its length. The word form copies such a run as it is: nothing in it splits
 * a word or changes case. SSE2 classifies, copies and numbers 16 bytes at a
 * time; it may write up to 16 bytes past the run into w and pos, which the
 * caller's bound (2 bytes out per byte in) leaves room for.
 */
static size_t copy_lower(const uint8_t *restrict cls,
                         const unsigned char *restrict in, size_t i,
                         size_t limit, char *restrict w, uint32_t *restrict pos,
                         size_t o) {
  size_t r = 0;
#if defined(__SSE2__)
  const __m128i below_a = _mm_set1_epi8('a' - 1),
                above_z = _mm_set1_epi8('z' + 1);
  const __m128i four = _mm_set1_epi32(4);
  for (; i + r + 16 <= limit; r += 16) {
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(in + i + r));
    __m128i low = _mm_or_si128(
        _mm_cmplt_epi8(x, _mm_setzero_si128()), /* >= 0x80 */
        _mm_and_si128(_mm_cmpgt_epi8(x, below_a), _mm_cmplt_epi8(x, above_z)));
    _mm_storeu_si128((__m128i *)(void *)(w + o + r), x);
    __m128i at =
        _mm_add_epi32(_mm_set1_epi32((int)(i + r)), _mm_setr_epi32(0, 1, 2, 3));
    for (int q = 0; q < 4; q++) {
      _mm_storeu_si128((__m128i *)(void *)(pos + o + r + 4 * q), at);
      at = _mm_add_epi32(at, four);
    }
    unsigned m = ~(unsigned)_mm_movemask_epi8(low) & 0xFFFFu;
    if (m) return r + (size_t)__builtin_ctz(m);
  }
#endif
  for (; i + r < limit && cls[in[i + r]] == W_LOW; r++) {
    w[o + r] = (char)in[i + r];
    pos[o + r] = (uint32_t)(i + r);
  }
  return r;
}

/* Sets s->noun_args to the noun of the first word of words[a, b) that is
 * one, and says whether there was one. */
static bool token_noun(struct sr_catalogue_scratch *s, size_t a, size_t b) {
  const char *w = s->words;
  while (a < b) {
    while (a < b && w[a] == ' ') a++;
    size_t e = a;
    while (e < b && w[e] != ' ') e++;
    const struct lex *lx = e > a ? lex_find(s->cat, w + a, e - a) : NULL;
    if (lx && lx->noun >= 0) {
      s->noun_args = lx->noun;
      return true;
    }
    a = e;
  }
  return false;
}

/*
 * Appends the word form of raw[a, b) to s->words, bounded by WORDS_CAP, in
 * one pass: a token (a run of letters, digits and _ - . : @ /) is written
 * as it is read, lowercased, split at punctuation and at camelCase
 * (volumeDelete, DBInstance -> db instance), the dashes of a leading flag
 * kept (-rf); wpos[] remembers the raw offset of each byte. A token that
 * turns out to be a path, a URL or a file name is taken back: those name
 * things, they do not act on them. Words are one space apart; ; and | mark
 * segment breaks. With `first_noun` it stops after the first token holding
 * a resource noun (s->noun_args): all a GraphQL document without a
 * destructive verb needs.
 */
static void normalise(struct sr_catalogue_scratch *s, size_t a, size_t b,
                      bool first_noun) {
  const uint8_t *restrict cls = s->cat->wcls;
  const unsigned char *restrict in = (const unsigned char *)s->raw;
  char *restrict w = s->words;
  uint32_t *restrict pos = s->wpos;
  size_t i = a, o = s->words_len;
  char brk = 0;
  while (i < b) {
    uint8_t k = cls[in[i]];
    if (k == W_SEP) {
      i++;
      continue;
    }
    if (k == W_BREAK) {
      bool pipe = in[i] == '|' && !(i + 1 < b && in[i + 1] == '|') &&
                  !(i > a && in[i - 1] == '|');
      if (brk != ';') brk = pipe ? '|' : ';';
      i++;
      continue;
    }
    /* at most 2 bytes out per byte in (tokens are cut at TOKEN_MAX), 4 more for
     * " ; " and a space */
    if (o + 2 * SR_MIN(b - i, (size_t)TOKEN_MAX) + 4 > WORDS_CAP) break;
    size_t o0 = o, t = i, dot = SIZE_MAX;
    bool slash = false;
    if (brk && o) {
      if (w[o - 1] != ' ') {
        w[o] = ' ';
        pos[o++] = (uint32_t)t;
      }
      w[o] = brk;
      pos[o++] = (uint32_t)t;
    }
    bool space = o > 0 && w[o - 1] != ' ';
    if (in[i] == '-') { /* a flag keeps its dashes: -rf, --force */
      while (i < b && in[i] == '-') i++;
      if (i < b && cls[in[i]] < W_PUNCT) {
        if (space) {
          w[o] = ' ';
          pos[o++] = (uint32_t)t;
        }
        for (size_t d = t; d < i; d++) {
          w[o] = '-';
          pos[o++] = (uint32_t)d;
        }
        space = false;
      }
    }
    uint8_t prev = W_SEP;
    size_t limit = SR_MIN(b, i + TOKEN_MAX); /* a longer token is cut */
    for (; i < limit && (k = cls[in[i]]) != W_SEP && k != W_BREAK; i++) {
      unsigned char c = in[i];
      if (k == W_LOW) {
        if (space) {
          if (o && w[o - 1] != ' ') {
            w[o] = ' ';
            pos[o++] = (uint32_t)i;
          }
          space = false;
        }
        size_t r = copy_lower(cls, in, i, limit, w, pos, o);
        o += r;
        i += r - 1; /* the loop steps over the last one */
        prev = W_LOW;
        continue;
      }
      if (k >= W_PUNCT) {
        slash |= k == W_SLASH;
        if (k == W_DOT) dot = i;
        space = true;
        prev = W_SEP;
        continue;
      }
      if (k == W_UP) {
        c = (unsigned char)(c + 32);
        if (prev == W_LOW || prev == W_DIG ||
            (prev == W_UP && i + 1 < b && cls[in[i + 1]] == W_LOW))
          space = true;
      }
      if (space) {
        if (o && w[o - 1] != ' ') {
          w[o] = ' ';
          pos[o++] = (uint32_t)i;
        }
        space = false;
      }
      w[o] = (char)c;
      pos[o++] = (uint32_t)i;
      prev = k;
    }
    while (i < b && (k = cls[in[i]]) != W_SEP && k != W_BREAK) i++;
    if (slash || (dot != SIZE_MAX &&
                  file_ext((const char *)in + dot + 1, i - dot - 1))) {
      o = o0; /* taken back; a pending break stays pending */
      continue;
    }
    if (o > o0) brk = 0;
    if (first_noun && token_noun(s, o0, o)) break;
  }
  s->words_len = o;
}

/* ---------------------------------------------------------------------- */
/* Classification: scanning                                                 */
/* ---------------------------------------------------------------------- */

static const struct lex *lex_find(const struct sr_catalogue *cat, const char *p,
                                  size_t n);

/* The vocabulary entry of a word of the raw text (any case). */
static const struct lex *lex_find_raw(const struct sr_catalogue *cat,
                                      const char *p, size_t n) {
  char low[32];
  if (n == 0 || n > sizeof(low)) return NULL;
  for (size_t i = 0; i < n; i++)
    low[i] = is_upper((unsigned char)p[i]) ? (char)(p[i] + 32) : p[i];
  return lex_find(cat, low, n);
}

/* Index into nouns[] of a plain word, -1 if none. */
static int noun_of(const struct sr_catalogue *cat, const char *p, size_t n) {
  const struct lex *l = lex_find_raw(cat, p, n);
  return l ? l->noun : -1;
}

/* Last resource noun among the alphabetic runs of [p, p+n): the kind that
 * `aws lambda delete-function`, "delete the volume" or a URL path names. */
static int noun_in(const struct sr_catalogue *cat, const char *p, size_t n) {
  int found = -1;
  size_t i = 0;
  while (i < n) {
    while (i < n && !is_alpha(p[i])) i++;
    size_t a = i;
    while (i < n && is_alpha(p[i])) i++;
    int k = noun_of(cat, p + a, i - a);
    if (k >= 0) found = k;
  }
  return found;
}

/* A token of a command segment, without quotes and escapes around it. */
static sr_str token_at(const char *t, size_t *at, size_t end) {
  size_t i = *at;
  /* blanks, escapes, and the second byte of && || that starts a segment */
  while (i < end &&
         (is_blank(t[i]) || t[i] == '\\' || t[i] == '&' || t[i] == '|'))
    i++;
  size_t a = i;
  while (i < end && !is_blank(t[i])) i++;
  size_t b = *at = i;
  while (a < b && (t[a] == '"' || t[a] == '\'' || t[a] == '(' || t[a] == '`'))
    a++;
  while (b > a && (t[b - 1] == '"' || t[b - 1] == '\'' || t[b - 1] == ')' ||
                   t[b - 1] == '`'))
    b--;
  return (sr_str){t + a, b - a};
}

/* kubectl flags that take the next word as their value. */
static bool k8s_flag_takes_value(sr_str w) {
  return EQ(w, "-n") || EQ(w, "-l") || EQ(w, "-o") || EQ(w, "-f") ||
         EQ(w, "-k") || EQ(w, "-s") || EQ(w, "--namespace") ||
         EQ(w, "--selector") || EQ(w, "--context") || EQ(w, "--cluster") ||
         EQ(w, "--user") || EQ(w, "--output") || EQ(w, "--field-selector") ||
         EQ(w, "--grace-period") || EQ(w, "--timeout") ||
         EQ(w, "--kubeconfig") || EQ(w, "--filename") || EQ(w, "--kustomize") ||
         EQ(w, "--as") || EQ(w, "--token") || EQ(w, "--server") ||
         EQ(w, "--cascade") || EQ(w, "--request-timeout") ||
         EQ(w, "--replicas");
}

/* The k8s_types[] variant a resource-type word names (TYPE, TYPE/name,
 * TYPE.group, A,B: the worst), -1 none. */
static int k8s_type_of(const struct sr_catalogue *cat, sr_str w) {
  int best = -1;
  for (size_t a = 0; a < w.n;) {
    size_t b = a;
    while (b < w.n && w.p[b] != ',' && w.p[b] != '/' && w.p[b] != '.') b++;
    const struct lex *l = lex_find_raw(cat, w.p + a, b - a);
    int v = l ? l->k8s : -1;
    if (v >= 0 &&
        (best < 0 || k8s_types[v].severity > k8s_types[best].severity))
      best = v;
    while (b < w.n && w.p[b] != ',') b++; /* skip /name and .group */
    a = b + 1;
  }
  return best;
}

#define K8S_OP(op) ((int)SR_ARRAY_LEN(k8s_types) + (op))

/*
 * What `kubectl ...` does, from raw[*at, end) (the words after kubectl):
 * a k8s_types[] index, K8S_OP(k8s_op), or -1 for nothing destructive. *at
 * becomes the end of the words that decided.
 */
static int k8s_resolve(const struct sr_catalogue *cat, const char *t,
                       size_t *at, size_t end) {
  size_t i = *at;
  sr_str w;
  do { /* global flags: kubectl --context prod -n payments delete ... */
    w = token_at(t, &i, end);
    if (w.n && w.p[0] == '-' && k8s_flag_takes_value(w)) token_at(t, &i, end);
  } while (w.n && w.p[0] == '-');
  int v = -1;
  if (EQ(w, "drain")) {
    v = K8S_OP(K8S_DRAIN);
  } else if (EQ(w, "scale")) {
    for (int k = 0; k < 16 && (w = token_at(t, &i, end)).n; k++) {
      if (EQ(w, "--replicas=0")) v = K8S_OP(K8S_SCALE_ZERO);
      if (EQ(w, "--replicas") && (w = token_at(t, &i, end), EQ(w, "0")))
        v = K8S_OP(K8S_SCALE_ZERO);
    }
  } else if (EQ(w, "delete")) {
    int type = -1;
    bool all = false, file = false, every = false, everywhere = false;
    for (int k = 0; k < 24 && (w = token_at(t, &i, end)).n; k++) {
      if (w.p[0] != '-') {
        if (type < 0) type = k8s_type_of(cat, w);
        *at = i;
        continue;
      }
      every |= EQ(w, "--all") || EQ(w, "--all=true");
      everywhere |= EQ(w, "-A") || EQ(w, "--all-namespaces");
      if (EQ(w, "-f") || EQ(w, "--filename") || EQ(w, "-k") ||
          EQ(w, "--kustomize") ||
          (w.n > 11 && memcmp(w.p, "--filename=", 11) == 0))
        file = true;
      if (k8s_flag_takes_value(w)) token_at(t, &i, end);
    }
    float sev = 0;
    /* --all -A: every object of the types, in every namespace */
    const struct variant *wide = &k8s_ops[K8S_DELETE_EVERYWHERE];
    all = every || everywhere;
    if (type >= 0) v = type, sev = k8s_types[type].severity;
    if (every && everywhere && wide->severity > sev)
      v = K8S_OP(K8S_DELETE_EVERYWHERE), sev = wide->severity;
    if (all && k8s_ops[K8S_DELETE_ALL].severity > sev)
      v = K8S_OP(K8S_DELETE_ALL), sev = k8s_ops[K8S_DELETE_ALL].severity;
    if (file && k8s_ops[K8S_DELETE_FILE].severity > sev)
      v = K8S_OP(K8S_DELETE_FILE), sev = k8s_ops[K8S_DELETE_FILE].severity;
    if (v < 0) v = K8S_OP(K8S_DELETE);
    return v;
  }
  if (v >= 0) *at = i;
  return v;
}

/*
 * What `git ...` does, from raw[*at, end): a git_ops[] index, or -1 for
 * nothing destructive. Short flags are read letter by letter (-fdx), and
 * case matters: branch -D forces, -d does not. `git commit/log/show` set
 * *mention: their text (a commit message) is not a command.
 */
static int git_resolve(const char *t, size_t *at, size_t end, bool *mention) {
  size_t i = *at;
  sr_str w;
  do { /* global options: git -C dir -c k=v --no-pager push ... */
    w = token_at(t, &i, end);
    if (EQ(w, "-C") || EQ(w, "-c")) token_at(t, &i, end);
  } while (w.n && w.p[0] == '-');
  sr_str sub = w, arg1 = {0};
  bool force = false, lease = false, mirror = false, del = false, big_d = false,
       hard = false, dry = false, dot = false, refdel = false,
       expire_now = false;
  for (int k = 0; k < 32 && (w = token_at(t, &i, end)).n; k++) {
    if (!arg1.n) arg1 = w;
    if (w.p[0] == '+' && w.n > 1)
      force = true;
    else if (w.p[0] == ':' && w.n > 1)
      refdel = true;
    else if (EQ(w, "."))
      dot = true;
    else if (w.n > 1 && w.p[0] == '-' && w.p[1] != '-') {
      for (size_t c = 1; c < w.n; c++) {
        force |= w.p[c] == 'f';
        del |= w.p[c] == 'd';
        big_d |= w.p[c] == 'D';
        dry |= w.p[c] == 'n';
      }
    } else if (EQ(w, "--force"))
      force = true;
    else if (w.n >= 18 && memcmp(w.p, "--force-with-lease", 18) == 0)
      lease = true;
    else if (EQ(w, "--force-if-includes"))
      lease = true;
    else if (EQ(w, "--mirror"))
      mirror = true;
    else if (EQ(w, "--delete"))
      del = true;
    else if (EQ(w, "--hard"))
      hard = true;
    else if (EQ(w, "--dry-run"))
      dry = true;
    else if (EQ(w, "--expire=now") || EQ(w, "--expire=all"))
      expire_now = true;
  }
  *at = i;
  if (EQ(sub, "commit") || EQ(sub, "log") || EQ(sub, "show")) {
    *mention = true;
    return -1;
  }
  if (EQ(sub, "push")) {
    if (mirror) return GIT_PUSH_MIRROR;
    if (force) return GIT_PUSH_FORCE;
    if (del || refdel) return GIT_PUSH_DELETE;
    if (lease) return GIT_PUSH_FORCE_LEASE;
    return -1;
  }
  if (EQ(sub, "reset")) return hard ? GIT_RESET_HARD : -1;
  if (EQ(sub, "clean")) return force && !dry ? GIT_CLEAN_FORCE : -1;
  if (EQ(sub, "branch"))
    return big_d || (del && force) ? GIT_BRANCH_FORCE_DELETE
           : del                   ? GIT_BRANCH_DELETE
                                   : -1;
  if (EQ(sub, "tag")) return del ? GIT_TAG_DELETE : -1;
  if (EQ(sub, "filter-branch") || EQ(sub, "filter-repo"))
    return GIT_FILTER_HISTORY;
  if (EQ(sub, "reflog"))
    return EQ(arg1, "expire") && expire_now ? GIT_REFLOG_EXPIRE : -1;
  if (EQ(sub, "checkout") || EQ(sub, "restore"))
    return dot ? GIT_CHECKOUT_DISCARD : -1;
  if (EQ(sub, "stash"))
    return EQ(arg1, "clear") || EQ(arg1, "drop") ? GIT_STASH_CLEAR : -1;
  if (EQ(sub, "update-ref")) return del ? GIT_UPDATE_REF_DELETE : -1;
  return -1;
}

/* --- data stores: what a path names ------------------------------------ */

/*
 * The files a data store lives in. Deleting them deletes the data whatever
 * the command: `rm -rf /srv/postgres/data` drops every database of the
 * server, and a deleted backup is the way back gone (PocketOS lost both at
 * once). store_of() reads a path by its components: a store's directory
 * under /var/lib and its kin, a store's name next to `data`
 * (/srv/postgres/data, /data/mysql, ./pgdata) or in a mount point
 * (/mnt/pv/postgres), the files only a store writes (pg_wal, ibdata1,
 * dump.rdb, app.sqlite3), the volumes containers keep data in, and
 * backups (backups/, *.dump, db.bak).
 *
 * Temporary, cache, log and test paths are never a store: what lies under
 * /tmp, a cache, tests/ or fixtures/ is rebuilt by whatever made it, and
 * so is a file named for tests. `rm -f test.db` in a repository deletes
 * the database its test suite creates again on the next run; `rm -f
 * app.db` deletes the application's data, as far as a command can tell.
 * A copy an editor or `sed -i.bak` keeps of a source file
 * (config.yaml.bak) is no backup; `prod.bak` and `db.sql.bak` are.
 */
enum store_kind {
  ST_POSTGRES,
  ST_MYSQL,
  ST_MONGO,
  ST_REDIS,
  ST_ETCD,
  ST_SEARCH,
  ST_KAFKA,
  ST_CLICKHOUSE,
  ST_CASSANDRA,
  ST_INFLUX,
  ST_COUCH,
  ST_NEO4J,
  ST_RABBITMQ,
  ST_MINIO,
  ST_MSSQL,
  ST_SQLITE,
  ST_CONTAINERS,
  ST_K8S,
  ST_BACKUP,
};

struct store {
  const char *what; /* for reasons: "deletion of <what> at <path>" */
  const char *resource, *scope;
  /* a server or an application runs on the files: moving them away
   * deletes them */
  bool live;
};

#define STORE_DB(what) \
  { what, "database", "database:delete", true }
#define STORE_VOLUME(what) \
  { what, "volume", "volume:delete", true }

static const struct store stores[] = {
    [ST_POSTGRES] = STORE_DB("PostgreSQL data"),
    [ST_MYSQL] = STORE_DB("MySQL data"),
    [ST_MONGO] = STORE_DB("MongoDB data"),
    [ST_REDIS] = STORE_DB("Redis data"),
    [ST_ETCD] = STORE_DB("etcd data"),
    [ST_SEARCH] = STORE_DB("Elasticsearch/OpenSearch data"),
    [ST_KAFKA] = STORE_DB("Kafka data"),
    [ST_CLICKHOUSE] = STORE_DB("ClickHouse data"),
    [ST_CASSANDRA] = STORE_DB("Cassandra data"),
    [ST_INFLUX] = STORE_DB("InfluxDB data"),
    [ST_COUCH] = STORE_DB("CouchDB data"),
    [ST_NEO4J] = STORE_DB("Neo4j data"),
    [ST_RABBITMQ] = STORE_DB("RabbitMQ data"),
    [ST_MINIO] = STORE_DB("MinIO data"),
    [ST_MSSQL] = STORE_DB("SQL Server data"),
    [ST_SQLITE] = STORE_DB("a SQLite database"),
    [ST_CONTAINERS] = STORE_VOLUME("container volumes"),
    [ST_K8S] = STORE_VOLUME("Kubernetes volumes"),
    [ST_BACKUP] = {"backups", "backup", "backup:delete", false},
};

/* Directory names that mean a store, lowercase. */
#define STORE_NAME(w, k) \
  { w, sizeof(w) - 1, k }
static const struct {
  const char *name;
  uint8_t len;
  uint8_t store;
} store_names[] = {
    STORE_NAME("postgresql", ST_POSTGRES),
    STORE_NAME("postgres", ST_POSTGRES),
    STORE_NAME("pgsql", ST_POSTGRES),
    STORE_NAME("pg", ST_POSTGRES),
    STORE_NAME("mysql", ST_MYSQL),
    STORE_NAME("mariadb", ST_MYSQL),
    STORE_NAME("mongodb", ST_MONGO),
    STORE_NAME("mongo", ST_MONGO),
    STORE_NAME("redis", ST_REDIS),
    STORE_NAME("valkey", ST_REDIS),
    STORE_NAME("etcd", ST_ETCD),
    STORE_NAME("elasticsearch", ST_SEARCH),
    STORE_NAME("opensearch", ST_SEARCH),
    STORE_NAME("kafka", ST_KAFKA),
    STORE_NAME("zookeeper", ST_KAFKA),
    STORE_NAME("clickhouse", ST_CLICKHOUSE),
    STORE_NAME("cassandra", ST_CASSANDRA),
    STORE_NAME("scylla", ST_CASSANDRA),
    STORE_NAME("influxdb", ST_INFLUX),
    STORE_NAME("couchdb", ST_COUCH),
    STORE_NAME("neo4j", ST_NEO4J),
    STORE_NAME("rabbitmq", ST_RABBITMQ),
    STORE_NAME("minio", ST_MINIO),
    STORE_NAME("mssql", ST_MSSQL),
    STORE_NAME("docker", ST_CONTAINERS),
    STORE_NAME("containers", ST_CONTAINERS),
    STORE_NAME("kubelet", ST_K8S),
    STORE_NAME("longhorn", ST_K8S),
    STORE_NAME("openebs", ST_K8S),
    STORE_NAME("rancher", ST_K8S),
    STORE_NAME("local-path-provisioner", ST_K8S),
};
#undef STORE_NAME

static inline unsigned char lower(unsigned char c) {
  return is_upper(c) ? c | 0x20 : c;
}

/* Whether w is lit, caseless; starts or ends with it. */
#define IEQ(w, lit) sr_str_eq_nocase(w, lit)
#define ISTARTS(w, lit)        \
  ((w).n >= sizeof(lit) - 1 && \
   sr_str_eq_nocase((sr_str){(w).p, sizeof(lit) - 1}, lit))
#define IENDS(w, lit)          \
  ((w).n >= sizeof(lit) - 1 && \
   sr_str_eq_nocase(           \
       (sr_str){(w).p + (w).n - (sizeof(lit) - 1), sizeof(lit) - 1}, lit))

/* A word of a list read per path component: its length is compared
 * first, so most words cost one comparison. */
struct word {
  const char *p;
  uint8_t n;
};
#define WORD(w) \
  { w, sizeof(w) - 1 }

static bool in_words(sr_str w, const struct word *list, size_t n) {
  for (size_t k = 0; k < n; k++)
    if (list[k].n == w.n && sr_str_eq_nocase(w, list[k].p)) return true;
  return false;
}

/* stores[] index + 1 of a directory name (postgresql@16 as Homebrew
 * names it too), 0 none. */
static int store_named(sr_str w) {
  const char *at = memchr(w.p, '@', w.n);
  if (at) w.n = (size_t)(at - w.p);
  for (size_t k = 0; k < SR_ARRAY_LEN(store_names); k++)
    if (store_names[k].len == w.n && sr_str_eq_nocase(w, store_names[k].name))
      return store_names[k].store + 1;
  return 0;
}

/* What is rebuilt, not kept: temp, cache, log and test paths, and a file
 * named for tests, caches or logs (`last`: the path's final component). */
static bool disposable(sr_str w, bool last) {
  static const struct word names[] = {
      WORD("tmp"),       WORD("temp"),         WORD("test"),
      WORD("tests"),     WORD("spec"),         WORD("specs"),
      WORD("fixture"),   WORD("fixtures"),     WORD("testdata"),
      WORD("__tests__"), WORD("log"),          WORD("logs"),
      WORD("pg_log"),    WORD("node_modules"), WORD("$tmpdir"),
      WORD("${tmpdir}")};
  if (in_words(w, names, SR_ARRAY_LEN(names))) return true;
  unsigned char z = lower((unsigned char)w.p[w.n - 1]);
  if ((z == 'e' || z == 's') && (IENDS(w, "cache") || IENDS(w, "caches")))
    return true;
  if (!last) return false;
  const char *dot = w.n ? memchr(w.p + 1, '.', w.n - 1) : NULL;
  if (!dot) return false; /* a directory, as far as its name tells */
  sr_str stem = {w.p, (size_t)(dot - w.p)};
  return IEQ(stem, "test") || ISTARTS(stem, "test_") ||
         ISTARTS(stem, "test-") || IENDS(stem, "_test") ||
         IENDS(stem, "-test") || IENDS(stem, "cache") || IENDS(w, ".log");
}

/* Whether a file name extension is a dump's or an archive's. */
static bool dump_ext(sr_str e) {
  static const struct word exts[] = {
      WORD("sql"), WORD("dump"),   WORD("pgdump"),  WORD("bak"), WORD("tar"),
      WORD("gz"),  WORD("tgz"),    WORD("zip"),     WORD("bz2"), WORD("xz"),
      WORD("zst"), WORD("7z"),     WORD("gpg"),     WORD("age"), WORD("enc"),
      WORD("db"),  WORD("sqlite"), WORD("sqlite3"), WORD("rdb")};
  return in_words(e, exts, SR_ARRAY_LEN(exts));
}

/* Whether a path component is a backup: named so (backups, pg_backup,
 * backup-2026.tar.gz, not backup.sh) or a dump by its extension. */
static bool backup_name(sr_str w) {
  const char *dot = w.n ? memchr(w.p + 1, '.', w.n - 1) : NULL;
  sr_str stem = {w.p, dot ? (size_t)(dot - w.p) : w.n};
  const char *last = dot ? memrchr(w.p, '.', w.n) : NULL;
  sr_str ext = {last ? last + 1 : w.p + w.n,
                last ? (size_t)(w.p + w.n - last - 1) : 0};
  if (IEQ(stem, "backup") || IEQ(stem, "backups") || ISTARTS(stem, "backup-") ||
      ISTARTS(stem, "backup_") || IENDS(stem, "-backup") ||
      IENDS(stem, "_backup") || IENDS(stem, "-backups") ||
      IENDS(stem, "_backups"))
    return !dot || dump_ext(ext);
  if (IEQ(ext, "dump") || IEQ(ext, "pgdump")) return true;
  if (IENDS(w, ".sql.gz") || IENDS(w, ".sql.xz") || IENDS(w, ".sql.bz2") ||
      IENDS(w, ".sql.zst") || IENDS(w, ".sql.zip"))
    return true;
  if (!IEQ(ext, "bak") || !dot) return false;
  /* db.bak, or the copy of a dump or a database; not config.yaml.bak */
  if (last == dot) return true;
  sr_str inner = {w.p, (size_t)(last - w.p)};
  const char *d = memrchr(inner.p, '.', inner.n);
  return dump_ext((sr_str){d + 1, (size_t)(inner.p + inner.n - d - 1)});
}

/* Whether a file name is a SQLite database's (or its WAL, shared memory
 * or journal); Windows' thumbnail caches are named .db too. */
static bool sqlite_name(sr_str w) {
  if (IENDS(w, "-wal") || IENDS(w, "-shm"))
    w.n -= 4;
  else if (IENDS(w, "-journal"))
    w.n -= 8;
  if (IEQ(w, "thumbs.db") || IEQ(w, "ehthumbs.db")) return false;
  return (w.n > 3 && IENDS(w, ".db")) || (w.n > 4 && IENDS(w, ".db3")) ||
         (w.n > 7 && IENDS(w, ".sqlite")) || (w.n > 8 && IENDS(w, ".sqlite3"));
}

#define PATH_PARTS_MAX 32

/* stores[] index + 1 of what component c[i] of an m-component path says,
 * 0 nothing; `mount`: the path starts at a mount point (/srv, /mnt, ...).
 * The rules for file names are sorted by the component's first and last
 * byte, so a component meets only those that can hold. */
static int part_store(const sr_str *c, size_t i, size_t m, bool abs,
                      bool mount) {
  sr_str w = c[i];
  bool has_next = i + 1 < m;
  unsigned char a0 = lower((unsigned char)w.p[0]),
                z = lower((unsigned char)w.p[w.n - 1]);
  bool dot = w.n > 1 && memchr(w.p + 1, '.', w.n - 1);
  int k;
  /* a store's name and its data: /srv/postgres/data, /data/mysql */
  if (has_next && IEQ(c[i + 1], "data") && (k = store_named(w))) return k;
  if (has_next && IEQ(w, "data") && (k = store_named(c[i + 1]))) return k;
  /* ... in one name: pgdata, postgres-data, mysql_data */
  if (z == 'a' && w.n > 4 && IENDS(w, "data")) {
    sr_str s = {w.p, w.n - 4};
    if (s.n && (s.p[s.n - 1] == '-' || s.p[s.n - 1] == '_')) s.n--;
    if (s.n && (k = store_named(s))) return k;
  }
  /* a store's name in a mount point: /mnt/pv/postgres, /srv/redis */
  if (mount && i > 0 && (k = store_named(w))) return k;
  /* MongoDB's default dbpath */
  if (abs && i == 1 && IEQ(c[0], "data") &&
      (IEQ(w, "db") || IEQ(w, "configdb")))
    return ST_MONGO + 1;
  /* files one store writes */
  switch (a0) {
    case 'p':
      if (IEQ(w, "pg_wal") || IEQ(w, "pg_xlog") || IEQ(w, "pg_xact") ||
          IEQ(w, "pg_clog") || IEQ(w, "pg_tblspc") || IEQ(w, "pg_version"))
        return ST_POSTGRES + 1;
      /* a persistent volume as local provisioners name it: pvc-<uid> */
      if (w.n >= 12 && ISTARTS(w, "pvc-")) return ST_K8S + 1;
      break;
    case 'i':
      if (ISTARTS(w, "ibdata") || ISTARTS(w, "ib_logfile")) return ST_MYSQL + 1;
      break;
    case '#':
      if (ISTARTS(w, "#innodb")) return ST_MYSQL + 1;
      break;
    case 'a':
      if (ISTARTS(w, "appendonly")) return ST_REDIS + 1;
      break;
    case 'k':
      if (IEQ(w, "kafka-logs") || IEQ(w, "kraft-combined-logs"))
        return ST_KAFKA + 1;
      break;
    case 'd':
    case 'c':
      if (has_next && ((IEQ(w, "docker") && IEQ(c[i + 1], "volumes")) ||
                       (IEQ(w, "containers") && IEQ(c[i + 1], "storage"))))
        return ST_CONTAINERS + 1;
      break;
    default:
      break;
  }
  if (dot && z == 'd' && IENDS(w, ".ibd")) return ST_MYSQL + 1;
  if (dot && ((z == 'b' && IENDS(w, ".rdb")) || (z == 'f' && IENDS(w, ".aof"))))
    return ST_REDIS + 1;
  if (dot && z == 'd' && w.n > 5 && IENDS(w, ".etcd")) return ST_ETCD + 1;
  /* backups: a dot, or backup at either end */
  if ((dot || a0 == 'b' || z == 'p' || z == 's') && backup_name(w))
    return ST_BACKUP + 1;
  if (dot && !has_next && sqlite_name(w)) return ST_SQLITE + 1;
  return 0;
}

/*
 * stores[] index + 1 of the data store whose files a path (a command's
 * operand, quotes taken off) names, 0 none. A trailing slash, or a slash
 * and a star, names the directory; `$PGDATA` is PostgreSQL's. URLs and
 * assignments are no paths.
 * @locality worker thread; reads the path only.
 */
static int store_of(sr_str path) {
  size_t n = path.n;
  if (n > 2 && path.p[n - 1] == '*' && path.p[n - 2] == '/') n -= 2;
  while (n > 1 && path.p[n - 1] == '/') n--;
  sr_str c[PATH_PARTS_MAX];
  size_t m = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    for (; j < n && path.p[j] != '/'; j++)
      if (path.p[j] == '=' ||
          (path.p[j] == ':' && j + 1 < n && path.p[j + 1] == '/'))
        return 0; /* an assignment, a URL */
    if (j > i && !(j == i + 1 && path.p[i] == '.')) {
      if (m == PATH_PARTS_MAX) return 0;
      c[m++] = (sr_str){path.p + i, j - i};
    }
    i = j + 1;
  }
  bool abs = path.p[0] == '/';
  if (m == 0 || (abs && IEQ(c[0], "dev"))) return 0;
  int k = 0;
  /* a store's own directory: /var/lib/mysql, /var/opt/mssql, Homebrew's
   * /usr/local/var/postgresql@16 */
  size_t r = 0;
  if (abs && m > 2 && IEQ(c[0], "var") &&
      (IEQ(c[1], "lib") || IEQ(c[1], "opt")))
    r = 2;
  if (abs && m > 3 && IEQ(c[2], "var") &&
      ((IEQ(c[0], "usr") && IEQ(c[1], "local")) ||
       (IEQ(c[0], "opt") && IEQ(c[1], "homebrew"))))
    r = 3;
  if (r) k = store_named(c[r]);
  bool mount =
      abs && (IEQ(c[0], "srv") || IEQ(c[0], "mnt") || IEQ(c[0], "data") ||
              IEQ(c[0], "volumes") || IEQ(c[0], "export"));
  for (size_t i = 0; i < m; i++) {
    if (disposable(c[i], i + 1 == m)) return 0;
    if (k) continue;
    if (i == 0 && c[0].p[0] == '$') { /* $PGDATA, ${PGDATA} */
      sr_str v = {c[0].p + 1, c[0].n - 1};
      if (v.n > 1 && v.p[0] == '{' && v.p[v.n - 1] == '}')
        v = (sr_str){v.p + 1, v.n - 2};
      if (EQ(v, "PGDATA")) k = ST_POSTGRES + 1;
      if (EQ(v, "ETCD_DATA_DIR")) k = ST_ETCD + 1;
      continue;
    }
    k = part_store(c, i, m, abs, mount);
  }
  return k;
}

/* The find_starts[] index of a starting point of `find` (with or without a
 * trailing slash, or slash and star), -1 for any other. */
static int find_start_of(sr_str w) {
  static const char *const sys[] = {"bin",   "boot",  "dev", "etc",  "lib",
                                    "lib32", "lib64", "opt", "sbin", "srv",
                                    "sys",   "usr",   "var"};
  if (w.n > 1 && w.p[w.n - 1] == '*' && w.p[w.n - 2] == '/') w.n--;
  if (w.n > 1 && w.p[w.n - 1] == '/') w.n--;
  if (EQ(w, "/")) return FIND_ROOT;
  if (EQ(w, "~") || EQ(w, "$HOME") || EQ(w, "${HOME}") || EQ(w, "/root"))
    return FIND_HOME;
  for (size_t k = 0; k < 2; k++) { /* /home/NAME, /Users/NAME */
    size_t len = k ? 7 : 6;
    if (w.n > len && memcmp(w.p, k ? "/Users/" : "/home/", len) == 0 &&
        !memchr(w.p + len, '/', w.n - len))
      return FIND_HOME;
  }
  for (size_t k = 0; w.n > 1 && w.p[0] == '/' && k < SR_ARRAY_LEN(sys); k++)
    if (w.n - 1 == strlen(sys[k]) && memcmp(w.p + 1, sys[k], w.n - 1) == 0)
      return FIND_SYSTEM;
  if (EQ(w, ".") || EQ(w, "*") || EQ(w, "..")) return FIND_CWD;
  return -1;
}

/* Whether a find test keeps some of what is under the starting points out
 * (-name x, -mtime +7, -user u, ...); 1 for the tests that take a pattern,
 * which keep nothing out when it is `*`. */
static int find_narrows(sr_str w) {
  static const char *const globs[] = {"-name",  "-iname",     "-path",
                                      "-ipath", "-wholename", "-iwholename"};
  static const char *const tests[] = {
      "-regex", "-iregex", "-lname", "-ilname",  "-mtime",  "-mmin",
      "-atime", "-amin",   "-ctime", "-cmin",    "-size",   "-empty",
      "-user",  "-group",  "-uid",   "-gid",     "-nouser", "-nogroup",
      "-perm",  "-links",  "-inum",  "-samefile"};
  for (size_t k = 0; k < SR_ARRAY_LEN(globs); k++)
    if (w.n == strlen(globs[k]) && memcmp(w.p, globs[k], w.n) == 0) return 1;
  for (size_t k = 0; k < SR_ARRAY_LEN(tests); k++)
    if (w.n == strlen(tests[k]) && memcmp(w.p, tests[k], w.n) == 0) return 2;
  return w.n > 6 && memcmp(w.p, "-newer", 6) == 0 ? 2 : 0;
}

/*
 * What a `find` deletes, read from its segment up to the -delete or -exec
 * rm that ends at raw[to - 1]: the worst find_starts[] index of its
 * starting points when no test narrows what it finds, else -1 (the
 * entry as it is: `find . -name '*.pyc' -delete` is housekeeping). For
 * FIND_DATASTORE, *path is the first store's starting point and *store
 * its stores[] index + 1.
 */
static int find_resolve(const struct sr_catalogue_scratch *s, size_t to,
                        struct span *path, uint8_t *store) {
  uint32_t k = seg_of(s, (uint32_t)to - 1);
  if (k == SEG_UNKNOWN) return -1;
  const char *t = s->raw;
  size_t i = k ? s->sep_pos[k - 1] + 1 : 0;
  sr_str w;
  do { /* up to the program: sudo find, /usr/bin/find */
    if (i >= to) return -1;
    w = token_at(t, &i, to);
  } while (!EQ(w, "find") &&
           !(w.n > 5 && memcmp(w.p + w.n - 5, "/find", 5) == 0));
  for (size_t j = i;; i = j) { /* options: -H -L -P -D debug -O3 */
    w = token_at(t, &j, to);
    if (w.n < 2 || w.p[0] != '-' || !strchr("HLPDO", w.p[1]) ||
        (w.n > 2 && w.p[1] != 'O'))
      break;
    if (EQ(w, "-D")) token_at(t, &j, to);
  }
  int worst = -1;
  for (size_t j = i; j < to; i = j) { /* starting points */
    w = token_at(t, &j, to);
    if (!w.n || w.p[0] == '-' || w.p[0] == '!') break;
    int v = find_start_of(w), st;
    if (v < 0 && (st = store_of(w))) {
      v = FIND_DATASTORE;
      if (!*store) {
        *store = (uint8_t)st;
        *path = (struct span){(uint32_t)(w.p - t), (uint32_t)(w.p - t + w.n)};
      }
    }
    if (v >= 0 && (worst < 0 || v < worst)) worst = v;
  }
  while (worst >= 0 && i < to) { /* the expression */
    w = token_at(t, &i, to);
    int narrows = find_narrows(w);
    if (narrows == 1) {
      sr_str g = token_at(t, &i, to);
      if (!EQ(g, "*")) return -1;
    } else if (narrows) {
      return -1;
    }
  }
  return worst;
}

/*
 * What `xargs` deletes, its \s ending at raw[to - 1]: when it starts a
 * segment piped from a `find` and runs rm (`find / -type f | xargs -0 rm
 * -f`), what find_resolve() says of that find, as a FIND_XARGS index; -1
 * for any other. *end is where the rm ends, *from where the find starts
 * (SEG_UNKNOWN when that is too far back to show); path and store as
 * find_resolve() sets them.
 */
static int xargs_resolve(const struct sr_catalogue_scratch *s, size_t to,
                         size_t *end, uint32_t *from, struct span *path,
                         uint8_t *store) {
  const char *t = s->raw;
  uint32_t k = seg_of(s, (uint32_t)to - 1);
  if (k == SEG_UNKNOWN || k == 0 || s->sep_kind[k - 1] != '|') return -1;
  size_t i = s->sep_pos[k - 1] + 1, e = seg_end(s, (uint32_t)to - 1);
  sr_str w = token_at(t, &i, e);
  if (EQ(w, "sudo")) w = token_at(t, &i, e);
  if (i != to - 1) return -1; /* this xargs runs the segment */
  /* its options, then the command it runs */
  do {
    w = token_at(t, &i, e);
    if (w.n == 2 && w.p[0] == '-' && strchr("InPLsdEa", w.p[1]))
      token_at(t, &i, e);
  } while (w.n && w.p[0] == '-');
  if (!EQ(w, "rm") && !(w.n > 3 && memcmp(w.p + w.n - 3, "/rm", 3) == 0))
    return -1;
  *end = i;
  *from = k > 1 ? s->sep_pos[k - 2] + 1 : 0;
  i = *from; /* the segment before runs find */
  w = token_at(t, &i, s->sep_pos[k - 1]);
  if (EQ(w, "sudo")) w = token_at(t, &i, s->sep_pos[k - 1]);
  if (!EQ(w, "find") && !(w.n > 5 && memcmp(w.p + w.n - 5, "/find", 5) == 0))
    return -1;
  int v = find_resolve(s, s->sep_pos[k - 1], path, store);
  if (v < 0) return -1;
  if (*end - *from > MATCHED_MAX) *from = SEG_UNKNOWN;
  return FIND_XARGS + v;
}

struct scan_ctx {
  struct sr_catalogue_scratch *s;
  const struct sr_catalogue *cat;
  enum db db;
};

static inline bool id_byte(unsigned char c) {
  return is_alnum(c) || c == '_' || c == '-' || c == '.';
}

/* What a match stands for: its entry, or the variant its resolver chose. */
struct props {
  const char *name;
  float severity;
  bool irreversible;
  const char *resource;
  const char *scope;
  uint8_t flags;
};

static struct props props_of(const struct sr_catalogue *cat,
                             const struct cand *c) {
  const struct entry *e = &cat->entries[c->entry];
  struct props p = {e->name,     e->severity, e->irreversible,
                    e->resource, e->scope,    e->flags};
  const struct variant *v = NULL;
  if (c->variant >= 0 && e->resolver == RESOLVE_K8S)
    v = c->variant < (int)SR_ARRAY_LEN(k8s_types)
            ? &k8s_types[c->variant]
            : &k8s_ops[c->variant - (int)SR_ARRAY_LEN(k8s_types)];
  if (c->variant >= 0 && e->resolver == RESOLVE_GIT) v = &git_ops[c->variant];
  if (c->variant >= 0 &&
      (e->resolver == RESOLVE_FIND || e->resolver == RESOLVE_XARGS))
    v = &find_starts[c->variant];
  if (c->variant >= 0 && e->resolver == RESOLVE_FILES)
    v = &store_ops[c->variant];
  if (v) {
    p = (struct props){v->name,     v->severity, v->irreversible,
                       v->resource, v->scope,    0};
  } else if (c->variant >= 0 && e->resolver == RESOLVE_NOUN) {
    const struct noun *nn = &nouns[c->variant];
    p = (struct props){nn->name,     nn->severity,     nn->irreversible,
                       nn->resource, nn->scope_delete, e->flags};
  }
  return p;
}

/* Adds a match, merging one of the same entry and variant in the same
 * segment; when full, keeps the worst. */
static void add_cand(struct sr_catalogue_scratch *s, struct cand *arr,
                     uint32_t *n, uint32_t cap, struct cand c) {
  for (uint32_t i = 0; i < *n; i++) {
    if (arr[i].entry == c.entry && arr[i].seg == c.seg &&
        arr[i].variant == c.variant && arr[i].store == c.store) {
      if (c.to > arr[i].to) arr[i].to = c.to;
      if (c.from < arr[i].from) arr[i].from = c.from;
      return;
    }
  }
  if (*n < cap) {
    arr[(*n)++] = c;
    return;
  }
  uint32_t low = 0;
  for (uint32_t i = 1; i < *n; i++)
    if (props_of(s->cat, &arr[i]).severity <
        props_of(s->cat, &arr[low]).severity)
      low = i;
  if (props_of(s->cat, &c).severity > props_of(s->cat, &arr[low]).severity)
    arr[low] = c;
}

/* A raw match of entry id ending at raw[to - 1]. */
static void add_raw_cand(struct sr_catalogue_scratch *s, uint32_t id,
                         size_t to) {
  struct cand m = {id, SEG_UNKNOWN, (uint32_t)to, 0, -1};
  m.seg = seg_of(s, m.to - 1);
  add_cand(s, s->cands, &s->n_cands, CANDS_MAX, m);
}

/* A raw match of mask id ending at raw[to - 1]. */
static void add_raw_mask(struct sr_catalogue_scratch *s, uint32_t id,
                         size_t to) {
  struct cand m = {id, (uint32_t)to - 1, (uint32_t)to, 0, -1};
  m.seg = seg_of(s, m.from);
  add_cand(s, s->masks, &s->n_masks, MASKS_MAX, m);
}

static void on_resource_id(struct sr_catalogue_scratch *s,
                           const struct sr_catalogue *cat, unsigned id,
                           unsigned long long to) {
  size_t len = cat->res[id & ~ID_RESOURCE].id.n;
  size_t f = (size_t)to - len;
  const unsigned char *raw = (const unsigned char *)s->raw;
  bool whole = (f == 0 || !id_byte(raw[f - 1])) &&
               (to >= s->raw_len || !id_byte(raw[to]));
  if (whole && (!s->res_found || f < s->res_from)) {
    s->res_found = (id & ~ID_RESOURCE) + 1;
    s->res_from = (uint32_t)f;
  }
}

/*
 * Whether a verb matched up to raw[to] can end a word of the word form:
 * a word ends before an upper-case letter, a byte that is not a letter,
 * digit or UTF-8 byte, or the end of the text. The word form also cuts a
 * token at TOKEN_MAX bytes, which can end a word anywhere: in a text that
 * long any verb counts.
 */
static bool verb_ends_word(const struct sr_catalogue_scratch *s, size_t to) {
  if (to >= s->raw_len || s->raw_len > TOKEN_MAX) return true;
  unsigned char c = (unsigned char)s->raw[to];
  return !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80);
}

/* Hyperscan's \w and \s (no UCP): ASCII only; \s includes \v. */
static inline bool hs_word(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_';
}
static inline bool hs_space(unsigned char c) {
  return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Whether the raw text can end a command separator at c: the alternatives
 * of ^[^\s{]+\s|"(?:command|cmd|script)"\s*:\s*"|&&|\|\||[;|(`"']|\\n|\$\(
 * (caseless). A quoted key, || and $( end in a byte of [;|(`"'], so they
 * add nothing; ^[^\s{]+\s is the first word of the text (the tool name)
 * and the blank after it. */
static bool cmd_sep_ends_at(const struct sr_catalogue_scratch *s, size_t c) {
  const unsigned char *t = (const unsigned char *)s->raw;
  if (c == 0) return false;
  unsigned char x = t[c - 1];
  if (x == ';' || x == '|' || x == '(' || x == '`' || x == '"' || x == '\'')
    return true;
  if (c >= 2 && ((t[c - 2] == '&' && x == '&') ||
                 (t[c - 2] == '\\' && (x | 0x20) == 'n')))
    return true;
  if (c < 2 || !hs_space(x)) return false;
  for (size_t i = 0; i + 1 < c; i++)
    if (hs_space(t[i]) || t[i] == '{') return false;
  return true;
}

/* Whether a command starts at raw[b], as the pattern
 * `SEP\s*(?:sudo\s)?` (SEP: cmd_sep_ends_at) ending at b says. */
static bool cmd_starts_at(const struct sr_catalogue_scratch *s, size_t b) {
  const unsigned char *t = (const unsigned char *)s->raw;
  for (int sudo = 0; sudo < 2; sudo++) {
    size_t c = b;
    if (sudo) {
      if (b < 5 || !hs_space(t[b - 1]) || (t[b - 5] | 0x20) != 's' ||
          (t[b - 4] | 0x20) != 'u' || (t[b - 3] | 0x20) != 'd' ||
          (t[b - 2] | 0x20) != 'o')
        return false;
      c = b - 5;
    }
    for (;; c--) { /* \s* before */
      if (cmd_sep_ends_at(s, c)) return true;
      if (c == 0 || !hs_space(t[c - 1])) break;
    }
  }
  return false;
}

/* Whether raw[i] starts lowercase word w (caseless), and where it ends. */
static bool word_at(const struct sr_catalogue_scratch *s, size_t i,
                    const char *w, size_t *end) {
  const unsigned char *t = (const unsigned char *)s->raw;
  size_t k = 0;
  while (w[k] && i + k < s->raw_len && (t[i + k] | 0x20) == w[k]) k++;
  *end = i + k;
  return !w[k];
}

/* Whether raw[i] reads (?:or\sreplace\s)?(?:unique\s)?(?:temp(?:orary)?\s)?
 * then one of the objects below and \b, as after `\bcreate\s`. No object
 * starts with or, unique or temp, so taking each optional part when it is
 * there is the only reading. */
static bool created_object(const struct sr_catalogue_scratch *s, size_t i) {
  static const char *const objects[] = {
      "table",     "index",    "view",      "database",
      "schema",    "function", "procedure", "trigger",
      "extension", "role",     "sequence",  "materialized view",
      "keyspace"};
  const unsigned char *t = (const unsigned char *)s->raw;
  size_t n = s->raw_len, j, k;
  if (word_at(s, i, "or", &j) && j < n && hs_space(t[j]) &&
      word_at(s, j + 1, "replace", &k) && k < n && hs_space(t[k]))
    i = k + 1;
  if (word_at(s, i, "unique", &j) && j < n && hs_space(t[j])) i = j + 1;
  if (word_at(s, i, "temp", &j)) {
    if (word_at(s, j, "orary", &k)) j = k;
    if (j < n && hs_space(t[j])) i = j + 1;
  }
  for (size_t o = 0; o < SR_ARRAY_LEN(objects); o++) {
    const char *w = objects[o];
    size_t at = i, sp = strcspn(w, " ");
    if (w[sp]) { /* materialized\sview */
      char head[16];
      memcpy(head, w, sp);
      head[sp] = '\0';
      if (!word_at(s, at, head, &j) || j >= n || !hs_space(t[j])) continue;
      at = j + 1;
      w += sp + 1;
    }
    if (word_at(s, at, w, &j) && (j == n || !hs_word(t[j]))) return true;
  }
  return false;
}

/* Whether the shell segment of raw[to - 1] names no DATABASE_URL, which
 * would say which database a Rails environment acts on. */
static bool own_database(const struct sr_catalogue_scratch *s, size_t to) {
  static const char url[] = "DATABASE_URL";
  uint32_t k = seg_of(s, (uint32_t)to - 1);
  if (k == SEG_UNKNOWN) return false;
  size_t a = k ? s->sep_pos[k - 1] + 1 : 0, b = seg_end(s, (uint32_t)to - 1);
  for (size_t i = a; i + sizeof url - 1 <= b; i++)
    if (memcmp(s->raw + i, url, sizeof url - 1) == 0) return false;
  return true;
}

/* Whether the raw text from `to` on matches what e->confirm stands for:
 * the rest of the pattern, as Hyperscan would have matched it (caseless). */
static bool confirmed(const struct sr_catalogue_scratch *s,
                      const struct entry *e, size_t to) {
  const unsigned char *t = (const unsigned char *)s->raw;
  size_t n = s->raw_len, i = to;
  switch ((enum confirm)e->confirm) {
    case CONFIRM_FROM: /* [^;]*\bfrom\b; to > 0 and raw[to - 1] is \s */
      for (; i + 4 <= n && t[i] != ';'; i++) {
        if ((t[i] | 0x20) == 'f' && (t[i + 1] | 0x20) == 'r' &&
            (t[i + 2] | 0x20) == 'o' && (t[i + 3] | 0x20) == 'm' &&
            !hs_word(t[i - 1]) && (i + 4 == n || !hs_word(t[i + 4])))
          return true;
      }
      return false;
    case CONFIRM_PAREN: /* \s?\w*\s?[({]: the classes are disjoint, so
                         * the greedy reading is the only one */
      if (i < n && hs_space(t[i])) i++;
      while (i < n && hs_word(t[i])) i++;
      if (i < n && hs_space(t[i])) i++;
      return i < n && (t[i] == '(' || t[i] == '{');
    case CONFIRM_CREATE:
      return created_object(s, to);
    case CONFIRM_OWN_DB:
      return own_database(s, to);
    case CONFIRM_CMD: /* one of e->programs ends at raw[to - 1], a \s */
      for (const char *w = e->programs; *w;) {
        size_t len = strcspn(w, "|"), b = to - 1 - len, k = 0;
        if (len < to) {
          while (k < len &&
                 (w[k] == ' ' ? hs_space(t[b + k]) : (t[b + k] | 0x20) == w[k]))
            k++;
          if (k == len && cmd_starts_at(s, b)) return true;
        }
        w += len + (w[len] == '|');
      }
      return false;
    default:
      return true;
  }
}

/* Whether raw[i] starts w[0, len) (letters caseless, ' ' for \s) and a
 * word ends there (\b); where. */
static bool word_then_b(const struct sr_catalogue_scratch *s, size_t i,
                        const char *w, size_t len, size_t *end) {
  const unsigned char *t = (const unsigned char *)s->raw;
  size_t n = s->raw_len;
  if (i + len > n) return false;
  for (size_t k = 0; k < len; k++) {
    unsigned char c = t[i + k];
    if (w[k] == ' ' ? !hs_space(c)
                    : (is_alpha((char)c) ? (c | 0x20) : c) != (unsigned char)w[k])
      return false;
  }
  *end = i + len;
  return *end == n || !hs_word(t[*end]);
}

/*
 * Whether one of e->after starts at raw[p] and \b follows (`state rm`);
 * adds a candidate where it ends, or with e->then, `[^;&|\n]*\s` then one
 * of e->then and \b, at every place one occurs (`-destroy`).
 */
static bool subcommand_at(struct sr_catalogue_scratch *s, uint32_t id,
                          const struct entry *e, size_t p) {
  const unsigned char *t = (const unsigned char *)s->raw;
  size_t n = s->raw_len, end, x;
  bool found = false;
  for (const char *w = e->after; *w;) {
    size_t len = strcspn(w, "|");
    if (word_then_b(s, p, w, len, &end)) {
      found = true;
      if (!e->then) add_raw_cand(s, id, end);
      for (size_t i = end; e->then && i < n; i++) {
        for (const char *v = e->then; hs_space(t[i]) && *v;) {
          size_t vl = strcspn(v, "|");
          if (word_then_b(s, i + 1, v, vl, &x)) add_raw_cand(s, id, x);
          v += vl + (v[vl] == '|');
        }
        if (t[i] == ';' || t[i] == '&' || t[i] == '|' || t[i] == '\n') break;
      }
    }
    w += len + (w[len] == '|');
  }
  return found;
}

/*
 * A CONFIRM_FLAGS program matched, its \s ending at raw[to - 1]: the
 * pattern went on with FL and a subcommand (subcommand_at: `terraform
 * -chdir=x state rm`). FL stops at the first word that is not `-\S+\s`,
 * where the subcommand must be (none starts with '-'), or the word after
 * it, which a flag before may take as its value (`pulumi -C infra
 * destroy`, `fly -a app destroy`).
 */
static void flags_then(struct sr_catalogue_scratch *s, uint32_t id,
                       const struct entry *e, size_t to) {
  const unsigned char *t = (const unsigned char *)s->raw;
  size_t n = s->raw_len, p = to;
  bool after_flag = false;
  for (;;) {
    size_t k = p + 1;
    if (p < n && t[p] == '-') {
      while (k < n && !hs_space(t[k])) k++;
      if (k == p + 1 || k >= n) return;
      p = k + 1;
      after_flag = true;
      continue;
    }
    if (subcommand_at(s, id, e, p) || !after_flag) return;
    for (k = p; k < n && !hs_space(t[k]); k++)
      if (t[k] == ';' || t[k] == '&' || t[k] == '|') return;
    if (k == p || k >= n) return;
    p = k + 1;
    after_flag = false;
  }
}

/* --- rm: flags and targets read in C ----------------------------------- */

/*
 * The ten `rm` entries after the hook, in table order, and the patterns
 * they stood for (but datastore, which was never one: any operand of an
 * rm that starts a command, whatever its flags, that store_of() reads as
 * a data store's files) (RM0 = `(?:^|[^\w./-])rm\s` FL, FL = `(?:-\S+\s)*`):
 *   RMRF = RM0 RFLAGS `\s*(?:[^\s;&|]+\s)*`, then per target, then END:
 *     root     `/\*?|--no-preserve-root`
 *     home     `~/?\*?|\$HOME/?\*?|\$\{HOME\}/?\*?|/home/[\w.-]+/?\*?|
 *              /Users/[\w.-]+/?\*?|/root/?\*?`
 *     system   `/(?:bin|boot|..|proc)/?\*?`
 *     cwd      `\.|\./\*?|\*|\.\.|\.\./\*?|\.\*`
 *     git      `(?:\./)?\.git/?`
 *     var      `"?\$\{?\w+\}?"?/\*?"?`: var_root, or var when the call
 *              first gave the variable a name (var_given; `"$HOME"/` is
 *              home)
 *   rm_rf        RM0 RFLAGS
 *   rm_recursive RM0 `(?:-[a-z]*r[a-z]*|--recursive)` END
 *   rm           RMC FL `[^\s;&|-]`, where RMC is rm\s where a command
 *                starts (rm_starts_command; env is left out: `vercel env rm
 *                KEY`)
 * RFLAGS: `-[a-z]*r[a-z]*f[a-z]*` or f before r, or an r flag (`--recursive`)
 * then \s FL then an f flag (`--force`), or f then r; then one of ENDX.
 * Every end at which Hyperscan would have reported a match is reported,
 * caseless. As patterns the flag and argument runs made Hyperscan run
 * automata over every command after an `rm` (~19,000 instructions a scan
 * for `rm -rf ./build ./dist`). Hyperscan now matches `rm\s` alone.
 */
enum rm_target {
  RM_ROOT = 0,
  RM_HOME,
  RM_SYSTEM,
  RM_DATASTORE,
  RM_CWD,
  RM_VAR_ROOT,
  RM_GIT,
  RM_VAR,
  RM_RF,
  RM_RECURSIVE,
  RM_SHELL,
};

struct rm_ctx {
  struct sr_catalogue_scratch *s;
  const unsigned char *t;
  size_t n;
  uint32_t entry; /* the hook's entry: RM_ROOT */
};

/* Whether raw[i] starts w: letters caseless, other bytes exactly. */
static bool lit_at(const struct rm_ctx *r, size_t i, const char *w) {
  for (; *w; w++, i++) {
    if (i >= r->n) return false;
    unsigned char c = r->t[i];
    if (is_alpha(c) ? (c | 0x20) != (unsigned char)*w : c != (unsigned char)*w)
      return false;
  }
  return true;
}

static void rm_cand(const struct rm_ctx *r, enum rm_target k, size_t to) {
  add_raw_cand(r->s, r->entry + k, to);
}

/* ENDX: [\s;&|"'`)\\] */
static inline bool is_endx(unsigned char c) {
  return hs_space(c) || c == ';' || c == '&' || c == '|' || c == '"' ||
         c == '\'' || c == '`' || c == ')' || c == '\\';
}

/* END at q: one of ENDX, or $ (the end, or before a final newline). */
static void rm_end(const struct rm_ctx *r, enum rm_target k, size_t q) {
  if (q == r->n || (q + 1 == r->n && r->t[q] == '\n')) rm_cand(r, k, q);
  if (q < r->n && is_endx(r->t[q])) rm_cand(r, k, q + 1);
}

/* `/?\*?` END from q */
static void rm_tail(const struct rm_ctx *r, enum rm_target k, size_t q) {
  const unsigned char *t = r->t;
  size_t n = r->n;
  rm_end(r, k, q);
  if (q < n && t[q] == '*') rm_end(r, k, q + 1);
  if (q < n && t[q] == '/') {
    rm_end(r, k, q + 1);
    if (q + 1 < n && t[q + 1] == '*') rm_end(r, k, q + 2);
  }
}

/*
 * Whether the call gives the variable named raw[w, w + len) a value before
 * raw[y] that cannot be empty: `NAME=` or `for NAME in`, then a word that
 * starts with a letter, a digit or _ (after a quote, `~/`, `/` or `./`).
 * An empty or a computed value (`NAME=`, `NAME=""`, `NAME=$(...)`, which
 * is empty when the command fails, as in Steam's installer) is none. Names
 * are compared as the shell does, case and all.
 */
static bool var_given(const struct rm_ctx *r, size_t w, size_t len, size_t y) {
  const unsigned char *t = r->t;
  size_t from = r->s->tool_len + 1;
  for (size_t i = from; i + len < y; i++) {
    /* raw[from - 1] is the blank after the tool name */
    if (memcmp(t + i, t + w, len) != 0 || hs_word(t[i - 1]) ||
        t[i - 1] == '$' || t[i - 1] == '{')
      continue;
    size_t v = i + len;
    if (t[v] == '=') {
      v++;
    } else if (i >= from + 4 && memcmp(t + i - 4, "for ", 4) == 0 &&
               v + 4 < y && memcmp(t + v, " in ", 4) == 0) {
      v += 4;
    } else {
      continue;
    }
    if (v < y && (t[v] == '"' || t[v] == '\'')) v++;
    if (v + 1 < y && (t[v] == '~' || t[v] == '.') && t[v + 1] == '/') v++;
    if (v < y && t[v] == '/') v++;
    if (v < y && hs_word(t[v])) return true;
  }
  return false;
}

/* The targets of RMRF starting at raw[y]. */
static void rm_targets(const struct rm_ctx *r, size_t y) {
  static const char *const sys[] = {"bin",   "boot",  "dev", "etc",  "lib",
                                    "lib32", "lib64", "opt", "sbin", "srv",
                                    "sys",   "usr",   "var", "proc"};
  static const char *const cwd[] = {".",  "./", "./*", "*",
                                    "..", "../", "../*", ".*"};
  static const char *const git[] = {".git", ".git/", "./.git", "./.git/"};
  const unsigned char *t = r->t;
  size_t n = r->n;
  if (y >= n) return;
  unsigned char c = t[y]; /* the targets start with / ~ - . * $ or " */
  if (c == '/') {
    rm_end(r, RM_ROOT, y + 1);
    if (y + 1 < n && t[y + 1] == '*') rm_end(r, RM_ROOT, y + 2);
    if (lit_at(r, y, "/root")) rm_tail(r, RM_HOME, y + 5);
    if (lit_at(r, y, "/home/") || lit_at(r, y, "/users/")) {
      size_t j = y + ((t[y + 1] | 0x20) == 'h' ? 6 : 7), k = j;
      while (k < n && (hs_word(t[k]) || t[k] == '.' || t[k] == '-')) k++;
      if (k > j) rm_tail(r, RM_HOME, k);
    }
    for (size_t i = 0; i < SR_ARRAY_LEN(sys); i++)
      if (lit_at(r, y + 1, sys[i]))
        rm_tail(r, RM_SYSTEM, y + 1 + strlen(sys[i]));
    return;
  }
  if (c == '~') rm_tail(r, RM_HOME, y + 1);
  if (c == '-' && lit_at(r, y, "--no-preserve-root"))
    rm_end(r, RM_ROOT, y + 18);
  if (c == '.' || c == '*')
    for (size_t i = 0; i < SR_ARRAY_LEN(cwd); i++)
      if ((unsigned char)cwd[i][0] == c && lit_at(r, y, cwd[i]))
        rm_end(r, RM_CWD, y + strlen(cwd[i]));
  if (c == '.')
    for (size_t i = 0; i < SR_ARRAY_LEN(git); i++)
      if (lit_at(r, y, git[i])) rm_end(r, RM_GIT, y + strlen(git[i]));
  if (c == '$' && lit_at(r, y, "$home")) rm_tail(r, RM_HOME, y + 5);
  if (c == '$' && lit_at(r, y, "${home}")) rm_tail(r, RM_HOME, y + 7);
  if (c != '$' && c != '"') return;
  /* "?\$\{?\w+\}?"?/ then \*?"? END: each optional part is taken when there
   * (what follows it cannot match otherwise), but the last two */
  size_t i = y + (c == '"');
  if (i >= n || t[i] != '$') return;
  i++;
  if (i < n && t[i] == '{') i++;
  size_t w = i;
  while (i < n && hs_word(t[i])) i++;
  if (i == w) return;
  size_t name = i - w;
  if (i < n && t[i] == '}') i++;
  if (i < n && t[i] == '"') i++;
  if (i >= n || t[i] != '/') return;
  i++;
  enum rm_target k = var_given(r, w, name, y) ? RM_VAR : RM_VAR_ROOT;
  if (name == 4 && lit_at(r, w, "home")) k = RM_HOME; /* "$HOME"/ */
  for (int star = 0; star < 2; star++) {
    if (star && !(i < n && t[i] == '*')) break;
    size_t p = i + (size_t)star;
    rm_end(r, k, p);
    if (p < n && t[p] == '"') rm_end(r, k, p + 1);
  }
}

/* After RFLAGS ended at e: rm_rf there, and `\s*(?:[^\s;&|]+\s)*` then
 * the targets. */
static void rm_after_flags(const struct rm_ctx *r, size_t e) {
  const unsigned char *t = r->t;
  size_t n = r->n;
  rm_cand(r, RM_RF, e);
  for (size_t x = e;; x++) {
    for (size_t y = x;;) {
      rm_targets(r, y);
      size_t k = y;
      while (k < n && !hs_space(t[k]) && t[k] != ';' && t[k] != '&' &&
             t[k] != '|')
        k++;
      if (k == y || k >= n || !hs_space(t[k])) break;
      y = k + 1;
    }
    if (x >= n || !hs_space(t[x])) break;
  }
}

/*
 * mask.rm_build after RM0 FL, at raw[x]: the pattern went on with
 * (?:ITEM)+(?:$|[;&|"')\\]), an ITEM being (?:\./)?(?:NAME|/tmp/[^\s;&|"']+|
 * \$TMPDIR/\**[^\s;&|"'*][^\s;&|"']*)/?\*?\s* with NAME one of build_names
 * (caseless).
 * A temp path may end anywhere in its run and the next item start there,
 * so the offsets where an item can end are marked in s->reach (always
 * ahead of the item) and read in order; every end is reported.
 */
static bool rm_run_byte(unsigned char c) {
  return !hs_space(c) && c != ';' && c != '&' && c != '|' && c != '"' &&
         c != '\'';
}

static void rm_mark(const struct rm_ctx *r, size_t z, size_t *hi) {
  const unsigned char *t = r->t;
  size_t n = r->n, ends[3], k = 0;
  ends[k++] = z;
  if (z < n && t[z] == '/') ends[k++] = ++z;
  if (z < n && t[z] == '*') ends[k++] = z + 1;
  for (size_t i = 0; i < k; i++) /* \s* */
    for (size_t w = ends[i];; w++) {
      r->s->reach[w / 64] |= 1ull << (w % 64);
      if (w > *hi) *hi = w;
      if (w >= n || !hs_space(t[w])) break;
    }
}

static void rm_items(const struct rm_ctx *r, size_t y, size_t *hi) {
  static const char *const build_names[] = {
      "node_modules", "dist", "build", "target", "out", "coverage", ".next",
      ".nuxt", ".turbo", ".cache", ".parcel-cache", ".pytest_cache",
      ".mypy_cache", ".ruff_cache", "__pycache__", ".venv", "venv", ".tox",
      ".gradle", ".terraform", "tmp", "package-lock.json", "yarn.lock",
      "pnpm-lock.yaml"};
  for (int dot = 0; dot < 2; dot++) {
    if (dot && !lit_at(r, y, "./")) break;
    size_t a = y + 2 * (size_t)dot;
    if (a + 1 >= r->n) break; /* every item has two bytes or more */
    unsigned char c0 = r->t[a], c1 = r->t[a + 1];
    c0 = is_alpha((char)c0) ? c0 | 0x20 : c0;
    c1 = is_alpha((char)c1) ? c1 | 0x20 : c1;
    for (size_t i = 0; i < SR_ARRAY_LEN(build_names); i++)
      if ((unsigned char)build_names[i][0] == c0 &&
          (unsigned char)build_names[i][1] == c1 &&
          lit_at(r, a, build_names[i]))
        rm_mark(r, a + strlen(build_names[i]), hi);
    if (c0 != '/' && c0 != '$') continue;
    bool tmp = lit_at(r, a, "/tmp/"), tmpdir = lit_at(r, a, "$tmpdir/");
    if (!tmp && !tmpdir) continue;
    /* `$TMPDIR/` alone, or with stars, is the root where TMPDIR is unset,
     * as in most Linux shells: no item until a name follows */
    size_t k = a + (tmp ? 5 : 8), named = k;
    while (tmpdir && named < r->n && r->t[named] == '*') named++;
    while (k < r->n && rm_run_byte(r->t[k]))
      if (++k > named) rm_mark(r, k, hi);
  }
}

static void rm_build(const struct rm_ctx *r, size_t x) {
  const unsigned char *t = r->t;
  size_t n = r->n, hi = x;
  rm_items(r, x, &hi);
  for (size_t y = x + 1; y <= hi; y++) {
    if (!(r->s->reach[y / 64] >> (y % 64) & 1)) continue;
    r->s->reach[y / 64] &= ~(1ull << (y % 64));
    if (y == n || (y + 1 == n && t[y] == '\n'))
      add_raw_mask(r->s, r->s->cat->e_rm_build, y);
    if (y < n && (t[y] == ';' || t[y] == '&' || t[y] == '|' || t[y] == '"' ||
                  t[y] == '\'' || t[y] == ')' || t[y] == '\\'))
      add_raw_mask(r->s, r->s->cat->e_rm_build, y + 1);
    rm_items(r, y, &hi);
  }
}

/* Whether `rm\s` at raw[b] follows
 * ^[^\s{]+\s|["';&|(`]\s*|\\n\s*|\b(?:sudo|doas|xargs|nohup|time|exec)\s(?:-\S+\s)*
 * (caseless): the first word of the text (the tool name), a separator or a
 * quote, an escaped newline, or a program that runs what follows. */
static bool rm_starts_command(const struct rm_ctx *r, size_t b) {
  static const char *const runners[] = {"sudo", "doas", "xargs",
                                        "nohup", "time", "exec"};
  const unsigned char *t = r->t;
  if (b >= 2 && hs_space(t[b - 1])) {
    size_t i = 0;
    while (i + 1 < b && !hs_space(t[i]) && t[i] != '{') i++;
    if (i + 1 == b) return true;
  }
  for (size_t c = b;; c--) {
    if (c >= 1 && t[c - 1] && strchr("\"';&|(`", t[c - 1])) return true;
    if (c >= 2 && t[c - 2] == '\\' && (t[c - 1] | 0x20) == 'n') return true;
    if (c == 0 || !hs_space(t[c - 1])) break;
  }
  /* a runner, \s, then tokens -\S+\s back to b */
  for (size_t x = b; x >= 1 && hs_space(t[x - 1]);) {
    for (size_t k = 0; k < SR_ARRAY_LEN(runners); k++) {
      size_t len = strlen(runners[k]);
      if (x - 1 < len) continue;
      size_t w = x - 1 - len;
      if (lit_at(r, w, runners[k]) && (w == 0 || !hs_word(t[w - 1])))
        return true;
    }
    size_t j = x - 1;
    while (j > 0 && !hs_space(t[j - 1])) j--;
    if (t[j] != '-' || x - 1 - j < 2) break;
    x = j;
  }
  return false;
}

/* RM_DATASTORE: the first operand from raw[p] to the end of the segment
 * that is a data store's files (store_of), flags skipped. */
static void rm_stores(const struct rm_ctx *r, size_t p) {
  struct sr_catalogue_scratch *s = r->s;
  if (p >= r->n) return;
  size_t end = seg_end(s, (uint32_t)p);
  for (size_t i = p; i < end;) {
    sr_str w = token_at(s->raw, &i, end);
    if (!w.n) return;
    int k = w.p[0] == '-' ? 0 : store_of(w);
    if (!k) continue;
    uint32_t from = (uint32_t)(w.p - s->raw);
    struct cand m = {
        r->entry + RM_DATASTORE, from, from + (uint32_t)w.n, 0, -1, (uint8_t)k};
    m.seg = seg_of(s, m.to - 1);
    add_cand(s, s->cands, &s->n_cands, CANDS_MAX, m);
    return;
  }
}

/*
 * An `rm` whose \s ends at raw[s0 - 1]: walks the flag run FL token by
 * token (a token `-\S+` and one \s; \S and \s are disjoint, so the run is
 * one chain of offsets) and, at each offset, what RFLAGS and rm_recursive
 * can end there; shell.rm ends after the first byte past the run.
 */
static void rm_read(struct sr_catalogue_scratch *s, uint32_t entry, size_t s0) {
  struct rm_ctx r = {s, (const unsigned char *)s->raw, s->raw_len, entry};
  const unsigned char *t = r.t;
  size_t n = r.n, b = s0 - 3, p = s0;
  bool rm0 = b == 0 || !(hs_word(t[b - 1]) || t[b - 1] == '.' ||
                         t[b - 1] == '/' || t[b - 1] == '-');
  bool seen_r = false, seen_f = false; /* an r (f) flag then \s before */
  for (; rm0 && p < n && t[p] == '-';) {
    size_t j = p + 1;
    bool has_r = false, has_f = false;
    for (; j < n && is_alpha((char)t[j]); j++) {
      has_r |= (t[j] | 0x20) == 'r';
      has_f |= (t[j] | 0x20) == 'f';
    }
    bool rec = lit_at(&r, p, "--recursive"), force = lit_at(&r, p, "--force");
    size_t wl = rec ? p + 11 : p + 7; /* end of the long flag */
    /* rm_recursive */
    if (has_r) rm_end(&r, RM_RECURSIVE, j);
    if (rec) rm_end(&r, RM_RECURSIVE, wl);
    /* RFLAGS ending in this token, then one of ENDX */
    if (j < n && is_endx(t[j]) &&
        ((has_r && has_f) || (seen_r && has_f) || (seen_f && has_r)))
      rm_after_flags(&r, j + 1);
    if ((rec || force) && wl < n && is_endx(t[wl]) &&
        (rec ? seen_f : seen_r))
      rm_after_flags(&r, wl + 1);
    if (j < n && hs_space(t[j])) {
      seen_r |= has_r;
      seen_f |= has_f;
    }
    if ((rec || force) && wl < n && hs_space(t[wl])) {
      seen_r |= rec;
      seen_f |= force;
    }
    /* the next token, if this one is `-\S+\s` */
    size_t k = p + 1;
    while (k < n && !hs_space(t[k])) k++;
    if (k == p + 1 || k >= n) break;
    p = k + 1;
  }
  if (rm0) rm_build(&r, p);
  if (!rm0) /* the same run for shell.rm */
    while (p < n && t[p] == '-') {
      size_t k = p + 1;
      while (k < n && !hs_space(t[k])) k++;
      if (k == p + 1 || k >= n) break;
      p = k + 1;
    }
  if (rm0 && rm_starts_command(&r, b)) rm_stores(&r, p);
  if (p < n && !hs_space(t[p]) && !(t[p] && strchr(";&|-", t[p])) &&
      rm_starts_command(&r, b))
    rm_cand(&r, RM_SHELL, p + 1);
}

/* --- other ways to destroy a data store's files ------------------------ */

/*
 * What `mv`, `shred` or `truncate` (the \s after its name ending at
 * raw[to - 1]) does to a data store: a store_ops[] index when it starts a
 * command and one of its files is a store's (for mv a store a server runs
 * on, among the sources: every operand but the last, unless -t names the
 * destination), with that path in *path and the store in *store; -1 for
 * any other, and for a truncate that only grows files (-s +1G).
 */
static int files_resolve(const struct sr_catalogue_scratch *s, size_t to,
                         struct span *path, uint8_t *store) {
  const char *t = s->raw;
  size_t b = to - 1, a = b;
  while (a > 0 && is_alpha(t[a - 1])) a--;
  sr_str prog = {t + a, b - a};
  int op = IEQ(prog, "mv")         ? STORE_MV
           : IEQ(prog, "shred")    ? STORE_SHRED
           : IEQ(prog, "truncate") ? STORE_TRUNCATE
                                   : -1;
  if (op < 0 || !cmd_starts_at(s, a)) return -1;
  /* flags whose value is the next word */
  const char *valued = op == STORE_MV ? "tS" : op == STORE_SHRED ? "ns" : "rs";
  size_t i = to, end = seg_end(s, (uint32_t)b);
  sr_str pending = {NULL, 0}; /* mv: the operand that may be the target */
  bool to_dir = false, grows = false;
  int k = 0;
  for (;;) {
    sr_str w = token_at(t, &i, end);
    if (!w.n) break;
    if (w.n > 1 && w.p[0] == '-') {
      bool size = EQ(w, "-s") || EQ(w, "--size");
      sr_str v = {NULL, 0};
      if ((w.n == 2 && strchr(valued, w.p[1])) || EQ(w, "--size"))
        v = token_at(t, &i, end);
      if (ISTARTS(w, "--size=")) {
        v = (sr_str){w.p + 7, w.n - 7};
        size = true;
      } else if (w.n > 2 && w.p[1] == 's') { /* -s0, -s+1G */
        v = (sr_str){w.p + 2, w.n - 2};
        size = true;
      }
      if (op == STORE_TRUNCATE && size && v.n)
        grows = v.p[0] == '+' || v.p[0] == '>';
      to_dir |= EQ(w, "-t") || ISTARTS(w, "--target-directory");
      continue;
    }
    if (op == STORE_MV) { /* the operand before this one is a source */
      sr_str src = pending;
      pending = w;
      w = src;
    }
    int kk = w.n ? store_of(w) : 0;
    if (!k && kk && (op != STORE_MV || stores[kk - 1].live)) {
      k = kk;
      *path = (struct span){(uint32_t)(w.p - t), (uint32_t)(w.p - t + w.n)};
    }
  }
  if (!k && to_dir && pending.n) { /* mv -t DIR SOURCE... */
    int kk = store_of(pending);
    if (kk && stores[kk - 1].live) {
      k = kk;
      *path = (struct span){(uint32_t)(pending.p - t),
                            (uint32_t)(pending.p - t + pending.n)};
    }
  }
  if (!k || grows) return -1;
  *store = (uint8_t)k;
  return op;
}

/*
 * A tool whose name deletes (mcp__filesystem__delete_file,
 * remove_directory), given a data store's files as a string of its
 * arguments: a STORE_TOOL_DELETE match on the first such path.
 */
static void tool_paths(struct sr_catalogue_scratch *s) {
  const char *t = s->raw;
  for (size_t i = s->tool_len + 1; i < s->raw_len; i++) {
    if (t[i] != '"') continue;
    const char *q = memchr(t + i + 1, '"', s->raw_len - i - 1);
    if (!q) return;
    size_t a = i + 1, b = (size_t)(q - t);
    int k = store_of((sr_str){t + a, b - a});
    if (k) {
      struct cand m = {s->cat->e_files,   (uint32_t)a, (uint32_t)b, 0,
                       STORE_TOOL_DELETE, (uint8_t)k};
      m.seg = seg_of(s, m.to - 1);
      add_cand(s, s->cands, &s->n_cands, CANDS_MAX, m);
      return;
    }
    i = b;
  }
}

/* A match on a data store's files: shown as their path. */
static void on_store(struct cand *m, struct span path, uint8_t store) {
  assert(store);
  m->from = path.from;
  m->to = path.to;
  m->store = store;
}

static int on_match(unsigned int id, unsigned long long from,
                    unsigned long long to, unsigned int flags, void *ctx) {
  struct scan_ctx *c = ctx;
  struct sr_catalogue_scratch *s = c->s;
  (void)flags;
  if (id & ID_RESOURCE) {
    on_resource_id(s, c->cat, id, to);
    return 0;
  }
  const struct entry *e = &c->cat->entries[id];
  switch (e->kind) {
    case K_DESTROY: {
      if (e->resolver == RESOLVE_RM) {
        rm_read(s, id, (size_t)to);
        break;
      }
      /* a match that ends in \s is the program of CONFIRM_FLAGS; other
       * alternatives of its pattern end in a word and stand as they are */
      if (e->confirm == CONFIRM_FLAGS &&
          hs_space((unsigned char)s->raw[to - 1])) {
        flags_then(s, id, e, (size_t)to);
        break;
      }
      struct cand m = {id, SEG_UNKNOWN, (uint32_t)to, 0, -1};
      struct span path = {0, 0};
      uint8_t store = 0;
      if (c->db == DB_WORDS) { /* back to the raw bytes */
        assert(to > from && to <= s->words_len);
        m.from = s->wpos[from];
        m.to = s->wpos[to - 1] + 1;
      } else if (e->resolver == RESOLVE_K8S || e->resolver == RESOLVE_GIT) {
        /* a command hook: its words decide, or nothing happened */
        size_t at = (size_t)to, end = seg_end(s, (uint32_t)to - 1);
        bool mention = false;
        m.variant = e->resolver == RESOLVE_K8S
                        ? k8s_resolve(c->cat, s->raw, &at, end)
                        : git_resolve(s->raw, &at, end, &mention);
        m.seg = seg_of(s, (uint32_t)to - 1);
        if (mention) {
          struct cand mk = {c->cat->e_vcs_message, (uint32_t)to - 1,
                            (uint32_t)to, m.seg, -1};
          add_cand(s, s->masks, &s->n_masks, MASKS_MAX, mk);
        }
        if (m.variant < 0) break;
        m.to = (uint32_t)at;
      } else if (e->resolver == RESOLVE_FIND) {
        m.variant = find_resolve(s, (size_t)to, &path, &store);
        if (m.variant == FIND_DATASTORE) on_store(&m, path, store);
      } else if (e->resolver == RESOLVE_XARGS) {
        size_t end = 0;
        m.variant = xargs_resolve(s, (size_t)to, &end, &m.from, &path, &store);
        if (m.variant < 0) break;
        m.to = (uint32_t)end;
        if (m.variant == FIND_XARGS + FIND_DATASTORE) on_store(&m, path, store);
      } else if (e->resolver == RESOLVE_FILES) {
        m.variant = files_resolve(s, (size_t)to, &path, &store);
        if (m.variant < 0) break;
        on_store(&m, path, store);
      }
      m.seg = seg_of(s, m.to - 1);
      add_cand(s, s->cands, &s->n_cands, CANDS_MAX, m);
      break;
    }
    case K_MASK: {
      if (e->confirm && !confirmed(s, e, (size_t)to)) break;
      if ((e->flags & F_DRY_RUN) && s->hint_verb < SR_VERB_READ)
        s->hint_verb = SR_VERB_READ;
      add_raw_mask(s, id, to);
      break;
    }
    case K_HINT:
      if (e->verb <= s->hint_verb && (!(e->flags & F_GRAPHQL) || s->graphql))
        break; /* nothing to add */
      if (e->confirm && !confirmed(s, e, (size_t)to)) break;
      if (e->verb > s->hint_verb) s->hint_verb = e->verb;
      if (e->flags & F_GRAPHQL) s->graphql = true;
      break;
    case K_PREFILTER:
      s->want_words = true;
      break;
    case K_VERB:
      if (verb_ends_word(s, (size_t)to)) s->want_words = true;
      break;
    default:
      assert(!"unknown entry kind");
  }
  return 0;
}

static void scan(const struct sr_catalogue *cat, struct sr_catalogue_scratch *s,
                 enum db db, const char *p, size_t n) {
  if (!cat->db[db] || n == 0) return;
  struct scan_ctx ctx = {s, cat, db};
  /* The callback never stops a scan: only a corrupt database or a scratch
   * shared between threads can fail it, and both are bugs. */
  hs_error_t rc =
      hs_scan(cat->db[db], p, (unsigned)n, 0, s->hs, on_match, &ctx);
  assert(rc == HS_SUCCESS);
  (void)rc;
}

/* --- the word rules ---------------------------------------------------- */

static const struct lex *lex_find(const struct sr_catalogue *cat, const char *p,
                                  size_t n) {
  if (n == 0 || n > 255) return NULL;
  uint32_t h = word_hash(p, n) & (LEX_SLOTS - 1);
  for (uint16_t k; (k = cat->lex_slots[h]); h = (h + 1) & (LEX_SLOTS - 1)) {
    const struct lex *l = &cat->lex[k - 1];
    if (l->n != n) continue;
    size_t i = 0;
    while (i < n && l->p[i] == p[i]) i++;
    if (i == n) return l;
  }
  return NULL;
}

/* The next word of s->words at or after *i: [*a, *b). */
static bool next_word(const struct sr_catalogue_scratch *s, size_t *i,
                      size_t end, size_t *a, size_t *b) {
  const char *w = s->words;
  size_t k = *i;
  while (k < end && w[k] == ' ') k++;
  if (k >= end) return false;
  *a = k;
  while (k < end && w[k] != ' ') k++;
  *b = *i = k;
  return true;
}

/* Whether a word may be one of del_words, reset_words or rm: their first
 * letters are d e n p r t w. Saves a lookup for most words. */
#define LETTER(c) (1u << ((c) - 'a'))
static inline bool may_destroy(char c) {
  static const uint32_t initials = LETTER('d') | LETTER('e') | LETTER('n') |
                                   LETTER('p') | LETTER('r') | LETTER('t') |
                                   LETTER('w');
  unsigned k = (unsigned char)c - 'a';
  return k < 26 && (initials >> k & 1u);
}
#undef LETTER

/* A word-rule match over words[a, b), placed on the raw bytes. */
static void add_word_cand(struct sr_catalogue_scratch *s, uint32_t entry,
                          int variant, size_t a, size_t b) {
  struct cand m = {entry, s->wpos[a], s->wpos[b - 1] + 1, 0, variant};
  m.seg = seg_of(s, m.to - 1);
  add_cand(s, s->cands, &s->n_cands, CANDS_MAX, m);
}

static bool is_database(int noun) {
  return noun >= 0 && strcmp(nouns[noun].resource, "database") == 0;
}

/* API names ending at words[b] with "delete": volume delete, volume
 * instance delete. */
static void api_names(const struct sr_catalogue *cat,
                      struct sr_catalogue_scratch *s, size_t b) {
  for (size_t k = 0; k < SR_ARRAY_LEN(api_deletes); k++) {
    for (const char *ph = api_deletes[k].pattern; *ph;) {
      size_t len = 0;
      while (ph[len] && ph[len] != '|') len++;
      if (b >= len && memcmp(s->words + b - len, ph, len) == 0 &&
          (b == len || s->words[b - len - 1] == ' '))
        add_word_cand(s, cat->e_api + (uint32_t)k, -1, b - len, b);
      ph += len + (ph[len] == '|');
    }
  }
}

/*
 * The built-in word rules: a destructive verb next to a resource noun, in
 * either order, with up to two between_words before the noun ("delete the
 * production volume", "volumes destroy", DeleteBucket,
 * mcp__github__delete_repository); a database reset ("reset the db",
 * "database wipe"); an API name that is a resource followed by Delete
 * (volumeDelete). Nouns without a severity (variables, issues) destroy
 * nothing. Plain C over the words: a Hyperscan pass here cost several
 * thousand instructions per verb hit, this costs a lookup per word.
 */
static void word_rules(const struct sr_catalogue *cat,
                       struct sr_catalogue_scratch *s) {
  size_t n = s->words_len, i = 0, a, b, pa = SIZE_MAX, pb = 0;
  while (next_word(s, &i, n, &a, &b)) {
    const struct lex *lx =
        may_destroy(s->words[a]) ? lex_find(cat, s->words + a, b - a) : NULL;
    if (lx && (lx->cls & (L_DEL | L_RM | L_RESET))) {
      const struct lex *prev =
          pa != SIZE_MAX ? lex_find(cat, s->words + pa, pb - pa) : NULL;
      if (prev && prev->noun >= 0) { /* noun verb */
        if ((lx->cls & (L_DEL | L_RM)) && nouns[prev->noun].severity > 0)
          add_word_cand(s, cat->e_generic, prev->noun, pa, b);
        if ((lx->cls & L_RESET) && is_database(prev->noun))
          add_word_cand(s, cat->e_reset, -1, pa, b);
      }
      if (b - a == 6 && memcmp(s->words + a, "delete", 6) == 0)
        api_names(cat, s, b);
      size_t j = i, c, d; /* verb [between [between]] noun */
      for (int k = 0; k < 3 && (lx->cls & (L_DEL | L_RESET)) &&
                      next_word(s, &j, n, &c, &d);
           k++) {
        const struct lex *nx = lex_find(cat, s->words + c, d - c);
        if (!nx) break;
        if (nx->noun >= 0) {
          if ((lx->cls & L_DEL) && nouns[nx->noun].severity > 0)
            add_word_cand(s, cat->e_generic, nx->noun, a, d);
          if ((lx->cls & L_RESET) && is_database(nx->noun))
            add_word_cand(s, cat->e_reset, -1, a, d);
          break;
        }
        if (!(nx->cls & L_BETWEEN)) break;
      }
    }
    pa = a;
    pb = b;
  }
}

/* The tool name's words: its verbs (mcp__github__create_issue writes) and
 * its last noun, the head of a compound (customDomainCreate -> domain). */
static void name_words(const struct sr_catalogue *cat,
                       struct sr_catalogue_scratch *s) {
  size_t i = 0, a, b;
  while (next_word(s, &i, s->tool_words_end, &a, &b)) {
    const struct lex *lx = lex_find(cat, s->words + a, b - a);
    if (!lx) continue;
    uint8_t v = lx->cls & L_DELNAME ? SR_VERB_DELETE
                : lx->cls & L_WRITE ? SR_VERB_WRITE
                : lx->cls & L_READ  ? SR_VERB_READ
                                    : SR_VERB_NONE;
    if (v > s->name_verb) s->name_verb = v;
    if (lx->noun >= 0) s->noun_tool = lx->noun;
  }
}

/* The first noun of a GraphQL document (mutation { customDomainCreate }). */
static void args_noun(const struct sr_catalogue *cat,
                      struct sr_catalogue_scratch *s) {
  size_t i = s->tool_words_end, a, b;
  while (s->noun_args < 0 && next_word(s, &i, s->words_len, &a, &b)) {
    const struct lex *lx = lex_find(cat, s->words + a, b - a);
    if (lx && lx->noun >= 0) s->noun_args = lx->noun;
  }
}

/* ---------------------------------------------------------------------- */
/* Classification: the shell classifier                                     */
/* ---------------------------------------------------------------------- */

/* P_* of a program name, 0 when unknown. */
static unsigned prog_flags(const struct sr_catalogue *cat, sr_str name) {
  const struct lex *l = lex_find(cat, name.p, name.n);
  return l ? l->prog : 0;
}

/* Verb of a subcommand word: `status`, `GET` (redis-cli), `config:set`
 * (its last part), `describe-instances` (its verb part). */
static uint8_t sub_verb(const struct sr_catalogue *cat, sr_str w) {
  for (size_t i = w.n; i > 0; i--) {
    if (w.p[i - 1] == ':') {
      w = (sr_str){w.p + i, w.n - i};
      break;
    }
  }
  const struct lex *l = lex_find_raw(cat, w.p, w.n);
  if (l && l->sub) return l->sub;
  const char *dash = memchr(w.p, '-', w.n);
  if (!dash) return SR_VERB_NONE;
  l = lex_find_raw(cat, w.p, (size_t)(dash - w.p));
  return l ? l->sub : SR_VERB_NONE;
}

/* An npm/yarn script's name, `db:migrate` or `deploy:prod`: its strongest
 * verb among the parts between colons. */
static uint8_t script_verb(const struct sr_catalogue *cat, sr_str w) {
  uint8_t best = SR_VERB_NONE;
  while (w.n) {
    const char *colon = memchr(w.p, ':', w.n);
    size_t n = colon ? (size_t)(colon - w.p) : w.n;
    uint8_t v = n ? sub_verb(cat, (sr_str){w.p, n}) : SR_VERB_NONE;
    if (v > best) best = v;
    w = colon ? (sr_str){colon + 1, w.n - n - 1} : (sr_str){w.p + n, 0};
  }
  return best;
}

/* The last part of a path: /usr/bin/python3 -> python3. */
static sr_str basename_of(sr_str w) {
  const char *slash = memrchr(w.p, '/', w.n);
  return slash ? (sr_str){slash + 1, w.n - (size_t)(slash + 1 - w.p)} : w;
}

/* Words before the program that do not change what it does. */
static bool is_prefix_word(sr_str w) {
  return EQ(w, "sudo") || EQ(w, "doas") || EQ(w, "env") || EQ(w, "time") ||
         EQ(w, "nohup") || EQ(w, "exec") || EQ(w, "xargs") ||
         EQ(w, "command") || EQ(w, "nice") || EQ(w, "stdbuf") ||
         EQ(w, "builtin");
}

/* A token that sends a request body or a writing method (curl, gh api). */
static bool writes_http(sr_str w, unsigned flags) {
  if (EQ(w, "POST") || EQ(w, "PUT") || EQ(w, "PATCH")) return true;
  if ((flags & P_HTTP) &&
      (EQ(w, "-d") || EQ(w, "-F") || EQ(w, "-T") || EQ(w, "--json") ||
       EQ(w, "--form") || EQ(w, "--upload-file") ||
       (w.n >= 6 && memcmp(w.p, "--data", 6) == 0) ||
       (w.n >= 11 && memcmp(w.p, "--post-data", 11) == 0) ||
       (w.n > 4 && memcmp(w.p, "-XP", 3) == 0)))
    return true;
  return (flags & P_FIELDS) &&
         (EQ(w, "-f") || EQ(w, "-F") || EQ(w, "--field") ||
          EQ(w, "--raw-field") || EQ(w, "--input"));
}

/* A database client's words from t[i..b) that make it run a script file
 * (psql -f x.sql, mysql shop < x.sql, sqlite3 app.db ".read x.sql",
 * mongosh --file seed.js): its statements are not in the text, so they may
 * write. A file is known by its extension; `<` alone is no sign, as SQL
 * compares with it. mysql's -f is --force: read as a script all the same. */
static bool runs_script(const char *t, size_t i, size_t b) {
  for (int k = 0; k < 32; k++) {
    sr_str w = token_at(t, &i, b);
    if (!w.n) return false;
    if (EQ(w, "-f") || EQ(w, "--file") || EQ(w, ".read") || EQ(w, "source") ||
        (w.n > 7 && memcmp(w.p, "--file=", 7) == 0) ||
        (w.n >= 14 && memcmp(w.p, "--queries-file", 14) == 0))
      return true;
    if ((w.n > 4 && (memcmp(w.p + w.n - 4, ".sql", 4) == 0 ||
                     memcmp(w.p + w.n - 4, ".cql", 4) == 0)) ||
        (w.n > 3 && memcmp(w.p + w.n - 3, ".js", 3) == 0))
      return true;
  }
  return false;
}

/* Read or write, as far as the first words of one command segment say. */
static uint8_t classify_segment(const struct sr_catalogue *cat, const char *t,
                                size_t a, size_t b) {
  size_t i = a;
  sr_str w = token_at(t, &i, b);
  /* sudo -u x, env A=1, time ...: look past them */
  for (int k = 0; k < 8 && w.n; k++) {
    bool assign = memchr(w.p, '=', w.n) && w.p[0] != '-';
    if (!is_prefix_word(w) && !assign && !(k && w.p[0] == '-')) break;
    w = token_at(t, &i, b);
  }
  if (!w.n) return SR_VERB_NONE;
  unsigned flags = prog_flags(cat, basename_of(w));
  /* python manage.py, php artisan: the script is the program */
  if (flags & P_INTERP) {
    do w = token_at(t, &i, b);
    while (w.n && w.p[0] == '-');
    flags = w.n ? prog_flags(cat, basename_of(w)) & ~P_INTERP : 0;
  }
  if (!flags) return SR_VERB_NONE;
  if (flags & P_SQLCLI)
    return runs_script(t, i, b) ? SR_VERB_WRITE : SR_VERB_NONE;
  if (flags & P_READ) return SR_VERB_READ;
  if (flags & P_WRITE) return SR_VERB_WRITE;
  uint8_t v = flags & P_CLI ? SR_VERB_NONE : SR_VERB_READ;
  int positional = 0;
  for (int k = 0; k < 12; k++) {
    w = token_at(t, &i, b);
    if (!w.n) break;
    if (flags & P_INPLACE) { /* sed -i, sed -i.bak, perl -pi */
      if (w.n <= 6 && w.p[0] == '-' && w.p[1] != '-' && memchr(w.p, 'i', w.n))
        return SR_VERB_WRITE;
      continue;
    }
    if (writes_http(w, flags)) return SR_VERB_WRITE;
    if (w.p[0] == '-' || (flags & P_HTTP)) continue;
    /* the subcommand is among the first words: aws s3 ls, gcloud compute
     * instances list; later ones are arguments (docker build -t api) */
    if (++positional > 3) break;
    /* docker run starts something; npm/yarn/uv run a script whose name is
     * all we see of it: `npm run db:migrate` writes, `npm run test` says
     * nothing */
    if (EQ(w, "run")) {
      if (flags & P_RUN) return SR_VERB_WRITE;
      w = token_at(t, &i, b);
      uint8_t sv = w.n ? script_verb(cat, w) : SR_VERB_NONE;
      return sv ? sv : v;
    }
    if ((flags & P_FIELDS) && positional == 1 && EQ(w, "api")) {
      v = SR_VERB_READ; /* gh api: a GET unless -X or -f says more */
      continue;
    }
    /* a group word lets the next word decide (`kubectl rollout status` and
     * `history` read, `restart` and `undo` write), and is a write if no
     * verb follows */
    if (EQ(w, "rollout")) {
      v = SR_VERB_WRITE;
      continue;
    }
    /* the first verb decides: in `kubectl logs checkout-5c9d` the pod
     * name is no git checkout */
    uint8_t sv = sub_verb(cat, w);
    if (sv) return sv;
  }
  return v;
}

/* The strongest verb of all command segments. */
static uint8_t classify_commands(const struct sr_catalogue *cat,
                                 const struct sr_catalogue_scratch *s) {
  uint8_t v = s->redirect ? SR_VERB_WRITE : SR_VERB_NONE;
  for (uint32_t c = 0; c < s->n_cmds && v < SR_VERB_WRITE; c++) {
    struct span sp = s->cmds[c];
    uint32_t start = sp.from, k = seg_of(s, sp.from);
    if (k == SEG_UNKNOWN) k = s->n_seps;
    for (;; k++) {
      uint32_t end =
          k < s->n_seps && s->sep_pos[k] < sp.to ? s->sep_pos[k] : sp.to;
      uint8_t sv = classify_segment(cat, s->raw, start, end);
      if (sv > v) v = sv;
      if (end == sp.to || v == SR_VERB_WRITE) break;
      start = end + 1;
    }
  }
  return v;
}

/* ---------------------------------------------------------------------- */
/* Classification: resolving                                                */
/* ---------------------------------------------------------------------- */

/* Severity of candidate c after the masks of its segment; *mention when one
 * says the command is only mentioned. */
static float damped(const struct sr_catalogue_scratch *s, const struct cand *c,
                    const struct props *p, bool *masked, bool *mention) {
  float sev = p->severity;
  if (c->seg == SEG_UNKNOWN) return sev;
  for (uint32_t i = 0; i < s->n_masks; i++) {
    const struct cand *m = &s->masks[i];
    const struct entry *me = &s->cat->entries[m->entry];
    if (m->seg != c->seg) continue;
    if (me->applies && strncmp(p->name, me->applies, me->applies_len)) continue;
    if ((me->flags & F_NO_PIPE) && m->seg < s->n_seps &&
        s->sep_kind[m->seg] == '|')
      continue; /* echo "DROP TABLE t" | psql runs it */
    sev *= me->severity;
    *masked = true;
    if (me->flags & F_MENTION) *mention = true;
  }
  return sev;
}

/* Resource of an HTTP-style deletion: the last noun of the first URL or
 * absolute path within 512 bytes of the match. */
static int noun_of_url(const struct sr_catalogue_scratch *s, uint32_t at) {
  size_t hi = SR_MIN(s->raw_len, (size_t)at + 512);
  size_t lo = at > s->tool_len + 512 ? at - 512 : s->tool_len;
  const char *t = s->raw;
  for (size_t i = lo; i + 1 < hi; i++) {
    bool url = i + 3 < hi && memcmp(t + i, "://", 3) == 0;
    bool path = t[i] == '/' && i > 0 &&
                (t[i - 1] == ' ' || t[i - 1] == '"' || t[i - 1] == '\'');
    if (!url && !path) continue;
    size_t a = url ? i + 3 : i, b = a;
    while (b < hi && !is_blank(t[b]) && t[b] != '"' && t[b] != '\'' &&
           t[b] != '?')
      b++;
    int k = noun_in(s->cat, t + a, b - a);
    if (k >= 0) return k;
    i = b;
  }
  return -1;
}

/* What to show of a match: word matches are exact; a raw match shows its
 * segment up to the match end (at most MATCHED_MAX bytes). Quotes, braces
 * and blanks around it are trimmed. Returns raw offsets. */
static struct span shown(const struct sr_catalogue_scratch *s,
                         const struct cand *c) {
  uint32_t from = c->from, to = c->to;
  if (from == SEG_UNKNOWN) {
    from = c->seg != SEG_UNKNOWN && c->seg > 0 ? s->sep_pos[c->seg - 1] + 1 : 0;
    if (to > s->tool_len + 1 && from <= s->tool_len)
      from = (uint32_t)s->tool_len + 1;
    if (to - from > MATCHED_MAX) {
      from = to - MATCHED_MAX;
      for (uint32_t k = 0; k < 16 && from < to; k++)
        if (is_blank(s->raw[from++])) break;
    }
  }
  static const char lead[] = " \t\n\"'`{;&|(\\";
  static const char trail[] = " \t\n\"'`};&|\\,";
  while (from < to && strchr(lead, s->raw[from])) from++;
  while (to > from && strchr(trail, s->raw[to - 1])) to--;
  return (struct span){from, to};
}

/* A view of raw[sp): into the event when its bytes are there at the same
 * offset (tool names always; arguments until the copy unescaped or
 * collapsed something), else into the scratch. */
static sr_str view(const struct sr_catalogue_scratch *s,
                   const struct sr_event *ev, struct span sp) {
  size_t n = sp.to - sp.from;
  if (sp.to <= s->tool_len) return (sr_str){ev->tool.p + sp.from, n};
  if (sp.from > s->tool_len) {
    size_t off = sp.from - s->tool_len - 1;
    if (off + n <= ev->arguments.n &&
        memcmp(ev->arguments.p + off, s->raw + sp.from, n) == 0)
      return (sr_str){ev->arguments.p + off, n};
  }
  return (sr_str){s->raw + sp.from, n};
}

static const struct fixed_tool *fixed_tool_of(const struct sr_catalogue *cat,
                                              sr_str tool) {
  if (tool.n == 0 || tool.n >= 32 ||
      !(cat->fixed_lens[(unsigned char)tool.p[0] & 127] >> tool.n & 1))
    return NULL;
  for (size_t i = 0; i < SR_ARRAY_LEN(fixed_tools); i++) {
    const struct fixed_tool *f = &fixed_tools[i];
    if (f->len == tool.n && f->name[0] == tool.p[0] &&
        memcmp(f->name, tool.p, tool.n) == 0)
      return f;
  }
  return NULL;
}

/*
 * A tool whose own name says what it does with its arguments, and it is not
 * running them: `mcp__github__get_file_contents`, `railway.listVolumes` only
 * read; `mcp__github__create_issue`, `slack.postMessage` carry text. A pull
 * request that quotes `rm -rf /` deletes nothing. Tools named by a generic
 * verb (`mcp__db__query`, `execute_sql`, `run_command`) are scanned.
 */
static bool args_are_data(const struct sr_catalogue *cat, sr_str tool) {
  size_t a = 0;
  for (size_t i = 0; i + 1 < tool.n; i++) {
    if (tool.p[i] == '_' && tool.p[i + 1] == '_')
      a = i + 2;
    else if (tool.p[i] == '.')
      a = i + 1;
  }
  if (a >= tool.n) return false;
  char first = (char)(tool.p[a] | 0x20);
  unsigned k0 = (unsigned char)first - 'a';
  if (k0 >= 26 || !(cat->data_initials >> k0 & 1u)) return false;
  for (size_t k = 0; k < SR_ARRAY_LEN(data_verbs); k++) {
    const char *v = data_verbs[k];
    if (v[0] != first) continue;
    size_t n = strlen(v);
    if (tool.n - a > n && sr_str_eq_nocase((sr_str){tool.p + a, n}, v)) {
      unsigned char next = (unsigned char)tool.p[a + n];
      if (next == '_' || next == '-' || is_upper(next)) return true;
    }
  }
  return false;
}

static const char *scope_for(int noun, enum sr_verb v) {
  if (noun < 0) return NULL;
  switch (v) {
    case SR_VERB_READ:
      return nouns[noun].scope_read;
    case SR_VERB_WRITE:
      return nouns[noun].scope_write;
    case SR_VERB_DELETE:
      return nouns[noun].scope_delete;
    default:
      return NULL;
  }
}

/* Environment, target, backups: the event first, then the inventory
 * (`found`, an inventory id that the arguments named at `found_id`). */
static void fill_target(const struct sr_catalogue *cat,
                        const struct sr_event *ev,
                        const struct resource *found, sr_str found_id,
                        struct sr_op *op) {
  const struct resource *r = NULL;
  if (!sr_str_empty(ev->target.id)) {
    op->target_id = ev->target.id;
    uint32_t k =
        index_find(&cat->res_index, ev->target.id, res_id_at, cat->res);
    if (k) r = &cat->res[k - 1];
  } else if (found) {
    r = found;
    op->target_id = found_id;
  }
  op->environment = sr_env_canonical(ev->environment);
  if (sr_str_empty(op->environment))
    op->environment = sr_env_canonical(ev->target.environment);
  if (sr_str_empty(op->environment) && r) op->environment = r->environment;
  op->backups = ev->target.backups;
  if (op->backups == SR_BACKUPS_UNKNOWN && r) op->backups = r->backups;
}

/* The inline credential, completed by the registry. */
static void fill_credential(const struct sr_catalogue *cat,
                            struct sr_catalogue_scratch *s,
                            const struct sr_event *ev, struct sr_op *op) {
  const struct sr_credential_ref *ref = &ev->credential;
  struct sr_credential *c = &op->credential;
  if (sr_str_empty(ref->id)) return;
  c->id = ref->id;
  c->purpose = ref->purpose;
  if (ref->scopes_given) {
    c->scopes = ref->scopes.v;
    c->n_scopes = SR_MIN(ref->scopes.n, (uint32_t)SR_LIST_MAX);
    c->known = true;
  }
  uint32_t ne = SR_MIN(ref->environments.n, (uint32_t)SR_LIST_MAX);
  for (uint32_t i = 0; i < ne; i++)
    s->envs[i] = sr_env_canonical(ref->environments.v[i]);
  if (ne) {
    c->environments = s->envs;
    c->n_environments = ne;
  }
  uint32_t k = index_find(&cat->cred_index, ref->id, cred_id_at, cat->creds);
  if (!k) return;
  const struct cred *r = &cat->creds[k - 1];
  if (sr_str_empty(c->purpose)) c->purpose = r->purpose;
  if (!ref->scopes_given && r->scopes_set) {
    c->scopes = r->scopes;
    c->n_scopes = r->n_scopes;
    c->known = true;
  }
  if (!c->n_environments && r->n_envs) {
    c->environments = r->envs;
    c->n_environments = r->n_envs;
  }
}

static void reset_call(struct sr_catalogue_scratch *s) {
  s->n_cands = s->n_masks = 0;
  s->hint_verb = s->name_verb = SR_VERB_NONE;
  s->graphql = s->want_words = s->redirect = false;
  s->noun_tool = s->noun_args = -1;
  s->res_found = s->res_from = 0;
  s->n_seps = s->n_cmds = 0;
  s->seps_overflow = false;
  s->raw_len = s->tool_len = s->words_len = s->tool_words_end = 0;
}

/* The worst match after masks. A catch-all gives way to a specific entry
 * matched in the same segment (`kubectl delete` to `kubectl delete pod`,
 * "delete db" to `aws rds delete-db-snapshot`), whatever their severities. */
static const struct cand *worst(const struct sr_catalogue_scratch *s,
                                struct props *out, float *sev_out,
                                bool *masked_out, bool *mention_out) {
  const struct cand *best = NULL;
  float best_sev = 0;
  for (uint32_t i = 0; i < s->n_cands; i++) {
    const struct cand *c = &s->cands[i];
    struct props p = props_of(s->cat, c);
    if ((p.flags & F_FALLBACK) && c->seg != SEG_UNKNOWN) {
      bool shadowed = false;
      for (uint32_t j = 0; j < s->n_cands && !shadowed; j++)
        shadowed = s->cands[j].seg == c->seg &&
                   !(props_of(s->cat, &s->cands[j]).flags & F_FALLBACK);
      if (shadowed) continue;
    }
    bool masked = false, mention = false;
    float sev = damped(s, c, &p, &masked, &mention);
    if (sev > best_sev ||
        (sev == best_sev && best && sev > 0 &&
         (c->entry < best->entry ||
          (c->entry == best->entry && c->variant < best->variant)))) {
      best = c;
      best_sev = sev;
      *out = p;
      *masked_out = masked;
      *mention_out = mention;
    }
  }
  *sev_out = best_sev;
  return best;
}

/*
 * What a tool name says: whether its arguments are data, the word form of
 * the name (at the start of raw), its verb and noun. They depend on the
 * name's bytes alone, and a worker sees a handful of tools with ever new
 * arguments, so the scratch keeps the last NAMES_KEPT names read (round
 * robin): kept_name finds one, tool_name copies it back or reads and keeps
 * the name.
 */
static const struct name_form *kept_name(const struct sr_catalogue_scratch *s,
                                         sr_str tool) {
  for (size_t k = 0; k < NAMES_KEPT; k++) {
    const struct name_form *f = &s->names[k];
    if (f->n && f->n == tool.n && memcmp(f->name, tool.p, tool.n) == 0)
      return f;
  }
  return NULL;
}

static void tool_name(const struct sr_catalogue *cat,
                      struct sr_catalogue_scratch *s,
                      const struct name_form *kept, bool args_data) {
  if (kept) {
    memcpy(s->words, kept->words, kept->words_len);
    memcpy(s->wpos, kept->wpos, kept->words_len * sizeof(*s->wpos));
    s->words_len = s->tool_words_end = kept->words_len;
    s->name_verb = kept->name_verb;
    s->noun_tool = kept->noun_tool;
    return;
  }
  size_t n = s->tool_len;
  normalise(s, 0, n, false);
  s->tool_words_end = s->words_len;
  name_words(cat, s);
  struct name_form *f = &s->names[s->names_next];
  if (n == 0 || n > NAME_KEEP_MAX || s->words_len > sizeof(f->words)) return;
  s->names_next = (s->names_next + 1) % NAMES_KEPT;
  f->n = (uint32_t)n;
  memcpy(f->name, s->raw, n);
  f->words_len = (uint32_t)s->words_len;
  memcpy(f->words, s->words, s->words_len);
  memcpy(f->wpos, s->wpos, s->words_len * sizeof(*s->wpos));
  f->name_verb = s->name_verb;
  f->noun_tool = (int8_t)s->noun_tool;
  f->args_data = args_data;
}

/* What the tool name and arguments decide: verb, destructive match,
 * resource, needed scope; s->res_found for an inventory id named. */
static void classify_text(const struct sr_catalogue *cat,
                          struct sr_catalogue_scratch *s,
                          const struct sr_event *ev, struct sr_op *op) {
  reset_call(s);
  const struct name_form *kept = kept_name(s, ev->tool);
  bool args_data = kept ? kept->args_data : args_are_data(cat, ev->tool);
  prepare(s, ev, !args_data);
  s->want_words = cat->words_always;
  scan(cat, s, DB_RAW, s->raw, s->raw_len);
  tool_name(cat, s, kept, args_data);
  if (s->name_verb == SR_VERB_DELETE && !args_data) tool_paths(s);
  if (s->want_words) {
    normalise(s, s->tool_len, s->raw_len, false);
    word_rules(cat, s);
    scan(cat, s, DB_WORDS, s->words, s->words_len);
    if (s->graphql) args_noun(cat, s);
  } else if (s->graphql) {
    /* only the first noun is wanted: the word form stops there */
    normalise(s, s->tool_len, s->raw_len, true);
  }

  struct props p = {0};
  float sev = 0;
  bool masked = false, mention = false;
  const struct cand *best = worst(s, &p, &sev, &masked, &mention);
  int noun =
      s->noun_tool >= 0 ? s->noun_tool : (s->graphql ? s->noun_args : -1);
  if (best && sev > 0) {
    op->destructive = sev;
    op->irreversible = p.irreversible && !masked;
    op->rule = p.name;
    struct span sp = shown(s, best);
    op->matched = view(s, ev, sp);
    if (p.resource == RES_DERIVE) {
      int k = noun_of_url(s, best->to);
      if (k < 0) k = noun_in(cat, s->raw + sp.from, sp.to - sp.from);
      if (k < 0) k = noun;
      if (k >= 0 && !masked && nouns[k].severity > op->destructive)
        op->destructive = nouns[k].severity;
      op->resource = k >= 0 ? nouns[k].resource : NULL;
      op->needed_scope = scope_for(k, SR_VERB_DELETE);
    } else if (p.resource == RES_STORE) {
      assert(best->store);
      const struct store *st = &stores[best->store - 1];
      op->resource = st->resource;
      op->needed_scope = st->scope;
      op->target_what = st->what;
    } else {
      op->resource = p.resource;
      op->needed_scope = p.scope;
    }
    /* A command that is only mentioned (echo, grep, a commit message)
     * keeps a trace of its severity but does not make the call a delete. */
    if (!mention) {
      op->verb = SR_VERB_DELETE;
      op->mutating = true;
      return;
    }
  }

  uint8_t v = SR_MAX(s->hint_verb, s->name_verb);
  if (v < SR_VERB_WRITE && s->n_cmds) v = SR_MAX(v, classify_commands(cat, s));
  op->verb = (enum sr_verb)v;
  op->mutating = v >= SR_VERB_WRITE;
  if (noun >= 0 && !op->resource) {
    op->resource = nouns[noun].resource;
    op->needed_scope = scope_for(noun, op->verb);
  }
}

/* ---------------------------------------------------------------------- */
/* Classification: the memo                                                 */
/* ---------------------------------------------------------------------- */

/*
 * What classify_text decides depends on the tool name and arguments alone,
 * and the same bytes come back: a call's completion repeats its request,
 * and agents rerun `git status` and `npm test`. Each scratch remembers its
 * last answers, MEMO_SLOTS of them, two-way set associative (the older of
 * the two is replaced), keyed by the exact bytes: the hash picks the pair,
 * the bytes confirm the entry. Calls longer than MEMO_KEY_MAX are
 * classified every time; their scan costs far more than a lookup anyway.
 */

static uint64_t memo_hash(const struct sr_event *ev) {
  return XXH3_64bits_withSeed(ev->arguments.p, ev->arguments.n,
                              XXH3_64bits(ev->tool.p, ev->tool.n));
}

static bool memo_holds(const struct memo_entry *e, uint64_t h,
                       const struct sr_event *ev) {
  return e->stamp && e->hash == h && e->tool_n == ev->tool.n &&
         e->args_n == ev->arguments.n &&
         (!ev->tool.n || memcmp(e->key, ev->tool.p, ev->tool.n) == 0) &&
         (!ev->arguments.n || memcmp(e->key + ev->tool.n, ev->arguments.p,
                                     ev->arguments.n) == 0);
}

static bool within(sr_str outer, sr_str v) {
  uintptr_t o = (uintptr_t)outer.p, p = (uintptr_t)v.p;
  return outer.n && p >= o && p + v.n <= o + outer.n;
}

/* Records view v of ev in e; false when a copy does not fit. */
static bool memo_keep(struct memo_entry *e, const struct sr_event *ev,
                      sr_str v, struct memo_view *out) {
  if (!v.p) {
    *out = (struct memo_view){AT_NONE, 0, 0};
  } else if (within(ev->tool, v)) {
    *out = (struct memo_view){AT_TOOL, (uint32_t)(v.p - ev->tool.p),
                              (uint32_t)v.n};
  } else if (within(ev->arguments, v)) {
    *out = (struct memo_view){AT_ARGS, (uint32_t)(v.p - ev->arguments.p),
                              (uint32_t)v.n};
  } else {
    if (v.n > MEMO_COPY_MAX - e->copy_n) return false;
    memcpy(e->copy + e->copy_n, v.p, v.n);
    *out = (struct memo_view){AT_COPY, e->copy_n, (uint32_t)v.n};
    e->copy_n += (uint32_t)v.n;
  }
  return true;
}

static sr_str memo_view(const struct memo_entry *e, const struct sr_event *ev,
                        struct memo_view v) {
  switch ((enum memo_at)v.at) {
    case AT_TOOL:
      return (sr_str){ev->tool.p + v.off, v.n};
    case AT_ARGS:
      return (sr_str){ev->arguments.p + v.off, v.n};
    case AT_COPY:
      return (sr_str){e->copy + v.off, v.n};
    default:
      return (sr_str){NULL, 0};
  }
}

/* Remembers op's text-decided fields for ev's bytes, replacing the older
 * entry of the pair. */
static void memo_store(struct sr_catalogue_scratch *s, uint64_t h,
                       const struct sr_event *ev, const struct sr_op *op,
                       uint32_t res_found, sr_str found_id) {
  if (ev->tool.n + ev->arguments.n > MEMO_KEY_MAX) return;
  struct memo_entry *pair = &s->memo[h & (MEMO_SLOTS - 2)];
  struct memo_entry *e = pair[0].stamp <= pair[1].stamp ? &pair[0] : &pair[1];
  e->stamp = 0; /* empty until complete */
  e->copy_n = 0;
  if (!memo_keep(e, ev, op->matched, &e->matched) ||
      !memo_keep(e, ev, found_id, &e->found_id))
    return;
  e->hash = h;
  e->tool_n = (uint32_t)ev->tool.n;
  e->args_n = (uint32_t)ev->arguments.n;
  if (ev->tool.n) memcpy(e->key, ev->tool.p, ev->tool.n);
  if (ev->arguments.n)
    memcpy(e->key + ev->tool.n, ev->arguments.p, ev->arguments.n);
  e->text = *op;
  e->text.matched = (sr_str){NULL, 0};
  memset(&e->text.credential, 0, sizeof e->text.credential);
  e->res_found = res_found;
  e->stamp = ++s->memo_clock;
}

/* Starts loading what memo_find reads of the pair for h: each entry's
 * header and text, and the first bytes of its key. Entries are seldom in
 * cache (a completion comes a thousand events after its request): asked
 * for together, the lines load at once instead of one miss after another
 * as the compare walks them. A hint: no effect on results. */
static void memo_prefetch(const struct sr_catalogue_scratch *s, uint64_t h) {
  const char *pair = (const char *)&s->memo[h & (MEMO_SLOTS - 2)];
  for (size_t e = 0; e < 2; e++) {
    const char *p = pair + e * sizeof(struct memo_entry);
    for (size_t at = 0; at < offsetof(struct memo_entry, key) + 128; at += 64)
      __builtin_prefetch(p + at);
  }
}

static const struct memo_entry *memo_find(const struct sr_catalogue_scratch *s,
                                          uint64_t h,
                                          const struct sr_event *ev) {
  const struct memo_entry *pair = &s->memo[h & (MEMO_SLOTS - 2)];
  if (memo_holds(&pair[0], h, ev)) return &pair[0];
  if (memo_holds(&pair[1], h, ev)) return &pair[1];
  return NULL;
}

void sr_catalogue_memo_stats(const struct sr_catalogue_scratch *s,
                             uint64_t *lookups, uint64_t *hits) {
  *lookups = s->memo_lookups;
  *hits = s->memo_hits;
}

void sr_catalogue_classify(const struct sr_catalogue *cat,
                           struct sr_catalogue_scratch *s,
                           const struct sr_event *ev, struct sr_op *op) {
  assert(cat && s && ev && op && s->cat == cat);
  memset(op, 0, sizeof(*op));
  if (ev->type != SR_EV_TOOL_CALL) return;
  const struct fixed_tool *ft = fixed_tool_of(cat, ev->tool);
  uint64_t h = 0;
  if (!ft) {
    h = memo_hash(ev);
    memo_prefetch(s, h);
  }
  fill_credential(cat, s, ev, op);

  if (ft) {
    fill_target(cat, ev, NULL, (sr_str){NULL, 0}, op);
    op->verb = ft->verb;
    op->mutating = ft->verb >= SR_VERB_WRITE;
    op->resource = ft->resource;
    /* Every fixed tool with a resource touches files. */
    assert(!ft->resource || strcmp(ft->resource, "file") == 0);
    op->needed_scope = scope_for(ft->resource ? cat->noun_file : -1, ft->verb);
    return;
  }

  const struct memo_entry *m = memo_find(s, h, ev);
  const struct resource *found = NULL;
  sr_str found_id = {NULL, 0};
  s->memo_lookups++;
  if (m) {
    s->memo_hits++;
    struct sr_credential cred = op->credential;
    *op = m->text;
    op->credential = cred;
    op->matched = memo_view(m, ev, m->matched);
    if (m->res_found) {
      found = &cat->res[m->res_found - 1];
      found_id = memo_view(m, ev, m->found_id);
    }
  } else {
    classify_text(cat, s, ev, op);
    if (s->res_found) {
      found = &cat->res[s->res_found - 1];
      found_id = view(s, ev,
                      (struct span){s->res_from,
                                    s->res_from + (uint32_t)found->id.n});
    }
    memo_store(s, h, ev, op, s->res_found, found_id);
  }
  fill_target(cat, ev, found, found_id, op);
}
